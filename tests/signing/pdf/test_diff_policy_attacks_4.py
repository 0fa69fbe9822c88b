"""Fourth round of attacks on the allow-list and its unambiguous reading (unambiguous.py).

See test_diff_policy_attacks.py, _2.py and _3.py for the earlier rounds and the helpers. Each
test builds incremental updates on a signed MoU and asserts the desired behaviour; the holes
found are marked xfail(strict=True) with the reason "HOLE: …".

The main finding is a new way to make PDFium rebuild the cross-reference while pyHanko reads
the file as written, and a family of object headers that PDFium's rebuild scanner finds but
unambiguous._OBJECT_HEADER does not:

- the last `startxref` value written with an underscore ("2_38080"): pyHanko reads it with
  Python's int() (reader.process_data_at_eof), which accepts the underscore, even when strict;
  PDFium cannot read the number, finds no cross-reference and rebuilds it by scanning the
  whole file. The startxref line is in no cross-reference table, so _table_well_formed never
  sees it;
- an object header with a comment between its tokens ("12 0 %x\\nobj"), a generation of six
  digits ("12 000000 obj"), an object number of eleven digits ("00000000012 0 obj"), a
  trailing dot ("12. 0 obj", "12 0. obj") or a sign ("12 +0 obj"): PDFium's scanner reads
  each as the header of object 12; the regular expression misses them, so _bodies_listed
  finds no unlisted body.

Together: an update that writes nothing pyHanko sees, holding (unlisted, with such a header)
a new body for any object: the allow-list, pyHanko's strict reader and its DEFAULT_DIFF_POLICY
all say "nothing changed", PDFium reads the planted body. visual.py still catches what changes
the page; what does not (the document's title, which the MoU asks viewers to show in the
title bar, a document-level JavaScript) passes verification and both upload checks.
"""

import io

import pypdfium2.raw as pdfium_c
import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from partnerships.core import pdfium
from partnerships.documents.engine.fields import AUTHORITY_FIELD
from partnerships.signing.pdf import modifications, pades
from partnerships.signing.pdf.authority_rule import DEFAULT_AUTHORITY_RULE
from partnerships.signing.pdf.unambiguous import StrictReading
from partnerships.signing.pdf.upload import check_authority_upload, check_business_upload
from partnerships.signing.pdf.verify import verify_pdf
from tests.signing.pdf.pki import BUSINESS_TAX_CODE
from tests.signing.pdf.test_authority_upload import BEN_LUC
from tests.signing.pdf.test_diff_policy_attacks import flagged_by_default_policy
from tests.signing.pdf.test_diff_policy_attacks_2 import _appearance_ref, _startxref
from tests.signing.pdf.test_diff_policy_attacks_3 import (
    _forged_stamp_body,
    _page_pixels,
    _reader,
    _trailer_parts,
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


@pytest.fixture
def authority_upload(flow, pki):
    def check(uploaded):
        return check_authority_upload(
            flow.signable,
            uploaded,
            trust_roots=pki.trust_roots,
            authority=BEN_LUC,
            rule=DEFAULT_AUTHORITY_RULE,
        )

    return check


def _review(pdf: bytes) -> list[str]:
    modifications.forget_all()
    return [p.code for p in modifications.review(_reader(pdf))]


def _serialised(obj) -> bytes:
    out = io.BytesIO()
    obj.write_to_stream(out, None)
    return out.getvalue()


# --- Helpers: an update PDFium rebuilds ---

# Object headers PDFium's rebuild scanner reads as "n 0 obj" and _OBJECT_HEADER misses.
HIDDEN_HEADERS = {
    "comment_before_obj": b"%d 0 %%x\nobj",
    "comment_after_number": b"%d%%x\n0 obj",
    "six_digit_generation": b"%d 000000 obj",
    "eleven_digit_number": b"%011d 0 obj",
    "number_with_a_dot": b"%d. 0 obj",
    "generation_with_a_dot": b"%d 0. obj",
    "signed_generation": b"%d +0 obj",
}


def underscored(offset: int) -> bytes:
    """`offset` with an underscore after its first digit: int() reads it, PDFium cannot."""
    digits = b"%d" % offset
    return digits[:1] + b"_" + digits[1:]


def rebuilt_through_startxref(
    pdf: bytes,
    planted: list[tuple[int, bytes]],
    header: bytes = HIDDEN_HEADERS["comment_before_obj"],
    *,
    underscore: bool = True,
    after_eof: bool = False,
) -> bytes:
    """One update that writes nothing (its table lists only the free head, to the byte as
    the standard writes it), holding the bodies `planted` [(number, body)] under `header`,
    and whose startxref value holds an underscore. `after_eof`: the bodies go after the
    update's %%EOF (in no region _bodies_listed scans) instead of before its table."""
    root, info, ident, size = _last_trailer(pdf)
    out = bytearray(pdf)
    bodies = b"".join((header % number) + b"\n" + body + b"\nendobj\n" for number, body in planted)
    if not after_eof:
        out += bodies
    xref_at = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %s /Info %s /ID %s /Prev %d >>\n" % (
        size, root, info, ident, _startxref(pdf)
    )  # fmt: skip
    out += b"startxref\n%s\n%%%%EOF\n" % (underscored(xref_at) if underscore else b"%d" % xref_at)
    if after_eof:
        out += bodies
    return bytes(out)


def _last_trailer(pdf: bytes) -> tuple[bytes, bytes, bytes, int]:
    """(/Root, /Info, /ID, /Size) of the last trailer as pyHanko reads it (a table's trailer or
    a cross-reference stream's dictionary)."""
    if b"trailer" in pdf[_startxref(pdf) :]:
        return _trailer_parts(pdf)
    trailer = _reader(pdf).trailer
    root, info = (trailer.raw_get(key).reference for key in ("/Root", "/Info"))
    ident = _serialised(trailer.raw_get("/ID"))
    return (
        b"%d %d R" % (root.idnum, root.generation),
        b"%d %d R" % (info.idnum, info.generation),
        ident,
        int(trailer["/Size"]),
    )


def _object(pdf: bytes, key: str):
    reader = _reader(pdf)
    ref = reader.trailer.raw_get(key).reference
    return ref, reader.get_object(ref)


def title_for_pdfium(pdf: bytes, title: str) -> bytes:
    """The document's /Info planted anew with `title`: the MoU's catalogue sets
    /ViewerPreferences /DisplayDocTitle, so viewers show it as the document's name."""
    info_ref, info = _object(pdf, "/Info")
    planted = generic.DictionaryObject(dict(info))
    planted[pdf_name("/Title")] = generic.TextStringObject(title)
    return rebuilt_through_startxref(pdf, [(info_ref.idnum, _serialised(planted))])


JAVASCRIPT = "app.alert('This memorandum was cancelled. Call +84 28 0000 0000.');"


def javascript_for_pdfium(pdf: bytes) -> bytes:
    """The catalogue planted anew with a document-level JavaScript (/Names /JavaScript)."""
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
    return rebuilt_through_startxref(pdf, [(root_ref.idnum, _serialised(planted))])


def _pdfium_title(pdf: bytes) -> str:
    with pdfium.document(pdf) as document:
        return document.get_metadata_value("Title")


def _pdfium_scripts(pdf: bytes) -> int:
    with pdfium.document(pdf) as document:
        return pdfium_c.FPDFDoc_GetJavaScriptActionCount(document.raw)


# --- 1. The differential itself ---


@pytest.mark.parametrize("header", sorted(HIDDEN_HEADERS))
def test_headers_pdfium_finds_when_it_rebuilds(flow, header):
    """Each header: PDFium (rebuilding through the underscored startxref) draws the planted
    stamp, while pyHanko reads the signed one (the differential the layout check closes)."""
    stamp = _appearance_ref(flow.archived, AUTHORITY_FIELD)
    forged = rebuilt_through_startxref(
        flow.archived, [(stamp.idnum, _forged_stamp_body())], HIDDEN_HEADERS[header]
    )

    assert _page_pixels(forged, 1) != _page_pixels(flow.archived, 1)
    strict = _reader(forged, strict=True)
    assert strict.get_object(stamp).data == _reader(flow.archived).get_object(stamp).data


@pytest.mark.parametrize("header", sorted(HIDDEN_HEADERS))
def test_the_allow_list_refuses_a_body_under_a_hidden_header(flow, header):
    stamp = _appearance_ref(flow.archived, AUTHORITY_FIELD)
    forged = rebuilt_through_startxref(
        flow.archived, [(stamp.idnum, _forged_stamp_body())], HIDDEN_HEADERS[header]
    )

    assert _review(forged), "the allow-list found nothing"


def test_a_plain_body_after_the_last_eof(flow):
    stamp = _appearance_ref(flow.archived, AUTHORITY_FIELD)
    forged = rebuilt_through_startxref(
        flow.archived, [(stamp.idnum, _forged_stamp_body())], b"%d 0 obj", after_eof=True
    )

    assert _page_pixels(forged, 1) != _page_pixels(flow.archived, 1)
    assert _review(forged), "the allow-list found nothing"


def test_the_underscored_startxref_alone_with_a_plain_header_is_refused(verify, flow):
    """Control: the same update with a plain header before its table: the header scan
    finds the unlisted body (and the page differs)."""
    stamp = _appearance_ref(flow.archived, AUTHORITY_FIELD)
    forged = rebuilt_through_startxref(
        flow.archived, [(stamp.idnum, _forged_stamp_body())], b"%d 0 obj"
    )

    assert "object_changed" in _review(forged)
    assert not verify(forged).ok


def test_a_hidden_stamp_is_still_caught_by_the_page_comparison(verify, flow):
    """What changes the page: the allow-list sees nothing (above), visual.py alone refuses."""
    stamp = _appearance_ref(flow.archived, AUTHORITY_FIELD)
    forged = rebuilt_through_startxref(flow.archived, [(stamp.idnum, _forged_stamp_body())])

    assert not flagged_by_default_policy(forged)
    verdict = verify(forged)
    assert not verdict.ok
    assert "visible_difference" in verdict.codes


# --- 2. What PDFium reads and no page shows: verification ---


def test_the_document_title_replaced_for_pdfium(verify, flow):
    forged = title_for_pdfium(flow.archived, "HỦY BỎ - Biên bản đã bị thu hồi")

    assert _pdfium_title(forged) != _pdfium_title(flow.archived)
    verdict = verify(forged)
    assert not verdict.ok, verdict.as_dict()


def test_a_document_javascript_planted_for_pdfium(verify, flow):
    forged = javascript_for_pdfium(flow.archived)

    assert _pdfium_scripts(forged) == 1 and _pdfium_scripts(flow.archived) == 0
    verdict = verify(forged)
    assert not verdict.ok, verdict.as_dict()


# --- 3. The upload checks ---


def test_the_business_upload_with_a_javascript_planted_for_pdfium(business_upload, flow):
    forged = javascript_for_pdfium(flow.business_signed)

    assert _pdfium_scripts(forged) == 1
    verdict = business_upload(forged)
    assert not verdict.accepted, verdict.as_dict()


def test_the_authority_upload_with_a_title_planted_for_pdfium(authority_upload, flow):
    forged = title_for_pdfium(flow.certified, "HỦY BỎ")

    assert _pdfium_title(forged) == "HỦY BỎ"
    verdict = authority_upload(forged)
    assert not verdict.accepted, verdict.as_dict()


def test_the_business_upload_with_a_hidden_stamp_is_refused(business_upload, flow):
    """Through the same trick, the authority's stamp replaced: the page comparison refuses."""
    stamp = _appearance_ref(flow.business_signed, AUTHORITY_FIELD)
    forged = rebuilt_through_startxref(flow.business_signed, [(stamp.idnum, _forged_stamp_body())])

    verdict = business_upload(forged)
    assert not verdict.accepted, verdict.as_dict()


# --- 4. Object streams in a reviewed update ---


def dss_update_in_an_object_stream(pdf: bytes) -> bytes:
    """Validation data as some tools write it: a cross-reference stream, the new VRI entry
    and the DSS dictionary in an object stream, a copy of a certificate as a new stream."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    writer.stream_xrefs = True
    object_stream = writer.prepare_object_stream()
    dss_ref = writer.root.raw_get("/DSS")
    dss = dss_ref.get_object()
    cert = dss["/Certs"][0].get_object()
    cert_copy = writer.add_object(generic.StreamObject(stream_data=cert.data))
    entry = writer.add_object(
        generic.DictionaryObject({pdf_name("/Cert"): generic.ArrayObject([cert_copy])}),
        obj_stream=object_stream,
    )
    vri = dss.get("/VRI")
    if vri is None:
        vri = generic.DictionaryObject()
        dss[pdf_name("/VRI")] = writer.add_object(vri, obj_stream=object_stream)
    else:
        vri = vri.get_object() if isinstance(vri, generic.IndirectObject) else vri
    vri[pdf_name("/" + "CD" * 20)] = entry
    writer.update_container(dss)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_genuine_lta_update_written_with_object_streams(verify, flow, pki):
    """Validation data in an object stream and a cross-reference stream, then an archive
    timestamp (pyHanko writes it as a cross-reference stream too): accepted."""
    with_dss = dss_update_in_an_object_stream(flow.business_signed)
    assert _reader(with_dss).xrefs.object_streams_used_in(
        _reader(with_dss).xrefs.total_revisions - 1
    )
    archived = pades.add_archive_timestamp(
        with_dss, tsa_url=pki.tsa_url, trust_roots=pki.trust_roots
    )

    assert _review(with_dss) == []
    assert _review(archived) == []
    verdict = verify(archived)
    assert verdict.ok, verdict.as_dict()


def test_a_hidden_header_after_an_object_stream_update(flow):
    """The object-stream update above, then the catalogue planted for PDFium (the trick of
    section 1 needs no table: the startxref value is what PDFium refuses)."""
    with_dss = dss_update_in_an_object_stream(flow.business_signed)
    forged = javascript_for_pdfium(with_dss)

    assert _review(with_dss) == []
    assert _pdfium_scripts(forged) == 1
    assert _review(forged), "the allow-list found nothing"


# --- 5. Denial of service ---


def many_objects(pdf: bytes, count: int) -> bytes:
    """One update writing `count` tiny objects ("n 0 obj null endobj"), well-formed."""
    root, info, ident, size = _trailer_parts(pdf)
    out, offsets = bytearray(pdf), []
    for i in range(count):
        offsets.append(len(out))
        out += b"%d 0 obj null endobj\n" % (size + i)
    xref_at = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n%d %d\n" % (size, count)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %s /Info %s /ID %s /Prev %d >>\n" % (
        size + count, root, info, ident, _startxref(pdf)
    )  # fmt: skip
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def test_an_update_with_too_many_objects_is_not_read_again(flow, monkeypatch):
    """150,000 objects in one update took 6 s to read again strictly: the bound on changed
    objects now comes first, and the update is not read again at all."""
    forged = many_objects(flow.archived, 150_000)
    reader = _reader(forged)
    read_again = []
    monkeypatch.setattr(
        StrictReading, "reads", lambda self, number: read_again.append(number) or True
    )

    found = modifications.review(reader)

    assert [p.code for p in found] == ["too_many_objects"]
    assert reader.xrefs.total_revisions - 1 not in read_again


def test_an_update_full_of_near_headers_is_refused(flow):
    """Millions of "0 0 ob" in one update: not its listed objects, so not laid out plainly."""
    root, info, ident, size = _trailer_parts(flow.archived)
    out = bytearray(flow.archived) + b"0 0 ob\n" * 2_500_000
    xref_at = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %s /Info %s /ID %s /Prev %d >>\n" % (
        size, root, info, ident, _startxref(flow.archived)
    )  # fmt: skip
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    reader = _reader(bytes(out))

    assert not StrictReading(reader, bytes(out)).reads(reader.xrefs.total_revisions - 1)
