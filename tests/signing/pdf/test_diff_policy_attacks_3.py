"""Third round of attacks on the allow-list that answers pyHanko's difference analysis.

See test_diff_policy_attacks.py and test_diff_policy_attacks_2.py for the first two rounds and
the helpers. Each test builds one or more incremental updates on a signed MoU and asserts the
desired behaviour: `not verdict.ok`, or the upload refused. The holes found are closed.

The main finding is a parser differential of a new kind: not which object pyHanko and PDFium
pick from an xref both read, but PDFium giving up on the xref altogether. PDFium refuses a
cross-reference table entry whose ten-digit offset holds anything but digits when it reads as
0 ("0_00096920"); it then rebuilds the cross-reference by scanning the file, the last
"N 0 obj" of each number winning. pyHanko reads the same entry with Python's int(), which
accepts the underscore (int(b"0_00096920") == 96920), even when strict. An update whose table
rewrites the /Info dictionary in place through such an entry, and which also holds, unlisted,
a new body for the authority's stamp, is "nothing changed" for pyHanko (the allow-list, its
strict reading, and pyHanko's own DEFAULT_DIFF_POLICY alike), while PDFium draws the planted
stamp; visual.py masks the signature widgets, so it sees nothing either.
"""

import io
import re

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields as sig_fields
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.timestamps import HTTPTimeStamper

from partnerships.documents.engine.fields import AUTHORITY_FIELD, BUSINESS_FIELD
from partnerships.signing.pdf import modifications, visual
from partnerships.signing.pdf.authority_rule import DEFAULT_AUTHORITY_RULE
from partnerships.signing.pdf.upload import check_authority_upload, check_business_upload
from partnerships.signing.pdf.verify import verify_pdf
from tests.signing.pdf import attacks
from tests.signing.pdf.pki import BUSINESS_TAX_CODE
from tests.signing.pdf.test_authority_upload import BEN_LUC
from tests.signing.pdf.test_diff_policy_attacks import (
    _field,
    _writer,
    _written,
    default_policy,
    flagged_by_default_policy,
)
from tests.signing.pdf.test_diff_policy_attacks_2 import (
    FORGED_STAMP,
    HELVETICA,
    _appearance_ref,
    _startxref,
    raw_stream,
    raw_update,
    refused_by_default_policy,
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


# --- Helpers ----------------------------------------------------------------------------------


def _reader(pdf: bytes, *, strict: bool = False) -> PdfFileReader:
    return PdfFileReader(io.BytesIO(pdf), strict=strict)


def _trailer_parts(pdf: bytes) -> tuple[bytes, bytes, bytes, int]:
    """(/Root, /Info as "n g R", /ID, /Size) of the last trailer."""
    trailer = pdf[pdf.rfind(b"trailer") :]
    root = re.search(rb"/Root\s+(\d+\s+\d+\s+R)", trailer).group(1)
    info = re.search(rb"/Info\s+(\d+\s+\d+\s+R)", trailer).group(1)
    ident = re.search(rb"/ID\s*(\[[^\]]*\])", trailer, re.S).group(1)
    size = int(re.search(rb"/Size\s+(\d+)", trailer).group(1))
    return root, info, ident, size


def _page_pixels(pdf: bytes, index: int) -> bytes:
    """Page `index` as PDFium draws it (forms included), as visual.py renders it."""
    from partnerships.core import pdfium

    with pdfium.document(pdf) as document:
        document.init_forms()
        page = document[index]
        bitmap = page.render(scale=1.0, may_draw_forms=True)
        try:
            return bytes(bitmap.buffer)
        finally:
            bitmap.close()
            page.close()


def _forged_stamp_body() -> bytes:
    return raw_stream(
        b"/Type /XObject /Subtype /Form /BBox [0 0 200 72] " + HELVETICA, FORGED_STAMP
    )


# --- 1. PDFium rebuilds the cross-reference; pyHanko does not ------------------------------------


def rebuilt_by_pdfium(pdf: bytes, planted: list[tuple[int, bytes]]) -> bytes:
    """One update, written by hand: the bodies `planted` [(number, body)] (generation 0),
    listed in no cross-reference section, then a table that "rewrites" the /Info dictionary
    where it already is, its offset written with an underscore ("0_00096920").

    pyHanko (lenient and strict) reads the offset with int() and sees /Info rewritten as it
    was: nothing changed. PDFium finds a non-digit in an offset that reads as 0, refuses the
    table and rebuilds the cross-reference by scanning the file: the planted bodies, last in
    the file, replace the objects of the same numbers."""
    reader = _reader(pdf)
    info_ref = reader.trailer.raw_get("/Info").reference
    offset = reader.xrefs[info_ref]
    assert isinstance(offset, int)
    digits = b"%010d" % offset
    assert digits[1:2] == b"0"  # the underscore replaces a leading zero
    disguised = digits[:1] + b"_" + digits[2:]
    root, info, ident, size = _trailer_parts(pdf)
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    for number, body in planted:
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n%d 1\n%s %05d n \n" % (
        info_ref.idnum,
        disguised,
        info_ref.generation,
    )
    out += b"trailer\n<< /Size %d /Root %s /Info %s /ID %s /Prev %d >>\n" % (
        size, root, info, ident, _startxref(pdf)
    )  # fmt: skip
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def stamp_planted_for_pdfium(pdf: bytes, field: str) -> bytes:
    """The stamp of `field` (its /AP /N) planted anew, white with REVOKED, for PDFium only."""
    stamp = _appearance_ref(pdf, field)
    return rebuilt_by_pdfium(pdf, [(stamp.idnum, _forged_stamp_body())])


def test_pdfium_draws_the_planted_stamp_and_pyhanko_reads_the_file_unchanged(flow):
    """The differential itself: PDFium draws the planted stamp (page 2 differs from the
    archived file), pyHanko (even strict) reads the stamp as signed and its standard policy
    sees nothing after the archive timestamp; the allow-list refuses the update (its table
    is malformed, and it holds a body its section does not list: unambiguous.py)."""
    forged = stamp_planted_for_pdfium(flow.archived, AUTHORITY_FIELD)
    stamp = _appearance_ref(flow.archived, AUTHORITY_FIELD)

    assert _page_pixels(forged, 1) != _page_pixels(flow.archived, 1)
    strict = _reader(forged, strict=True)
    assert strict.get_object(stamp).data == _reader(flow.archived).get_object(stamp).data
    assert not flagged_by_default_policy(forged), default_policy(forged)
    assert [p.code for p in modifications.review(_reader(forged))] == ["object_changed"]


@pytest.mark.parametrize("field", [AUTHORITY_FIELD, BUSINESS_FIELD])
def test_a_stamp_replaced_through_a_cross_reference_pdfium_rebuilds(verify, flow, field):
    forged = stamp_planted_for_pdfium(flow.archived, field)

    verdict = verify(forged)
    assert not verdict.ok, verdict.as_dict()


def test_the_business_upload_with_the_authority_stamp_replaced_for_pdfium(business_upload, flow):
    """The business's tool appends, after its signature (where validation data may go), the
    update above: the authority's stamp says REVOKED in every viewer built on PDFium."""
    forged = stamp_planted_for_pdfium(flow.business_signed, AUTHORITY_FIELD)

    assert _page_pixels(forged, 1) != _page_pixels(flow.business_signed, 1)
    verdict = business_upload(forged)
    assert not verdict.accepted, verdict.as_dict()


def test_an_unlisted_body_is_refused_even_where_pdfium_ignores_it(verify, flow):
    """The same update with a well-formed offset: PDFium keeps the xref, ignores the unlisted
    body and draws the signed stamp. A body no section lists is refused all the same: a
    reader that rebuilds the table would draw it."""
    stamp = _appearance_ref(flow.archived, AUTHORITY_FIELD)
    reader = _reader(flow.archived)
    info_ref = reader.trailer.raw_get("/Info").reference
    offset = reader.xrefs[info_ref]
    root, info, ident, size = _trailer_parts(flow.archived)
    out = bytearray(flow.archived)
    out += b"%d 0 obj\n%s\nendobj\n" % (stamp.idnum, _forged_stamp_body())
    xref_at = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (info_ref.idnum, offset)
    out += b"trailer\n<< /Size %d /Root %s /Info %s /ID %s /Prev %d >>\n" % (
        size, root, info, ident, _startxref(flow.archived)
    )  # fmt: skip
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    control = bytes(out)

    assert _page_pixels(control, 1) == _page_pixels(flow.archived, 1)
    assert "object_changed" in verify(control).codes


# --- 2. Hybrid-reference updates, object streams, dead free entries ------------------------------


def _xref_stream(number: int, entries, size: int, extra: bytes = b"") -> bytes:
    """An uncompressed cross-reference stream object: entries [(number, type, field 2, field 3)]
    with /W [1 4 2]."""
    entries = sorted(entries)
    data = b"".join(
        bytes([kind]) + two.to_bytes(4, "big") + three.to_bytes(2, "big")
        for _n, kind, two, three in entries
    )
    index = b" ".join(b"%d 1" % n for n, *_ in entries)
    return b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Index [%s] /Length %d %s>>\nstream\n%s\nendstream\nendobj\n" % (  # noqa: E501
        number, size, index, len(data), extra, data
    )  # fmt: skip


def hybrid_update(pdf: bytes, *, table_points_to_new: bool) -> bytes:
    """A hybrid-reference update: the authority's stamp written anew (REVOKED), its number
    listed both in the table and in the /XRefStm stream, one of them pointing to the new body,
    the other to the signed one."""
    stamp = _appearance_ref(pdf, AUTHORITY_FIELD)
    old = _reader(pdf).xrefs[stamp]
    root, info, ident, size = _trailer_parts(pdf)
    out = bytearray(pdf)
    new = len(out)
    out += b"%d 0 obj\n%s\nendobj\n" % (stamp.idnum, _forged_stamp_body())
    in_table, in_stream = (new, old) if table_points_to_new else (old, new)
    stream_number = size
    stream_at = len(out)
    out += _xref_stream(stream_number, [(stamp.idnum, 1, in_stream, 0)], size + 1)
    xref_at = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (stamp.idnum, in_table)
    out += b"trailer\n<< /Size %d /Root %s /Info %s /ID %s /Prev %d /XRefStm %d >>\n" % (
        size + 1, root, info, ident, _startxref(pdf), stream_at
    )  # fmt: skip
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def test_a_hybrid_update_whose_table_rewrites_the_stamp(verify, flow):
    """Table: the new stamp; /XRefStm: the signed one. The table wins for pyHanko and PDFium
    alike: a change, refused."""
    forged = hybrid_update(flow.archived, table_points_to_new=True)

    assert refused_by_default_policy(forged)
    verdict = verify(forged)
    assert not verdict.ok
    assert "object_changed" in verdict.codes


def test_a_hybrid_update_whose_xref_stream_rewrites_the_stamp_is_drawn_as_signed(verify, flow):
    """Table: the signed stamp; /XRefStm: the new one. pyHanko and PDFium both let the table
    win (ISO 32000-2, 7.5.8.4): the stamp is drawn as signed. The update rewrites the stamp
    "identically" and is let through, which is harmless; it must never be drawn."""
    forged = hybrid_update(flow.archived, table_points_to_new=False)

    assert _page_pixels(forged, 1) == _page_pixels(flow.archived, 1)
    verdict = verify(forged)
    assert verdict.ok or "object_changed" in verdict.codes


def field_through_an_object_stream(pdf: bytes, *, index: int) -> bytes:
    """An update written as a cross-reference stream whose only change is the authority's
    widget, in a new object stream that lists its number twice: first the field as signed,
    then the field without its /AP (the stamp not drawn). The xref stream points at entry
    `index`. pyHanko (lenient) takes the first entry of that number, PDFium the entry at the
    index."""
    field_ref = _field(_writer(pdf), AUTHORITY_FIELD).reference
    reader = _reader(pdf)
    field = reader.get_object(field_ref)
    signed = io.BytesIO()
    field.write_to_stream(signed, None)
    stripped = generic.DictionaryObject({k: v for k, v in field.items() if k != "/AP"})
    bare = io.BytesIO()
    stripped.write_to_stream(bare, None)
    first, second = signed.getvalue(), bare.getvalue()
    header = b"%d 0 %d %d " % (field_ref.idnum, field_ref.idnum, len(first) + 1)
    body = first + b" " + second
    root, info, ident, size = _trailer_parts(pdf)
    objstm_number, xref_number = size, size + 1
    out = bytearray(pdf)
    objstm_at = len(out)
    out += b"%d 0 obj\n<< /Type /ObjStm /N 2 /First %d /Length %d >>\nstream\n%s%s\nendstream\nendobj\n" % (  # noqa: E501
        objstm_number, len(header), len(header) + len(body), header, body
    )  # fmt: skip
    xref_at = len(out)
    entries = [
        (field_ref.idnum, 2, objstm_number, index),
        (objstm_number, 1, objstm_at, 0),
        (xref_number, 1, xref_at, 0),
    ]
    extra = b"/Root %s /Info %s /ID %s /Prev %d " % (root, info, ident, _startxref(pdf))
    out += _xref_stream(xref_number, entries, size + 2, extra)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


@pytest.mark.parametrize("index", [0, 1])
def test_a_field_in_an_object_stream_listing_its_number_twice(verify, flow, index):
    """index 1: pyHanko's lenient reader sees the signed field, PDFium the bare one (no stamp,
    masked by visual.py); the strict reading refuses the object at the wrong index.
    index 0: both read the signed field (the update changes nothing)."""
    forged = field_through_an_object_stream(flow.archived, index=index)

    verdict = verify(forged)
    if index == 1:
        assert _page_pixels(forged, 1) != _page_pixels(flow.archived, 1)
        assert not verdict.ok, verdict.as_dict()
        assert "object_changed" in verdict.codes
    else:
        assert _page_pixels(forged, 1) == _page_pixels(flow.archived, 1)


def test_a_free_entry_whose_next_generation_is_zero(verify, flow):
    """The authority's stamp freed with next generation 0 ("dead"): PDFium drops it (inside the
    masked rectangle); pyHanko does not count it as freed (refs_freed_in_revision skips
    generation 0)."""
    stamp = _appearance_ref(flow.archived, AUTHORITY_FIELD)
    root, info, ident, size = _trailer_parts(flow.archived)
    out = bytearray(flow.archived)
    xref_at = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n%d 1\n0000000000 00000 f \n" % stamp.idnum
    out += b"trailer\n<< /Size %d /Root %s /Info %s /ID %s /Prev %d >>\n" % (
        size, root, info, ident, _startxref(flow.archived)
    )  # fmt: skip
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    forged = bytes(out)

    assert refused_by_default_policy(forged)
    verdict = verify(forged)
    assert not verdict.ok, verdict.as_dict()
    assert "object_changed" in verdict.codes


def test_a_hybrid_stream_freeing_the_stamp(verify, flow):
    """The /XRefStm of a hybrid update frees the authority's stamp (the table says nothing of
    it): pyHanko's refs_freed_in_revision looks only at the table, PDFium drops the stamp."""
    stamp = _appearance_ref(flow.archived, AUTHORITY_FIELD)
    root, info, ident, size = _trailer_parts(flow.archived)
    out = bytearray(flow.archived)
    stream_at = len(out)
    out += _xref_stream(size, [(stamp.idnum, 0, 0, 1)], size + 1)
    xref_at = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %s /Info %s /ID %s /Prev %d /XRefStm %d >>\n" % (
        size + 1, root, info, ident, _startxref(flow.archived), stream_at
    )  # fmt: skip
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    forged = bytes(out)

    assert _page_pixels(forged, 1) != _page_pixels(flow.archived, 1)
    verdict = verify(forged)
    assert not verdict.ok, verdict.as_dict()
    assert "object_changed" in verdict.codes


def test_an_object_stream_redefining_an_object_the_table_defines(verify, flow):
    """Hybrid: the table lists the authority's widget where it was signed; the /XRefStm lists
    the same number inside a new object stream, without its /AP. The table wins for both
    readers; the object stream is an unreferenced new object."""
    pdf = flow.archived
    field_ref = _field(_writer(pdf), AUTHORITY_FIELD).reference
    reader = _reader(pdf)
    field = reader.get_object(field_ref)
    bare = io.BytesIO()
    generic.DictionaryObject({k: v for k, v in field.items() if k != "/AP"}).write_to_stream(
        bare, None
    )
    header = b"%d 0 " % field_ref.idnum
    root, info, ident, size = _trailer_parts(pdf)
    out = bytearray(pdf)
    objstm_at = len(out)
    out += b"%d 0 obj\n<< /Type /ObjStm /N 1 /First %d /Length %d >>\nstream\n%s%s\nendstream\nendobj\n" % (  # noqa: E501
        size, len(header), len(header) + len(bare.getvalue()), header, bare.getvalue()
    )  # fmt: skip
    stream_at = len(out)
    out += _xref_stream(
        size + 1, [(field_ref.idnum, 2, size, 0), (size, 1, objstm_at, 0)], size + 2
    )
    xref_at = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (
        field_ref.idnum,
        reader.xrefs[field_ref],
    )
    out += b"trailer\n<< /Size %d /Root %s /Info %s /ID %s /Prev %d /XRefStm %d >>\n" % (
        size + 2, root, info, ident, _startxref(pdf), stream_at
    )  # fmt: skip
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    forged = bytes(out)

    assert _page_pixels(forged, 1) == _page_pixels(pdf, 1)  # PDFium: the table wins
    verdict = verify(forged)
    assert not verdict.ok
    assert "object_changed" in verdict.codes


# --- 3. Widgets and kids -------------------------------------------------------------------------


def test_a_visible_grandchild_widget_under_a_new_timestamp_field(verify, flow, pki):
    """A genuine archive timestamp whose new field has a kid that is itself a field with a kid:
    _invisible looks at one level of /Kids only. The grandchild draws a white box over the
    text, appended to the page's /Annots."""
    writer = _writer(flow.archived)
    page_ref, _resources = writer.find_page_for_modification(0)
    field_ref = writer.add_object(
        generic.DictionaryObject(
            {
                pdf_name("/FT"): pdf_name("/Sig"),
                pdf_name("/T"): generic.TextStringObject("Archive_Timestamp_9"),
            }
        )
    )
    middle_ref = writer.add_object(
        generic.DictionaryObject(
            {pdf_name("/T"): generic.TextStringObject("x"), pdf_name("/Parent"): field_ref}
        )
    )
    grandchild = writer.add_object(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Widget"),
                pdf_name("/Parent"): middle_ref,
                pdf_name("/P"): page_ref,
                pdf_name("/F"): generic.NumberObject(4),
                pdf_name("/Rect"): attacks._numbers(attacks.OVER_THE_TEXT),
                pdf_name("/AP"): generic.DictionaryObject(
                    {pdf_name("/N"): attacks.white_box(writer)}
                ),
            }
        )
    )
    middle_ref.get_object()["/Kids"] = generic.ArrayObject([grandchild])
    field_ref.get_object()["/Kids"] = generic.ArrayObject([middle_ref])
    form = writer.root["/AcroForm"]
    form["/Fields"].append(field_ref)
    writer.update_container(form)
    writer.register_annotation(page_ref, grandchild)
    stamper = signers.PdfTimeStamper(HTTPTimeStamper(pki.tsa_url), field_name="Archive_Timestamp_9")
    forged = stamper.timestamp_pdf(writer, "sha256").getvalue()

    verdict = verify(forged)
    assert not verdict.ok
    assert "new_annotation" in verdict.codes


def test_a_timestamp_widget_listed_on_one_page_pointing_to_another(verify, flow, pki):
    """An invisible archive timestamp field whose /P is page 1 while page 2's /Annots lists
    it: what the allow-list admits (nothing drawn, no action); the pages stay as signed."""
    writer = _writer(flow.archived)
    page_one, _resources = writer.find_page_for_modification(0)
    page_two, _resources = writer.find_page_for_modification(1)
    field = generic.DictionaryObject(
        {
            pdf_name("/FT"): pdf_name("/Sig"),
            pdf_name("/T"): generic.TextStringObject("Archive_Timestamp_9"),
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/F"): generic.NumberObject(132),
            pdf_name("/Rect"): generic.ArrayObject([generic.NumberObject(0)] * 4),
            pdf_name("/P"): page_one,
        }
    )
    field_ref = writer.add_object(field)
    form = writer.root["/AcroForm"]
    form["/Fields"].append(field_ref)
    writer.update_container(form)
    writer.register_annotation(page_two, field_ref)
    stamper = signers.PdfTimeStamper(HTTPTimeStamper(pki.tsa_url), field_name="Archive_Timestamp_9")
    stamped = stamper.timestamp_pdf(writer, "sha256").getvalue()

    for index in (0, 1):
        assert _page_pixels(stamped, index) == _page_pixels(flow.archived, index)
    assert verify(stamped).ok


def test_kids_added_to_the_archive_timestamp_field_later(verify, flow):
    """A later update gives the existing archive timestamp field a kid widget over the text."""
    writer = _writer(flow.archived)
    field_ref = _field(writer, "Archive_Timestamp_1")
    page_ref, _resources = writer.find_page_for_modification(0)
    kid = writer.add_object(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Widget"),
                pdf_name("/Parent"): field_ref,
                pdf_name("/P"): page_ref,
                pdf_name("/F"): generic.NumberObject(4),
                pdf_name("/Rect"): attacks._numbers(attacks.OVER_THE_TEXT),
                pdf_name("/AP"): generic.DictionaryObject(
                    {pdf_name("/N"): attacks.white_box(writer)}
                ),
            }
        )
    )
    field_ref.get_object()["/Kids"] = generic.ArrayObject([kid])
    writer.mark_update(field_ref)
    writer.register_annotation(page_ref, kid)
    forged = _written(writer)

    assert flagged_by_default_policy(forged), default_policy(forged)
    verdict = verify(forged)
    assert not verdict.ok
    assert "signature_field_changed" in verdict.codes


# --- 4. What the business's own signing revision may change --------------------------------------


def business_signs_after(pdf: bytes, signer, change) -> bytes:
    """The business signs its prepared field with `change(writer)` made in the same revision."""
    writer = _writer(pdf)
    change(writer)
    meta = signers.PdfSignatureMetadata(
        field_name=BUSINESS_FIELD, subfilter=sig_fields.SigSeedSubFilter.PADES
    )
    return signers.PdfSigner(meta, signer).sign_pdf(writer, existing_fields_only=True).getvalue()


def _set_on_business_field(key: str, value):
    def change(writer):
        ref = _field(writer, BUSINESS_FIELD)
        ref.get_object()[pdf_name(key)] = value
        writer.mark_update(ref)

    return change


def _hide_authority(writer):
    ref = _field(writer, AUTHORITY_FIELD)
    ref.get_object()["/F"] = generic.NumberObject(2)  # Hidden
    writer.mark_update(ref)


def _kid_under_business(writer):
    ref = _field(writer, BUSINESS_FIELD)
    page_ref, _resources = writer.find_page_for_modification(0)
    kid = writer.add_object(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Widget"),
                pdf_name("/Parent"): ref,
                pdf_name("/P"): page_ref,
                pdf_name("/F"): generic.NumberObject(4),
                pdf_name("/Rect"): attacks._numbers(attacks.OVER_THE_TEXT),
                pdf_name("/AP"): generic.DictionaryObject(
                    {pdf_name("/N"): attacks.white_box(writer)}
                ),
            }
        )
    )
    ref.get_object()["/Kids"] = generic.ArrayObject([kid])
    writer.mark_update(ref)
    writer.register_annotation(page_ref, kid)


@pytest.mark.parametrize(
    "name, change",
    [
        (
            "rect_over_the_text",
            _set_on_business_field("/Rect", attacks._numbers((90, 560, 290, 632))),
        ),
        ("no_print", _set_on_business_field("/F", generic.NumberObject(0))),
        (
            "mk",
            _set_on_business_field(
                "/MK",
                generic.DictionaryObject(
                    {pdf_name("/BG"): generic.ArrayObject([generic.FloatObject(1)] * 3)}
                ),
            ),
        ),
        ("authority_hidden", _hide_authority),
        ("kid_over_the_text", _kid_under_business),
    ],
)
def test_the_business_signing_revision_changes_a_widget(
    verify, business_upload, flow, signer_for, name, change
):
    forged = business_signs_after(flow.certified, signer_for("business"), change)

    verdict = verify(forged)
    assert not verdict.ok, verdict.as_dict()
    assert {"signature_field_changed", "object_changed", "new_annotation"} & verdict.codes
    assert not business_upload(forged).accepted


def _form_defaults(writer):
    form = writer.root["/AcroForm"]
    form["/DA"] = generic.TextStringObject("1 0 0 rg /Helv 40 Tf")
    form["/DR"] = generic.DictionaryObject(
        {
            pdf_name("/Font"): generic.DictionaryObject(
                {
                    pdf_name("/Helv"): generic.DictionaryObject(
                        {
                            pdf_name("/Type"): pdf_name("/Font"),
                            pdf_name("/Subtype"): pdf_name("/Type1"),
                            pdf_name("/BaseFont"): pdf_name("/Helvetica"),
                        }
                    )
                }
            )
        }
    )
    writer.update_container(form)


def test_form_defaults_changed_in_the_business_signing_revision_draw_nothing(
    verify, flow, signer_for
):
    """/DA and /DR of the form set in the business's signing revision (_FORM_SIGNING_KEYS):
    allowed, and harmless here: every field is a signature field with its own appearance or
    none, and PDFium regenerates appearances only for text and choice fields (and only with
    NeedAppearances, refused apart). The pages of the signed and the unsigned form match."""
    with_defaults = business_signs_after(flow.certified, signer_for("business"), _form_defaults)
    plain = business_signs_after(flow.certified, signer_for("business"), lambda writer: None)

    assert _page_pixels(with_defaults, 0) == _page_pixels(plain, 0)
    assert verify(with_defaults).ok


# --- 5. The authority's upload: its certification revision, reviewed `since` ---------------------


def certified_with(pdf: bytes, signer, change) -> bytes:
    """The authority's certification (form filling allowed) in its prepared field, with
    `change(writer)` made in the same revision."""
    writer = _writer(pdf)
    change(writer)
    meta = signers.PdfSignatureMetadata(
        field_name=AUTHORITY_FIELD,
        certify=True,
        docmdp_permissions=MDPPerm.FILL_FORMS,
        subfilter=sig_fields.SigSeedSubFilter.PADES,
    )
    return signers.PdfSigner(meta, signer).sign_pdf(writer, existing_fields_only=True).getvalue()


def _info_title(writer):
    info_ref = writer.trailer.raw_get("/Info")
    info_ref.get_object()["/Title"] = generic.TextStringObject("Bản ghi nhớ đã hủy")
    writer.mark_update(info_ref)


def _page_content_appended(writer):
    page_ref, _resources = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    extra = writer.add_object(generic.StreamObject(stream_data=b"1 1 1 rg 90 560 410 80 re f"))
    contents = page.raw_get("/Contents")
    page["/Contents"] = generic.ArrayObject([contents, extra])
    writer.mark_update(page_ref)


def _business_field_moved(writer):
    ref = _field(writer, BUSINESS_FIELD)
    ref.get_object()["/Rect"] = attacks._numbers((90, 560, 290, 632))
    writer.mark_update(ref)


def _extensions_and_perms(writer):
    writer.root["/Extensions"] = generic.DictionaryObject(
        {
            pdf_name("/ADBE"): generic.DictionaryObject(
                {
                    pdf_name("/BaseVersion"): pdf_name("/1.7"),
                    pdf_name("/ExtensionLevel"): generic.NumberObject(99),
                }
            )
        }
    )
    writer.root["/Perms"] = generic.DictionaryObject({pdf_name("/UR3"): generic.DictionaryObject()})
    writer.update_root()


@pytest.mark.parametrize(
    "name, change, code",
    [
        ("info_title", _info_title, "info_changed"),
        ("page_content", _page_content_appended, "object_changed"),
        ("business_field_moved", _business_field_moved, "signature_field_changed"),
        ("perms_ur3", _extensions_and_perms, "catalogue_changed"),
    ],
)
def test_a_certification_revision_that_also_changes_something(
    verify, authority_upload, flow, signer_for, name, change, code
):
    """The authority's upload: its own revision is the only judge (pyHanko's policy does not
    look at it, and the pages are compared with it). What the certification covers is, for
    verify_pdf, signed content: only the upload check stands between it and the registry."""
    uploaded = certified_with(flow.signable, signer_for("authority"), change)

    # Seen first by verify_pdf (findings remembered by SHA-256 without `since`): the upload
    # check must not reuse them.
    verify(uploaded)
    verdict = authority_upload(uploaded)
    assert not verdict.accepted, verdict.as_dict()
    assert verdict.reason == code


def test_the_upload_check_does_not_reuse_what_verification_remembered(
    verify, authority_upload, flow, signer_for
):
    """Cache keys: verify_pdf accepts a certification whose own revision changed the title
    (signed content); the upload check of the same bytes (with `since`) refuses it, in either
    order."""
    uploaded = certified_with(flow.signable, signer_for("authority"), _info_title)

    assert verify(uploaded).ok
    assert authority_upload(uploaded).reason == "info_changed"
    modifications.forget_all()
    visual.forget_all()
    assert authority_upload(uploaded).reason == "info_changed"
    assert verify(uploaded).ok


def test_the_authority_upload_with_the_business_box_filled_for_pdfium(authority_upload, flow):
    """After the certification (where validation data may go), the authority's upload plants,
    for PDFium only, an appearance for the business's still empty field: the box shows a
    business's approval nobody gave (inside a masked signature widget)."""
    pdf = flow.certified
    field_ref = _field(_writer(pdf), BUSINESS_FIELD).reference
    field = _reader(pdf).get_object(field_ref)
    *_unused, size = _trailer_parts(pdf)
    planted = generic.DictionaryObject(dict(field))
    planted[pdf_name("/AP")] = generic.DictionaryObject(
        {pdf_name("/N"): generic.IndirectObject(size + 5, 0, None)}
    )
    body = io.BytesIO()
    planted.write_to_stream(body, None)
    forged = rebuilt_by_pdfium(
        pdf, [(size + 5, _forged_stamp_body()), (field_ref.idnum, body.getvalue())]
    )

    assert _page_pixels(forged, 1) != _page_pixels(pdf, 1)
    verdict = authority_upload(forged)
    assert not verdict.accepted, verdict.as_dict()


# --- 6. Keys the allow-list accepts after the last signature --------------------------------------


def test_the_producer_and_extensions_after_the_last_signature_show_nothing(verify, flow):
    """/Info /Producer (bookkeeping) and the catalogue's /Extensions (validation data) with
    content nobody needs: accepted, and nothing on the pages changes."""
    writer = _writer(flow.archived)
    info_ref = writer.trailer.raw_get("/Info")
    info_ref.get_object()["/Producer"] = generic.TextStringObject("HỦY BỎ - CANCELLED")
    writer.mark_update(info_ref)
    writer.root["/Extensions"] = generic.DictionaryObject(
        {
            pdf_name("/ADBE"): generic.DictionaryObject(
                {
                    pdf_name("/BaseVersion"): pdf_name("/1.7"),
                    pdf_name("/ExtensionLevel"): generic.NumberObject(99),
                }
            )
        }
    )
    writer.update_root()
    changed = _written(writer)

    for index in (0, 1):
        assert _page_pixels(changed, index) == _page_pixels(flow.archived, index)
    assert verify(changed).ok


def test_a_bookkeeping_value_made_an_indirect_reference(verify, flow):
    """/ModDate as a reference to a new object: refused (pyHanko's writer sets /ModDate again
    on writing, so the new object ends up unreferenced; either way not bookkeeping)."""
    writer = _writer(flow.archived)
    info_ref = writer.trailer.raw_get("/Info")
    info_ref.get_object()["/ModDate"] = writer.add_object(
        generic.TextStringObject("D:20990101000000Z")
    )
    writer.mark_update(info_ref)
    forged = _written(writer)

    verdict = verify(forged)
    assert not verdict.ok
    assert {"object_changed", "unreferenced_objects"} & verdict.codes


def test_the_raw_update_helper_still_works(flow):
    """(Sanity: the round-2 helper this module reuses writes a readable update.)"""
    stamp = _appearance_ref(flow.archived, AUTHORITY_FIELD)
    updated = raw_update(flow.archived, [(stamp.idnum, 0, _forged_stamp_body())])
    assert _reader(updated).get_object(stamp).data == FORGED_STAMP
