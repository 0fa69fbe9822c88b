"""Empty signature fields over the signature blocks of a real MoU PDF, and signing into them."""

import contextlib
import datetime
import io
import os
import re
import shutil
import unicodedata

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import translation
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import (
    FieldMDPAction,
    MDPPerm,
    SigFieldSpec,
    SigSeedSubFilter,
    append_signature_field,
    enumerate_sig_fields,
)
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pypdf import PdfReader

from partnerships.documents.engine.anchors import SIGNATURE_ANCHORS
from partnerships.documents.engine.convert import convert_docx_to_pdf
from partnerships.documents.engine.fields import (
    AUTHORITY_FIELD,
    BUSINESS_FIELD,
    FIELD_HEIGHT,
    FIELD_WIDTH,
    SignatureFieldError,
    find_signature_fields,
    prepare_signable_pdf,
)
from partnerships.documents.engine.fill import fill_template
from tests.factories import TEMPLATE_DIR

# LibreOffice converts the real template and pyHanko signs into the fields: slow tests.
pytestmark = pytest.mark.slow

TEMPLATE = TEMPLATE_DIR / "bgn_vi.docx"
AUTHORITY_NAME = "Võ Minh Tâm"
BUSINESS_NAME = "Nguyễn Thị Hoa"

CONTEXT = {
    "authority": {
        "name": "UBND xã Bến Lức",
        "parent_name": "UBND tỉnh Long An",
        "address": "Bến Lức",
        "code": "UBND",
    },
    "partner": {"name": "Công ty A & B", "tax_code": "0312345678", "address": "KCN Thuận Đạo"},
    "authority_signatory": {"name": AUTHORITY_NAME, "position": "Chủ tịch"},
    "partner_signatory": {"name": BUSINESS_NAME, "position": "Giám đốc"},
    "document_number": "12/BGN-UBND",
    "document_date": "ngày 05 tháng 02 năm 2026",
    "place_name": "Bến Lức",
    "title": "Về việc tiếp nhận lao động",
    "pledges": [
        {
            "index": 1,
            "kind": "Việc làm",
            "quantity": 10,
            "target_groups": "Người chấp hành xong án phạt tù",
            "occupation": "Công nhân may",
            "min_monthly_wage": "6.500.000",
            "workplace": "KCN",
            "due_date": "30/06/2026",
        }
    ],
    "pledged_total": 10,
    "term_start": "ngày 01 tháng 3 năm 2026",
    "term_end": "ngày 28 tháng 02 năm 2028",
    "mid_review_date": "…",
    "final_review_date": "…",
    "sign_here_authority": SIGNATURE_ANCHORS["authority"],
    "sign_here_business": SIGNATURE_ANCHORS["business"],
}


# --- Inputs -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mou_pdf() -> bytes:
    """The real template, filled and converted by LibreOffice once for this module."""
    if not shutil.which(os.environ.get("SOFFICE_PATH") or "soffice"):
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")

    docx = fill_template(TEMPLATE.read_bytes(), CONTEXT)
    return convert_docx_to_pdf(docx, timeout=120)


@pytest.fixture(scope="module")
def prepared(mou_pdf) -> bytes:
    return prepare_signable_pdf(mou_pdf)


def _text_runs(page) -> list[tuple[str, float, float]]:
    """(text, x, baseline) of each text run, found independently of the code under test."""
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            runs.append((text.strip(), tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]))

    page.extract_text(visitor_text=visit)
    return runs


def _widget(pdf: bytes, name: str):
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for annot in page.get("/Annots") or []:
            widget = annot.get_object()
            if widget.get("/T") == name:
                return widget
    raise AssertionError(f"no widget {name}")


def _tiny_pdf(content: bytes, width: int = 595, height: int = 842) -> bytes:
    """A one-page PDF with Helvetica (/F1, every glyph 600 units wide) and a Type0 font (/F2,
    two-byte codes) whose codes 1-13 are N g u y e ◌̂ ◌̃ n space A ◌́ n h: Vietnamese written
    with combining marks, as some PDF producers do, where LibreOffice uses precomposed letters.
    """
    to_unicode = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        b"4 beginbfchar <0001> <004E> <0002> <0067> <0003> <0075> <0004> <0079> endbfchar\n"
        b"2 beginbfrange <0005> <0005> <0065> <0006> <0007> [<0302> <0303>] endbfrange\n"
        b"6 beginbfchar <0008> <006E> <0009> <0020> <000A> <0041> <000B> <0301> "
        b"<000C> <006E> <000D> <0068> endbfchar\n"
        b"endcmap CMapName currentdict /CMap defineresource pop end end\n"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>" % (width, height),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar 32 /LastChar 126 "
        b"/Widths [" + b" ".join([b"600"] * 95) + b"] /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Test /Encoding /Identity-H "
        b"/DescendantFonts [7 0 R] /ToUnicode 8 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Test /DW 500 "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        b"/W [1 [700 500 500 500 450 0 0 500 250 700 0 500 500]] >>",
        b"<< /Length %d >>\nstream\n" % len(to_unicode) + to_unicode + b"\nendstream",
    ]
    out = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


# "Nguyễn Ánh" in the Type0 font, with decomposed diacritics; its width at 12 pt from /W.
_TYPE0_NAME = b"<000100020003000400050006000700080009000A000B000C000D>"
_TYPE0_WIDTH = (700 + 500 * 3 + 450 + 500 + 250 + 700 + 500 * 2) / 1000 * 12


# --- The fields on the real MoU -------------------------------------------------------------


def test_both_fields_exist_empty_on_the_last_page(mou_pdf, prepared):

    last_page = len(PdfReader(io.BytesIO(mou_pdf)).pages) - 1
    assert last_page >= 1, "the MoU is expected to take more than one page"
    fields = find_signature_fields(prepared)
    assert set(fields) == {AUTHORITY_FIELD, BUSINESS_FIELD}
    assert {page for page, _box in fields.values()} == {last_page}

    reader = PdfFileReader(io.BytesIO(prepared))
    values = {name: value for name, value, _ref in enumerate_sig_fields(reader)}
    assert values == {AUTHORITY_FIELD: None, BUSINESS_FIELD: None}
    assert reader.embedded_signatures == []
    assert find_signature_fields(mou_pdf) == {}


def test_each_field_hangs_in_the_blank_space_between_position_and_name(mou_pdf, prepared):
    reader = PdfReader(io.BytesIO(prepared))
    page = reader.pages[-1]
    # Between the two blocks: the middle of the text width (A4, margins 30 and 15 mm).
    middle = (30 + (210 - 30 - 15) / 2) * 72 / 25.4
    # The anchors are the template's marks, printed where the fields now sit: not text around.
    runs = [run for run in _text_runs(page) if run[0] not in SIGNATURE_ANCHORS.values()]
    fields = find_signature_fields(prepared)

    for field, name, on_left in (
        (AUTHORITY_FIELD, AUTHORITY_NAME, True),
        (BUSINESS_FIELD, BUSINESS_NAME, False),
    ):
        _page, (x1, y1, x2, y2) = fields[field]
        # The name's last occurrence (the parties section on page 1 mentions it too).
        name_x, baseline = next((x, y) for text, x, y in reversed(runs) if text == name)
        assert x2 - x1 == pytest.approx(FIELD_WIDTH) and y2 - y1 == pytest.approx(FIELD_HEIGHT)
        assert baseline + 9 < y1 < baseline + 40, "just above the name line"
        assert x1 < name_x < x2, "over the name"
        if on_left:
            assert x2 <= middle + 1
        else:
            assert x1 >= middle - 1
        # Only blank space under the field: no line of that column has its baseline inside it.
        column = [(t, x, y) for t, x, y in runs if (x < middle) == on_left]
        assert not [t for t, _x, y in column if y1 - 3 < y < y2 + 3], field
        # Below the position line ("CHỦ TỊCH" / "GIÁM ĐỐC"), which sits above the blank area.
        above = min(y for _t, _x, y in column if y > baseline + 5)
        assert y2 < above


def test_business_field_locks_everything_and_authority_field_does_not(prepared):
    lock = _widget(prepared, BUSINESS_FIELD)["/Lock"].get_object()
    assert lock["/Type"] == "/SigFieldLock"
    assert lock["/Action"] == "/All"
    assert lock["/P"] == 1
    assert "/Lock" not in _widget(prepared, AUTHORITY_FIELD)
    # Widgets printable (PDF/A) with an appearance stream.
    for name in (AUTHORITY_FIELD, BUSINESS_FIELD):
        widget = _widget(prepared, name)
        assert int(widget["/F"]) & 4
        assert "/N" in widget["/AP"]


def test_output_is_an_update_of_the_input_with_the_same_text_and_pdfa_identity(mou_pdf, prepared):

    assert prepared.startswith(mou_pdf), "an incremental update: the original bytes are kept"
    before, after = PdfReader(io.BytesIO(mou_pdf)), PdfReader(io.BytesIO(prepared))
    assert len(after.pages) == len(before.pages)
    assert [p.extract_text() for p in after.pages] == [p.extract_text() for p in before.pages]
    assert PdfFileReader(io.BytesIO(prepared)).root["/AcroForm"]["/Fields"]

    xmp = after.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfaid:part(=\"|>)2\b", xmp)
    assert re.search(r"pdfaid:conformance(=\"|>)B\b", xmp)
    # PDF/A: the Info dictionary and the XMP metadata agree on the producer.
    producer = str(after.trailer["/Info"]["/Producer"])
    assert re.search(r"pdf:Producer(=\"|>)" + re.escape(producer) + r"[\"<]", xmp)


def test_a_missing_anchor_names_the_block(mou_pdf):
    with translation.override("en"):  # the messages are lazy: read them in English too
        with pytest.raises(SignatureFieldError) as error:
            prepare_signable_pdf(
                mou_pdf, anchors={**SIGNATURE_ANCHORS, "business": "SIGN_HERE_NOBODY"}
            )
        assert "business" in str(error.value.message)
        assert "{{ sign_here_business }}" in str(error.value.message)


def test_the_names_alone_do_not_place_the_fields():
    """A PDF with the signatories' names but no anchors (an old template) gets no fields."""
    content = (
        b"BT /F1 12 Tf 100 200 Td (Tran Van Long) Tj ET\n"
        b"BT /F1 12 Tf 350 200 Td (Le Thi Mai) Tj ET\n"
    )
    with pytest.raises(SignatureFieldError):
        prepare_signable_pdf(_tiny_pdf(content))


def test_a_pdf_that_already_has_the_fields_is_refused(prepared):
    with pytest.raises(SignatureFieldError):
        prepare_signable_pdf(prepared)


def test_anchor_matching_ignores_unicode_form_case_and_spacing(mou_pdf):

    decomposed = unicodedata.normalize("NFD", "  sign_here_AUTHORITY ")
    fields = find_signature_fields(
        prepare_signable_pdf(mou_pdf, anchors={**SIGNATURE_ANCHORS, "authority": decomposed})
    )
    assert set(fields) == {AUTHORITY_FIELD, BUSINESS_FIELD}


# --- Signing into the fields with pyHanko ---------------------------------------------------


def _throwaway_signer():

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test signer (throw-away)")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    private_key = asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signer = SimpleSigner(
        signing_cert=cert,
        signing_key=private_key,
        cert_registry=SimpleCertificateStore.from_certs([cert]),
    )
    return signer, cert


def _sign(pdf: bytes, field: str, signer, **meta) -> bytes:

    metadata = signers.PdfSignatureMetadata(
        field_name=field, subfilter=SigSeedSubFilter.PADES, **meta
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    return signers.sign_pdf(writer, metadata, signer=signer, existing_fields_only=True).getvalue()


def test_pyhanko_signs_into_both_fields_in_order(prepared):

    signer, cert = _throwaway_signer()
    # The authority certifies (form filling only), then the business approves in its field.
    certified = _sign(
        prepared, AUTHORITY_FIELD, signer, certify=True, docmdp_permissions=MDPPerm.FILL_FORMS
    )
    final = _sign(certified, BUSINESS_FIELD, signer, docmdp_permissions=MDPPerm.NO_CHANGES)

    reader = PdfFileReader(io.BytesIO(final))
    signatures = {sig.field_name: sig for sig in reader.embedded_signatures}
    assert list(signatures) == [AUTHORITY_FIELD, BUSINESS_FIELD]
    context = ValidationContext(trust_roots=[cert])
    statuses = {
        name: validate_pdf_signature(sig, context, skip_diff=False)
        for name, sig in signatures.items()
    }
    for name, status in statuses.items():
        assert status.intact, name
        assert status.valid, name
        assert status.trusted, name
        assert status.docmdp_ok, name
    assert statuses[AUTHORITY_FIELD].modification_level <= ModificationLevel.FORM_FILLING
    assert statuses[BUSINESS_FIELD].modification_level == ModificationLevel.NONE
    # The business signature took its lock from the field: DocMDP "no changes" from now on.
    assert signatures[BUSINESS_FIELD].docmdp_level == MDPPerm.NO_CHANGES
    assert signatures[BUSINESS_FIELD].fieldmdp.action == FieldMDPAction.ALL
    assert signatures[AUTHORITY_FIELD].docmdp_level == MDPPerm.FILL_FORMS
    # Signing did not move the fields.
    assert find_signature_fields(final) == find_signature_fields(prepared)

    # The lock holds: any later form change (here a new field) breaks the business signature.
    writer = IncrementalPdfFileWriter(io.BytesIO(final))
    append_signature_field(writer, SigFieldSpec(sig_field_name="Sig_Extra", box=(0, 0, 50, 20)))
    changed = io.BytesIO()
    writer.write(changed)
    sig = PdfFileReader(changed).embedded_signatures[1]
    assert not validate_pdf_signature(sig, context).docmdp_ok


# --- Placement rules on a synthetic PDF -----------------------------------------------------


def test_type0_font_with_combining_marks_and_clipping_at_the_page_edge():
    content = (
        b"BT /F1 12 Tf 72 760 Td (Tran Van Long) Tj ET\n"  # the parties section
        b"BT /F2 12 Tf 72 740 Td " + _TYPE0_NAME + b" Tj ET\n"
        b"BT /F2 12 Tf 100 200 Td " + _TYPE0_NAME + b" Tj ET\n"  # signature block, left
        b"BT /F1 12 Tf 480 200 Td [(Tran) -50 ( Van Long)] TJ ET\n"  # near the right edge
    )
    pdf = _tiny_pdf(content)
    fields = find_signature_fields(
        prepare_signable_pdf(pdf, anchors={"authority": "Nguyễn Ánh", "business": "Tran Van Long"})
    )
    _page, (x1, y1, x2, y2) = fields[AUTHORITY_FIELD]
    assert (x1 + x2) / 2 == pytest.approx(100 + _TYPE0_WIDTH / 2, abs=0.05)
    assert x2 - x1 == pytest.approx(200, abs=0.05)
    # Hanging from the top of the anchor's line (0.9 em above its baseline).
    assert y2 == pytest.approx(200 + 0.9 * 12, abs=0.05)
    assert y2 - y1 == pytest.approx(FIELD_HEIGHT, abs=0.05)
    _page, (x1, y1, x2, y2) = fields[BUSINESS_FIELD]
    assert x2 == pytest.approx(595)  # clipped to the page
    name_centre = 480 + (13 * 600 / 1000 * 12 + 50 / 1000 * 12) / 2
    assert x1 == pytest.approx(name_centre - 100, abs=0.05)
    assert y2 == pytest.approx(200 + 0.9 * 12, abs=0.05), "the last occurrence, not the first"


def test_fields_of_two_close_names_do_not_overlap():
    content = (
        b"BT /F1 12 Tf 200 100 Td (Tran Van Long) Tj ET\n"
        b"BT /F1 12 Tf 320 100 Td (Le Thi Mai) Tj ET\n"
    )
    fields = find_signature_fields(
        prepare_signable_pdf(
            _tiny_pdf(content), anchors={"authority": "Tran Van Long", "business": "Le Thi Mai"}
        )
    )
    (_p, left), (_q, right) = fields[AUTHORITY_FIELD], fields[BUSINESS_FIELD]
    assert left[2] < right[0]


# --- Bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a pdf at all",
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\n%%EOF\n",
        b"%PDF-1.7\n" + bytes(range(256)) * 20,
        _tiny_pdf(b"BT /F1 12 Tf 72 700 Td (Tran Van Long) Tj ET")[:200],
        # Readable text, but an xref table pointing to the wrong offsets.
        _tiny_pdf(b"BT /F1 12 Tf 72 700 Td (Tran Van Long) Tj ET").replace(
            b"0000000009 00000 n", b"0000000019 00000 n"
        ),
    ],
    ids=["empty", "text", "no-pages", "binary-noise", "truncated", "bad-xref"],
)
def test_garbage_is_a_clear_error_not_a_crash(data):
    with pytest.raises(SignatureFieldError):
        prepare_signable_pdf(data, anchors={"authority": "Tran Van Long", "business": "Tran"})
    # Reading fields back either finds none in what is left or refuses the file.
    with contextlib.suppress(SignatureFieldError):
        assert find_signature_fields(data) == {}


def test_truncated_real_mou_is_a_clear_error(mou_pdf):
    with pytest.raises(SignatureFieldError):
        prepare_signable_pdf(mou_pdf[: len(mou_pdf) // 2])
