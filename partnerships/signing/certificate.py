"""The completion certificate: a PDF listing who signed, when and how, the SHA-256 of every
revision of the MoU's PDF and the audit trail up to the signing.

Written as a small Word document (python-docx) and converted by LibreOffice like the MoUs
themselves; made once, on first request after the MoU is signed, and stored. The headings
are bilingual (Vietnamese / English), as the document goes to both parties.
"""

import io

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Cm, Pt

from partnerships.documents.engine.convert import convert_docx_to_pdf
from partnerships.models import CompletionCertificate, Mou, sha256_hex
from partnerships.mous.lifecycle import AUDIT_ACTION_LABELS, MouError
from partnerships.signing.pdf.stamps import format_signing_time
from partnerships.signing.revisions import final_revision, revisions
from partnerships.signing.setup import SigningSetup

PARTIES = {"authority": "Bên A / Party A", "business": "Bên B / Party B"}
FONT = "Liberation Sans"
# Evidence worth printing from an event's details (ids and hashes; never a code).
DETAIL_KEYS = ("revision", "sha256", "final_pdf_sha256", "signer", "person", "ip", "user_agent")


def _time(moment) -> str:
    return format_signing_time(moment) if moment else "—"


def _both(message) -> str:
    """A label in Vietnamese and English: "Vi / En" (once when they are the same)."""
    with translation.override("vi"):
        vietnamese = str(message)
    with translation.override("en"):
        english = str(message)
    return vietnamese if vietnamese == english else f"{vietnamese} / {english}"


def _table(document, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.autofit = False
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    # LibreOffice reads the grid's column widths, Word the cells': set both.
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)


def certificate_docx(mou: Mou, *, verification_url: str) -> bytes:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(9)

    document.add_heading("GIẤY CHỨNG NHẬN HOÀN TẤT KÝ / CERTIFICATE OF COMPLETED SIGNING", 1)
    final = final_revision(mou)
    # The parties as the signed document names them, not as their records say today.
    parties = mou.parties
    facts = [
        ("Bản ghi nhớ / MoU", f"{mou.document_number} ({mou.year}) — {mou.title}"),
        ("Bên A / Party A", parties.authority_name),
        ("Bên B / Party B", f"{parties.partner_name} (MST {parties.partner_tax_code})"),
        ("Ký xong lúc / Signed at", _time(mou.signed_at)),
        ("SHA-256 bản cuối / of the final PDF", final.sha256 if final else "—"),
        ("Kiểm tra tại / Verify at", verification_url),
    ]
    for label, value in facts:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(value)

    document.add_heading("Chữ ký / Signatures", 2)
    _table(
        document,
        [
            "Bên / Party",
            "Người ký / Signer",
            "Cách ký / Method",
            "Thời gian / Time",
            "Chứng thư / Certificate",
        ],
        [
            [
                PARTIES.get(signature.party, signature.party),
                signature.signer_name,
                _both(signature.get_method_display()),
                _time(signature.signed_at),
                signature.certificate_subject or "—",
            ]
            for signature in mou.signatures.order_by("revision__sequence", "signed_at")
        ],
        [3, 4, 6, 4, 9.7],
    )

    document.add_heading("Các phiên bản PDF / PDF revisions", 2)
    _table(
        document,
        ["#", "Nội dung thêm / What was added", "Lưu lúc / Stored at", "SHA-256"],
        [
            [
                str(revision.sequence),
                _both(revision.get_kind_display()),
                _time(revision.created_at),
                revision.sha256,
            ]
            for revision in revisions(mou)
        ],
        [1, 8, 4, 13.7],
    )
    document.add_paragraph(
        f"Bản gửi ký / PDF sent for signature: SHA-256 {mou.signable_pdf_sha256}. "
        "Mỗi phiên bản bắt đầu bằng toàn bộ phiên bản trước / each revision begins with the "
        "whole of the one before."
    )

    document.add_heading("Nhật ký / Audit trail", 2)
    events = mou.audit_events.select_related("actor").order_by("created_at", "id")
    rows = []
    for event in events:
        details = "; ".join(
            f"{key}: {event.details[key]}" for key in DETAIL_KEYS if event.details.get(key)
        )
        actor = (event.actor.get_full_name() or event.actor.get_username()) if event.actor else "—"
        label = AUDIT_ACTION_LABELS.get(event.action, event.action)
        rows.append(
            [_time(event.created_at), actor, _both(label), " ".join([event.note, details]).strip()]
        )
        if event.action == "mou.signed":
            break
    _table(
        document,
        ["Thời gian / Time", "Bởi / By", "Việc / Action", "Chi tiết / Details"],
        rows,
        [4, 3.5, 6, 13.2],
    )
    document.add_paragraph(
        "Chữ ký của Cổng đăng ký là chữ ký điện tử do Cổng thực hiện cho người đại diện của "
        "doanh nghiệp, không phải chữ ký số của doanh nghiệp. / A registry seal is an electronic "
        "signature made through the registry for the business's representative, not the "
        "business's digital signature."
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def completion_certificate(mou: Mou, *, request=None) -> CompletionCertificate:
    """The MoU's completion certificate, made now if it does not exist yet."""
    existing = CompletionCertificate.objects.filter(mou=mou).first()
    if existing is not None:
        return existing
    if mou.signed_at is None or final_revision(mou) is None:
        raise MouError(_("The certificate exists once both parties have signed in the registry."))
    url = SigningSetup.from_settings().verification_url(mou, request)
    pdf = convert_docx_to_pdf(
        certificate_docx(mou, verification_url=url), timeout=settings.DOCUMENT_CONVERSION_TIMEOUT
    )
    try:
        with transaction.atomic():
            return CompletionCertificate.objects.create(mou=mou, pdf=pdf, sha256=sha256_hex(pdf))
    except IntegrityError:  # made meanwhile by another request
        return CompletionCertificate.objects.get(mou=mou)
