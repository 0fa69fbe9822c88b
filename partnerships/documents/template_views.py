"""The MoU template library: see templates and their versions, upload a new version."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from partnerships.authorities.permissions import can_upload_template
from partnerships.core.access import role_required
from partnerships.core.downloads import attachment
from partnerships.documents.engine.fill import MAX_TEMPLATE_BYTES, TemplateError
from partnerships.documents.template_library import upload_template_version
from partnerships.models import DocumentTemplate, TemplateVersion
from partnerships.mous.forms import TemplateUploadForm


@role_required
def template_list(request):
    may_upload = can_upload_template(request.user)
    form = TemplateUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not may_upload:
            raise PermissionDenied
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > MAX_TEMPLATE_BYTES:
                    raise TemplateError(_("The file is larger than 5 MB."))
                version = upload_template_version(
                    template=form.cleaned_data["template"],
                    docx=upload.read(),
                    actor=request.user,
                    note=form.cleaned_data["note"],
                )
            except TemplateError as error:
                form.add_error("file", error.message)
            else:
                messages.success(
                    request,
                    _("Version %(number)s of “%(template)s” is now in use.")
                    % {"number": version.number, "template": version.template.name},
                )
                return redirect("template_list")
    versions = TemplateVersion.objects.defer("docx").select_related("uploaded_by")
    templates = DocumentTemplate.objects.prefetch_related(
        Prefetch("versions", queryset=versions.order_by("-number"))
    )
    return render(
        request,
        "documents/template_library.html",
        {
            "templates": templates,
            "form": form if may_upload else None,
            # Shown as written: a Django template cannot hold "{{" in its own text.
            "anchor_tags": ["{{ sign_here_authority }}", "{{ sign_here_business }}"],
        },
    )


@role_required
def template_download(request, pk):
    version = get_object_or_404(TemplateVersion.objects.select_related("template"), pk=pk)
    response = HttpResponse(
        bytes(version.docx),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    return attachment(response, f"{version.template.key}-v{version.number}.docx")
