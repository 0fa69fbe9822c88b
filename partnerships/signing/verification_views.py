"""Verification for everyone, without logging in: upload any PDF and read a verdict on each
of its signatures; the page of one MoU (reached by the QR code on its PDF) with its parties,
state and the SHA-256 of its final PDF. No personal data on either page: organisations only.
"""

from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from partnerships.core import ratelimit
from partnerships.models import Mou, MouState, PdfRevision
from partnerships.signing import revisions
from partnerships.signing.business import max_upload_bytes, max_upload_mb
from partnerships.signing.public_verdicts import public_verdict

CHECKS_PER_10_MINUTES = 30


def _uploaded_pdf(request) -> tuple[bytes | None, str | None]:
    """The uploaded file's bytes, or why there are none."""
    upload = request.FILES.get("pdf")
    if upload is None:
        return None, _("Choose a PDF file.")
    limit = max_upload_bytes()
    if upload.size > limit:
        return None, _("The file is larger than %(size)s MB.") % {"size": limit // (1024 * 1024)}
    if not ratelimit.allow(
        "verify", ratelimit.client_ip(request) or "unknown", limit=CHECKS_PER_10_MINUTES, window=600
    ):
        return None, _("Too many checks from your address. Wait a few minutes and try again.")
    return upload.read(), None


def _public_mous():
    """MoUs with a public page: those sent for signature at some point."""
    return (
        Mou.objects.exclude(state=MouState.DRAFT)
        .filter(Q(signable_document__isnull=False) | Q(pdf_revisions__isnull=False))
        .distinct()
    )


def _check_upload(request, context: dict):
    """The verdict on the PDF posted, described into `context` for the page, and the page's
    status: (the file's SHA-256, 200), or (None, 400) with the error when the upload is
    refused. The verdict is made under memory, CPU and time limits (public_verdicts)."""
    pdf, error = _uploaded_pdf(request)
    if error:
        context["error"] = error
        return None, 400
    context["verdict"], sha256 = public_verdict(pdf)
    return sha256, 200


@never_cache
def verify_page(request):
    context = {"max_upload_mb": max_upload_mb()}
    status = 200
    if request.method == "POST":
        sha256, status = _check_upload(request, context)
        if sha256 is not None:
            context["matches"] = _stored_as(sha256)
    return render(request, "verification/verify.html", context, status=status)


MAX_MATCHES = 10


def _stored_as(sha256: str) -> list[dict]:
    """The MoUs of which this file (by SHA-256) is a stored PDF revision: {"mou", "final",
    "sequence"}, the final signed revision said as such."""
    stored = (
        PdfRevision.objects.filter(sha256=sha256, mou__in=_public_mous())
        .select_related("mou")
        .defer("pdf")
        .order_by("mou_id", "sequence")[:MAX_MATCHES]
    )
    found = []
    for revision in stored:
        final = revisions.final_revision(revision.mou)
        found.append(
            {
                "mou": revision.mou,
                "final": final is not None and final.pk == revision.pk,
                "sequence": revision.sequence,
            }
        )
    return found


@never_cache
def public_mou(request, public_id):
    mou = _public_mous().select_related("authority", "partner").filter(public_id=public_id).first()
    if mou is None:
        raise Http404
    final = revisions.final_revision(mou)
    context = {
        "mou": mou,
        "final": final,
        "authority_signed": mou.pdf_revisions.exists(),
        "max_upload_mb": max_upload_mb(),
    }
    status = 200
    if request.method == "POST":
        sha256, status = _check_upload(request, context)
        if sha256 is not None:
            context["comparison"] = _compare(mou, sha256, final)
    return render(request, "verification/mou.html", context, status=status)


def _compare(mou: Mou, sha256: str, final: PdfRevision | None) -> dict:
    """Is the uploaded file this MoU's final PDF, an earlier revision, or something else?"""
    if final is not None and sha256 == final.sha256:
        return {"same": True, "message": _("This file is the final signed PDF of this MoU.")}
    revision = mou.pdf_revisions.filter(sha256=sha256).values_list("sequence", flat=True).first()
    if revision is not None:
        return {
            "same": False,
            "message": _("This file is revision %(n)s of this MoU's PDF, not its final version.")
            % {"n": revision},
        }
    if sha256 == mou.signable_pdf_sha256:
        return {
            "same": False,
            "message": _("This file is the unsigned PDF that was sent for signature."),
        }
    return {
        "same": False,
        "message": _("This file is not this MoU's document: its SHA-256 is different."),
    }
