"""Services for the MoU template library: upload a new version of a template."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from partnerships.authorities.permissions import can_upload_template
from partnerships.documents.engine.anchors import SIGNATURE_ANCHORS
from partnerships.documents.engine.fill import TemplateError, fill_template, validate_template
from partnerships.documents.rendering import PROVIDED_VARIABLES, SIGNATURE_ANCHOR_VARIABLES
from partnerships.models import DocumentTemplate, TemplateVersion, sha256_hex
from partnerships.mous.lifecycle import record_event

_SAMPLE_CONTEXT = {
    "document_number": "1/BGN-UBND",
    "document_date": "ngày 01 tháng 01 năm 2026",
    "place_name": "Bến Lức",
    "title": "A & B <test>",
    "authority": {"name": "UBND", "parent_name": "UBND tỉnh", "address": "", "code": "UBND"},
    "partner": {"name": "Công ty", "tax_code": "0312345678", "address": ""},
    "authority_signatory": {"name": "A", "position": "B"},
    "partner_signatory": {"name": "C", "position": "D"},
    "pledges": [
        {
            "index": 1,
            "kind": "Việc làm",
            "quantity": 1,
            "target_groups": "",
            "occupation": "",
            "min_monthly_wage": "",
            "workplace": "",
            "due_date": "",
        }
    ],
    "pledged_total": 1,
    "term_start": str(date(2026, 1, 1)),
    "term_end": str(date(2027, 1, 1)),
    "mid_review_date": "",
    "final_review_date": "",
    "sign_here_authority": SIGNATURE_ANCHORS["authority"],
    "sign_here_business": SIGNATURE_ANCHORS["business"],
}


def upload_template_version(
    *, template: DocumentTemplate, docx: bytes, actor, note: str = ""
) -> TemplateVersion:
    """Check an uploaded DOCX and store it as the template's next version.

    Refused with a TemplateError naming the problem: not a DOCX, encrypted, broken, a Jinja
    syntax error, a variable the registry does not provide, missing signature blocks, or a
    template that fails when filled with sample data. Old versions are kept. Raises
    PermissionDenied for anyone who may not upload templates.
    """
    if not can_upload_template(actor):
        raise PermissionDenied
    used = validate_template(docx, provided=set(PROVIDED_VARIABLES))
    # The signature fields hang from these markers: without one, no PDF could be signed.
    missing_blocks = SIGNATURE_ANCHOR_VARIABLES - used
    if missing_blocks:
        raise TemplateError(
            _(
                "The template has no signature block for: %(names)s. Put that tag (in tiny "
                "white type) at the top of the blank space where the party signs."
            )
            % {"names": ", ".join("{{ " + name + " }}" for name in sorted(missing_blocks))}
        )
    fill_template(docx, _SAMPLE_CONTEXT)  # catches a {{ partner.unknown_field }} at once
    try:
        with transaction.atomic():
            DocumentTemplate.objects.select_for_update().get(pk=template.pk)
            highest = template.versions.aggregate(highest=Max("number"))["highest"] or 0
            version = TemplateVersion.objects.create(
                template=template,
                number=highest + 1,
                docx=docx,
                sha256=sha256_hex(docx),
                variables=sorted(used),
                note=note,
                uploaded_by=actor,
            )
            record_event(
                action="template.version_uploaded",
                actor=actor,
                details={
                    "template": template.key,
                    "version": version.number,
                    "sha256": version.sha256,
                },
            )
    except IntegrityError as exc:
        raise TemplateError(_("Someone uploaded a version at the same moment; try again.")) from exc
    return version
