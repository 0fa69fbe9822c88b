"""The visible stamps: Vietnamese text that survives (a real embedded font, extractable text),
fitted to the field, with a QR code of the verification page on the authority's."""

import io
import re
import subprocess
import tempfile
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import qrcode
from pypdf import PdfReader

from partnerships.documents.engine.fields import FIELD_HEIGHT, FIELD_WIDTH, find_signature_fields
from partnerships.signing.pdf import stamps
from partnerships.signing.pdf.pades import seal_stamp_wording
from tests.factories import pdf_fonts
from tests.factories.signing import VERIFICATION_URL


def stamp_text(pdf: bytes, field: str) -> str:
    """The text pdftotext reads inside the field's rectangle (the stamp and nothing else)."""
    page_index, (x1, y1, x2, y2) = find_signature_fields(pdf)[field]
    height = float(PdfReader(io.BytesIO(pdf)).pages[page_index].mediabox.height)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "signed.pdf"
        path.write_bytes(pdf)
        page = str(page_index + 1)
        return subprocess.run(
            ["pdftotext", "-f", page, "-l", page, "-enc", "UTF-8",
             "-x", str(int(x1)), "-y", str(int(height - y2)),
             "-W", str(int(x2 - x1) + 1), "-H", str(int(y2 - y1) + 1), str(path), "-"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def test_the_authority_stamp_shows_the_name_with_its_diacritics(flow):
    text = stamp_text(flow.certified, "Sig_Authority")

    assert "Ký số bởi: Võ Minh Tâm" in text.splitlines()
    assert "TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH" in text
    assert "UBND xã Bến Lức" in text
    assert re.search(r"Thời gian: \d\d/\d\d/\d{4} \d\d:\d\d:\d\d \(GMT\+7\)", text)


def qr_modules_in_stamp(pdf: bytes, field: str) -> set[tuple[int, int]]:
    """The dark modules (row, column) of the QR code drawn in a field's appearance."""
    page_index, _box = find_signature_fields(pdf)[field]
    page = PdfReader(io.BytesIO(pdf)).pages[page_index]
    widget = next(a.get_object() for a in page["/Annots"] if a.get_object().get("/T") == field)

    def find_qr(xobject, depth=0):
        xobjects = xobject.get("/Resources", {}).get("/XObject", {})
        if "/QR" in xobjects:
            return xobjects["/QR"].get_object()
        for child in xobjects.values():
            found = depth < 4 and find_qr(child.get_object(), depth + 1)
            if found:
                return found
        return None

    qr = find_qr(widget["/AP"]["/N"].get_object())
    drawn = re.findall(rb"(\d+) (\d+) 1 1 re", qr.get_data())
    return {(int(row), int(column)) for column, row in drawn}


def test_the_authority_stamp_has_a_qr_code_of_the_verification_page(flow):
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(VERIFICATION_URL)
    code.make()
    expected = {
        (row, column)
        for row, line in enumerate(code.modules)
        for column, dark in enumerate(line)
        if dark
    }

    assert qr_modules_in_stamp(flow.certified, "Sig_Authority") == expected


def test_the_business_stamp_names_the_signer_and_the_company(flow):
    text = stamp_text(flow.business_signed, "Sig_Business")

    assert "Ký số bởi: Nguyễn Thị Hoa" in text.splitlines()
    assert "Giám đốc – Công ty May Bến Lức" in text


def test_the_seal_stamp_says_it_is_not_the_company_digital_signature(flow):
    text = one_line(stamp_text(flow.sealed, "Sig_Business"))

    vietnamese, english = seal_stamp_wording(
        person_name="Nguyễn Thị Hoa", company_name="Công ty May Bến Lức"
    )
    assert vietnamese in text
    assert english in text
    assert "không phải chữ ký số của doanh nghiệp" in text


def test_the_stamps_use_an_embedded_font_not_courier(flow):
    fonts = pdf_fonts(flow.sealed)

    assert not [name for name, _embedded in fonts if "Courier" in name]
    stamp_fonts = [(name, embedded) for name, embedded in fonts if "Sans" in name]
    assert stamp_fonts
    assert all(embedded == "yes" for _name, embedded in stamp_fonts)


def test_long_text_is_wrapped_to_the_field_at_a_readable_size():
    long_name = "Tổng Công ty Cổ phần Đầu tư Phát triển Công nghiệp và Dịch vụ Miền Nam"
    stamp = stamps.build_stamp(
        [f"Ký số bởi: {long_name}", long_name, "Thời gian: 22/11/2026 07:50:28 (GMT+7)"],
        box=(FIELD_WIDTH, FIELD_HEIGHT),
        colour=stamps.BUSINESS_COLOUR,
        qr_url=VERIFICATION_URL,
    )

    lines = stamp.text.splitlines()
    assert len(lines) > 3
    assert one_line(" ".join(lines)).startswith(f"Ký số bởi: {long_name}")


def test_the_signing_time_is_shown_in_vietnam_time():
    moment = datetime(2026, 11, 22, 0, 50, 28, tzinfo=UTC)

    assert stamps.format_signing_time(moment) == "22/11/2026 07:50:28 (GMT+7)"
