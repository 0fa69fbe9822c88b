"""The visible stamps: Vietnamese text that survives (a real embedded font, extractable text),
fitted to the field, with a QR code of the verification page on the authority's."""

import io
import re
import unicodedata
from datetime import UTC, datetime

import pytest
import qrcode
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader

from partnerships.documents.engine.anchors import SIGNATURE_ANCHORS
from partnerships.documents.engine.fields import FIELD_HEIGHT, FIELD_WIDTH, find_signature_fields
from partnerships.signing.pdf import pades, stamps, verify
from partnerships.signing.pdf.pades import seal_stamp_wording
from tests.factories import pdf_fonts, pdf_words, stamp_text
from tests.factories.signing import AUTHORITY, VERIFICATION_URL


def stamp_words(pdf: bytes, field: str) -> tuple[tuple, list[tuple]]:
    """The field's box and the stamp's words (word, x1, y1, x2, y2) pdftotext finds in it;
    not the template's anchor under the field, which nobody sees (white, 2 pt)."""
    page_index, box = find_signature_fields(pdf)[field]
    x1, y1, x2, y2 = box

    def inside(word) -> bool:
        centre_x, centre_y = (word[1] + word[3]) / 2, (word[2] + word[4]) / 2
        return x1 - 1 <= centre_x <= x2 + 1 and y1 - 1 <= centre_y <= y2 + 1

    anchors = set(SIGNATURE_ANCHORS.values())
    words = [w for w in pdf_words(pdf, page_index) if inside(w) and w[0] not in anchors]
    return box, words


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def test_the_authority_stamp_shows_the_name_with_its_diacritics(flow):
    text = stamp_text(flow.certified, "Sig_Authority")

    assert "Ký số bởi: Võ Minh Tâm" in text.splitlines()
    assert "TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH" in text
    assert "UBND xã Bến Lức" in text
    assert re.search(r"Thời gian: \d\d/\d\d/\d{4} \d\d:\d\d:\d\d \(GMT\+7\)", one_line(text))


@pytest.fixture(scope="module")
def certified_by_another_holder(signable_pdf, signer_for):
    """Certified with a certificate held by someone other than the person named under the
    block, as with the demo PKI's "DEMO Authority Signer"."""
    return pades.certify_as_authority(
        signable_pdf,
        signer_for("authority"),
        **{**AUTHORITY, "signer_name": "DEMO Authority Signer"},
        named_signatory="Võ Minh Tâm",
    )


def test_the_authority_stamp_names_the_certificate_holder_and_the_person_under_the_block(
    certified_by_another_holder,
):
    text = one_line(stamp_text(certified_by_another_holder, "Sig_Authority"))

    assert "Ký số bởi: DEMO Authority Signer" in text
    assert "Người ký trên văn bản: Võ Minh Tâm" in text
    assert "TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH" in text


def test_the_same_person_is_named_once(flow):
    assert "Người ký trên văn bản" not in stamp_text(flow.certified, "Sig_Authority")


# pdftotext's word box is the font's ascent to descent: about 1.15 × the size for Liberation Sans.
_BOX_PER_POINT = 1.15


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ("certified_by_another_holder", "Sig_Authority"),
        ("business_signed", "Sig_Business"),
        ("sealed", "Sig_Business"),
    ],
)
def test_stamp_text_is_legible_at_full_size_and_kept_inside_the_frame(
    request, flow, document, field
):
    pdf = getattr(flow, document, None) or request.getfixturevalue(document)
    (x1, y1, x2, y2), words = stamp_words(pdf, field)

    assert len(words) >= 3
    smallest = min(word[4] - word[2] for word in words) / _BOX_PER_POINT
    assert smallest >= stamps.MINIMUM_FONT_SIZE - 0.2, [w[0] for w in words]
    # A margin between the frame and every word.
    for word, wx1, wy1, wx2, wy2 in words:
        assert wx2 <= x2 - 2 and wx1 >= x1 + 2, word
        assert wy1 >= y1 + 1 and wy2 <= y2 - 1, word


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
    assert "không phải chữ ký số của doanh nghiệp" in text
    # The English sentence gives way to a legible stamp; readers show it as the reason.
    reason = PdfFileReader(io.BytesIO(flow.sealed)).embedded_signatures[-1].sig_object["/Reason"]
    assert english in str(reason)


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


# --- What is prepared once per process never mixes one signature's stamp into another's -------

OTHER_URL = "https://registry.example.org/xac-minh/2026-UBND-0002"
OTHER_AUTHORITY = {
    "signer_name": "Phạm Quốc Bình",
    "position": "KT. CHỦ TỊCH - PHÓ CHỦ TỊCH",
    "organisation": "UBND phường Kim Bảng",
    "verification_url": OTHER_URL,
}


def qr_modules_of(url: str) -> set[tuple[int, int]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    code.make()
    return {(r, c) for r, line in enumerate(code.modules) for c, dark in enumerate(line) if dark}


@pytest.fixture(scope="module")
def two_authorities(signable_pdf, signer_for):
    """Certifications by two authorities, one after the other in this process (A, B, A)."""
    first = pades.certify_as_authority(signable_pdf, signer_for("authority"), **AUTHORITY)
    other = pades.certify_as_authority(signable_pdf, signer_for("other"), **OTHER_AUTHORITY)
    again = pades.certify_as_authority(signable_pdf, signer_for("authority"), **AUTHORITY)
    return first, other, again


def test_each_authority_stamp_shows_its_own_signer_and_qr_code(two_authorities):
    first, other, again = two_authorities

    other_text = one_line(stamp_text(other, "Sig_Authority"))
    assert "Ký số bởi: Phạm Quốc Bình" in other_text
    assert "UBND phường Kim Bảng" in other_text
    assert "Võ Minh Tâm" not in other_text and "Bến Lức" not in other_text
    assert qr_modules_in_stamp(other, "Sig_Authority") == qr_modules_of(OTHER_URL)
    for pdf in (first, again):
        text = one_line(stamp_text(pdf, "Sig_Authority"))
        assert "Ký số bởi: Võ Minh Tâm" in text and "Phạm Quốc Bình" not in text
        assert qr_modules_in_stamp(pdf, "Sig_Authority") == qr_modules_of(VERIFICATION_URL)


def test_each_signature_is_made_with_its_own_key(two_authorities, pki):
    first, other, again = two_authorities

    def signer_of(pdf):
        return PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0].signer_cert.sha256

    assert signer_of(first) == signer_of(again) == pki.cert("authority").sha256
    assert signer_of(other) == pki.cert("other").sha256
    for pdf in two_authorities:
        assert verify.verify_pdf(pdf, trust_roots=pki.trust_roots).ok


def stamp_font_programs(pdf: bytes, field: str = "Sig_Authority") -> list[bytes]:
    """The TrueType programs of the fonts the field's appearance (the stamp) uses."""
    page_index, _box = find_signature_fields(pdf)[field]
    page = PdfReader(io.BytesIO(pdf)).pages[page_index]
    widget = next(a.get_object() for a in page["/Annots"] if a.get_object().get("/T") == field)
    programs = []

    def collect(xobject, depth=0):
        resources = xobject.get("/Resources", {})
        for font in resources.get("/Font", {}).values():
            for descendant in font.get_object().get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                programs.append(descriptor["/FontFile2"].get_object().get_data())
        for child in resources.get("/XObject", {}).values():
            if depth < 4:
                collect(child.get_object(), depth + 1)

    collect(widget["/AP"]["/N"].get_object())
    return programs


def test_stamps_embed_the_font_subset_prepared_once_not_one_made_per_stamp(two_authorities):
    first, other, _again = two_authorities

    # Different words, the same embedded font program: nothing is subset per signature.
    [first_font] = stamp_font_programs(first)
    [other_font] = stamp_font_programs(other)
    assert first_font == other_font


def test_a_name_in_letters_outside_the_prepared_subset_is_still_shown(signable_pdf, signer_for):
    name = "Пётр Иванович"  # Cyrillic: in the font, not in the prepared Vietnamese subset
    certified = pades.certify_as_authority(
        signable_pdf, signer_for("authority"), **{**AUTHORITY, "signer_name": name}
    )

    assert f"Ký số bởi: {name}" in one_line(stamp_text(certified, "Sig_Authority"))
    [font] = stamp_font_programs(certified)
    [prepared] = stamp_font_programs(
        pades.certify_as_authority(signable_pdf, signer_for("authority"), **AUTHORITY)
    )
    assert font != prepared  # subset for this stamp, with its letters
