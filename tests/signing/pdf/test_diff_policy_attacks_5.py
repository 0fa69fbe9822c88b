"""Fifth round of attacks on the unambiguous reading (unambiguous.py).

See _3.py and _4.py for the earlier rounds and the helpers. The holes and false refusals
found are closed (unambiguous.py: a short tail after %%EOF, object streams checked, comment
lines between bodies, `xref\r\n`).

The finding: PDFium looks for `startxref` only in the last 4096 bytes of the file
(CPDF_Parser::ParseStartXRef); pyHanko finds the %%EOF line (lines end at CR or LF only) and
the startxref before it, whatever spaces, tabs, form feeds or NULs follow %%EOF on that line.
unambiguous.py allows any whitespace after the last %%EOF. So "%%EOF" followed by 5000
spaces makes PDFium rebuild the cross-reference by scanning the file, with every body listed
and laid out plainly. The rebuild registers every object of every object stream it meets;
pyHanko reads only the compressed objects the cross-reference stream lists. An object stream
the update legitimately uses (the DSS rewritten, compressed) holds at a further index, listed
nowhere, a new catalogue, /Info or stamp: the allow-list sees the DSS rewritten as it was,
PDFium reads the planted object.
"""

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name

from partnerships.documents.engine.fields import AUTHORITY_FIELD
from partnerships.signing.pdf import modifications
from partnerships.signing.pdf.upload import check_business_upload
from partnerships.signing.pdf.verify import verify_pdf
from tests.signing.pdf.pki import BUSINESS_TAX_CODE
from tests.signing.pdf.test_diff_policy_attacks_2 import _appearance_ref, _startxref
from tests.signing.pdf.test_diff_policy_attacks_3 import (
    _forged_stamp_body,
    _page_pixels,
    _reader,
    _trailer_parts,
    _xref_stream,
)
from tests.signing.pdf.test_diff_policy_attacks_4 import (
    JAVASCRIPT,
    _last_trailer,
    _object,
    _pdfium_scripts,
    _pdfium_title,
    _serialised,
)


@pytest.fixture
def verify(pki):
    def verify(pdf):
        return verify_pdf(pdf, trust_roots=pki.trust_roots)

    return verify


@pytest.fixture
def business_upload(flow, pki):
    def check(uploaded):
        return check_business_upload(
            flow.certified, uploaded, trust_roots=pki.trust_roots, tax_code=BUSINESS_TAX_CODE
        )

    return check


def _review(pdf: bytes) -> list[str]:
    modifications.forget_all()
    return [p.code for p in modifications.review(_reader(pdf))]


# PDFium looks for startxref in the last 4096 bytes only.
PAST_PDFIUM = b" " * 5000


def hidden_in_object_stream(pdf: bytes, planted, pad: bytes = PAST_PDFIUM) -> bytes:
    """An update written as a cross-reference stream: the DSS dictionary rewritten as it is,
    compressed at index 0 of a new object stream; the bodies `planted` [(number, body)] at
    the next indices of that object stream, listed in no section; then `pad` after %%EOF."""
    reader = _reader(pdf)
    dss_ref = reader.root.raw_get("/DSS").reference
    items = [(dss_ref.idnum, _serialised(reader.get_object(dss_ref))), *planted]
    pairs, body = [], b""
    for number, data in items:
        pairs.append(b"%d %d" % (number, len(body)))
        body += data + b"\n"
    header = b" ".join(pairs) + b"\n"
    root, info, ident, size = _last_trailer(pdf)
    objstm, xref_number = size, size + 1
    out = bytearray(pdf)
    objstm_at = len(out)
    out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Length %d >>\nstream\n%s%s\nendstream\nendobj\n" % (  # noqa: E501
        objstm, len(items), len(header), len(header) + len(body), header, body
    )  # fmt: skip
    xref_at = len(out)
    entries = [
        (dss_ref.idnum, 2, objstm, 0),
        (objstm, 1, objstm_at, 0),
        (xref_number, 1, xref_at, 0),
    ]
    extra = b"/Root %s /Info %s /ID %s /Prev %d " % (root, info, ident, _startxref(pdf))
    out += _xref_stream(xref_number, entries, size + 2, extra)
    out += b"startxref\n%d\n%%%%EOF%s" % (xref_at, pad)
    return bytes(out)


def title_hidden(pdf: bytes, title: str, pad: bytes = PAST_PDFIUM) -> bytes:
    info_ref, info = _object(pdf, "/Info")
    planted = generic.DictionaryObject(dict(info))
    planted[pdf_name("/Title")] = generic.TextStringObject(title)
    return hidden_in_object_stream(pdf, [(info_ref.idnum, _serialised(planted))], pad)


def javascript_hidden(pdf: bytes, pad: bytes = PAST_PDFIUM) -> bytes:
    root_ref, catalogue = _object(pdf, "/Root")
    planted = generic.DictionaryObject(dict(catalogue))
    action = generic.DictionaryObject(
        {
            pdf_name("/S"): pdf_name("/JavaScript"),
            pdf_name("/JS"): generic.TextStringObject(JAVASCRIPT),
        }
    )
    planted[pdf_name("/Names")] = generic.DictionaryObject(
        {
            pdf_name("/JavaScript"): generic.DictionaryObject(
                {pdf_name("/Names"): generic.ArrayObject([generic.TextStringObject("x"), action])}
            )
        }
    )
    return hidden_in_object_stream(pdf, [(root_ref.idnum, _serialised(planted))], pad)


# --- 1. The differential: whitespace after the last %%EOF -------------------------------------


@pytest.mark.parametrize("pad", [b" " * 5000, b"\x00" * 5000, b"\t" * 5000, b"\f" * 5000])
def test_whitespace_after_eof_makes_pdfium_rebuild(flow, pad):
    """pyHanko (strict) reads the signed stamp; PDFium, finding no startxref in the last
    4096 bytes, rebuilds and takes the stamp from the object stream."""
    stamp = _appearance_ref(flow.archived, AUTHORITY_FIELD)
    forged = hidden_in_object_stream(flow.archived, [(stamp.idnum, _forged_stamp_body())], pad)

    strict = _reader(forged, strict=True)
    assert strict.get_object(stamp).data == _reader(flow.archived).get_object(stamp).data
    assert _page_pixels(forged, 1) != _page_pixels(flow.archived, 1)


def test_an_unlisted_object_in_an_object_stream_is_refused_without_the_padding(verify, flow):
    """The same update ending in one newline: PDFium follows the cross-reference stream and
    ignores the planted catalogue, but the object stream holds an object its section does
    not list, which a rebuilding reader would take: refused all the same."""
    forged = javascript_hidden(flow.archived, pad=b"\n")

    assert _pdfium_scripts(forged) == 0
    assert _review(forged) == ["object_changed"]
    assert not verify(forged).ok


def test_the_allow_list_refuses_a_padded_update_hiding_an_object(flow):
    stamp = _appearance_ref(flow.archived, AUTHORITY_FIELD)
    forged = hidden_in_object_stream(flow.archived, [(stamp.idnum, _forged_stamp_body())])

    assert _review(forged), "the allow-list found nothing"


def test_a_hidden_stamp_is_caught_by_the_page_comparison(verify, flow):
    stamp = _appearance_ref(flow.archived, AUTHORITY_FIELD)
    forged = hidden_in_object_stream(flow.archived, [(stamp.idnum, _forged_stamp_body())])

    verdict = verify(forged)
    assert not verdict.ok
    assert "visible_difference" in verdict.codes


# --- 2. What no page shows ----------------------------------------------------------------------


def test_a_javascript_hidden_behind_whitespace_after_eof(verify, flow):
    forged = javascript_hidden(flow.archived)

    assert _pdfium_scripts(forged) == 1 and _pdfium_scripts(flow.archived) == 0
    verdict = verify(forged)
    assert not verdict.ok, verdict.as_dict()


def test_a_title_hidden_behind_whitespace_after_eof(verify, flow):
    forged = title_hidden(flow.archived, "HỦY BỎ - Biên bản đã bị thu hồi")

    assert _pdfium_title(forged) == "HỦY BỎ - Biên bản đã bị thu hồi"
    verdict = verify(forged)
    assert not verdict.ok, verdict.as_dict()


def test_the_business_upload_with_a_javascript_hidden_behind_whitespace(business_upload, flow):
    forged = javascript_hidden(flow.business_signed)

    assert _pdfium_scripts(forged) == 1
    verdict = business_upload(forged)
    assert not verdict.accepted, verdict.as_dict()


# --- 3. False refusals: layouts genuine writers use -------------------------------------------


def dss_rewritten(pdf: bytes, *, eol: bytes = b"\n", between: bytes = b"", after: bytes = b"\n"):
    """A table update rewriting the DSS dictionary as it is: `between` before its body (a
    comment line some writers put there), `eol` as the line end, `after` after %%EOF."""
    reader = _reader(pdf)
    dss_ref = reader.root.raw_get("/DSS").reference
    root, info, ident, size = _trailer_parts(pdf)
    out = bytearray(pdf) + between
    at = len(out)
    out += b"%d 0 obj" % dss_ref.idnum + eol + _serialised(reader.get_object(dss_ref)) + eol
    out += b"endobj" + eol
    xref_at = len(out)
    entry_end = b"\r\n" if eol == b"\r\n" else b" \n"
    out += b"xref" + eol + b"0 1" + eol + b"0000000000 65535 f" + entry_end
    out += b"%d 1" % dss_ref.idnum + eol + b"%010d 00000 n" % at + entry_end
    out += b"trailer" + eol
    out += b"<< /Size %d /Root %s /Info %s /ID %s /Prev %d >>" % (
        size, root, info, ident, _startxref(pdf)
    )  # fmt: skip
    out += eol + b"startxref" + eol + b"%d" % xref_at + eol + b"%%EOF" + after
    return bytes(out)


@pytest.mark.parametrize(
    "layout",
    [
        {},
        pytest.param({"eol": b"\r\n"}),
        {"eol": b"\r"},
        {"after": b"\r\n"},
        {"after": b""},
        {"after": b"\x00" * 16},
    ],
    ids=["lf", "crlf", "cr", "crlf_after_eof", "nothing_after_eof", "nul_padding"],
)
def test_plain_layouts_of_a_genuine_update_are_accepted(flow, layout):
    assert _review(dss_rewritten(flow.archived, **layout)) == []


def test_a_comment_line_before_the_first_body_is_accepted(flow):
    assert _review(dss_rewritten(flow.archived, between=b"%comment written by a tool\n")) == []
