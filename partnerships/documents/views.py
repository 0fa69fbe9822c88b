"""MoU documents: prepare (render) a draft's PDF, download the DOCX and PDFs."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from partnerships.authorities.permissions import can_manage_mou
from partnerships.core.access import role_required
from partnerships.core.downloads import attachment
from partnerships.documents import rendering
from partnerships.models import MouDocument, RenderStatus
from partnerships.mous import selectors

_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _file_name(mou, suffix: str, extension: str) -> str:
    number = mou.document_number.replace("/", "-")
    return f"{number}-{mou.year}{suffix}.{extension}"


def _attachment(content: bytes, *, name: str, extension: str, inline: bool) -> HttpResponse:
    response = HttpResponse(bytes(content), content_type=_CONTENT_TYPES[extension])
    attachment(response, name, inline=inline)
    # Documents may carry names: keep them out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


@role_required
@require_POST
def document_prepare(request, pk):
    mou = get_object_or_404(selectors.mou_for_detail(user=request.user), pk=pk)
    if not can_manage_mou(request.user, mou):
        raise PermissionDenied
    if not mou.is_editable:
        messages.error(request, _("Only a draft's documents can be prepared again."))
        return redirect(mou)
    with transaction.atomic():
        rendering.request_document(mou, actor=request.user)
    messages.info(request, _("The documents are being prepared."))
    return redirect(mou)


@role_required
@require_GET
@never_cache
def document_status(request, pk):
    """The status of the MoU's current rendering, for the MoU page's script, which asks every
    quarter second while the documents are prepared and reloads the page once it changes: the
    PDF link shows as soon as it exists, not at the next whole-page refresh. Whoever may see
    the MoU page may ask; nothing but the status is in the answer."""
    mou = get_object_or_404(selectors.mou_for_detail(user=request.user), pk=pk)
    document = rendering.current_document(mou)
    return JsonResponse({"status": document.status if document else None})


@role_required
def document_download(request, pk, document_pk, extension):
    """A rendering of the MoU (draft previews): its DOCX or its PDF."""
    mou = get_object_or_404(selectors.mou_for_detail(user=request.user), pk=pk)
    if extension not in _CONTENT_TYPES:
        raise Http404
    document = get_object_or_404(
        MouDocument.objects.filter(mou=mou, status=RenderStatus.READY), pk=document_pk
    )
    # Drafts' previews and Word files are for the authority's staff; the partner gets the
    # PDF that was sent.
    if not can_manage_mou(request.user, mou) and (
        document.pk != mou.signable_document_id or extension != "pdf"
    ):
        raise Http404
    content = document.pdf if extension == "pdf" else document.docx
    suffix = f"-r{document.mou_revision}"
    return _attachment(
        content,
        name=_file_name(mou, suffix, extension),
        extension=extension,
        inline=request.GET.get("inline") == "1" and extension == "pdf",
    )


@role_required
def signable_pdf(request, pk):
    """The PDF frozen when the MoU was sent."""
    mou = get_object_or_404(selectors.mou_for_detail(user=request.user), pk=pk)
    if mou.signable_document_id is None:
        raise Http404
    pdf = MouDocument.objects.values_list("pdf", flat=True).get(pk=mou.signable_document_id)
    return _attachment(
        pdf,
        name=_file_name(mou, "", "pdf"),
        extension="pdf",
        inline=request.GET.get("inline") == "1",
    )
