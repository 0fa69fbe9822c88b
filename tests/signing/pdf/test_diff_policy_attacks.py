"""Attacks on the allow-list that now answers pyHanko's difference analysis (diff_policy.py).

Since 76575c8 pyHanko's standard difference analysis (DEFAULT_DIFF_POLICY) no longer runs in
verification: whatever our allow-list (modifications.py) lets through is taken for validation
data or a timestamp. Each test here builds an incremental update that pyHanko's standard
policy flags (a level above what the signer allowed, or a suspicious modification) and
asserts the desired behaviour, `not verdict.ok`.

The first two were holes when written (a stamp rewritten, or covered by a widget moved over
it, through objects listed in the DSS): only objects shaped as DSS containers may now be
rewritten as validation data (modifications._dss_shaped).
"""

import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    ModificationLevel,
)
from pyhanko.sign.timestamps import HTTPTimeStamper

from partnerships.documents.engine.fields import AUTHORITY_FIELD, BUSINESS_FIELD
from partnerships.signing.pdf import visual
from partnerships.signing.pdf.embedded import embedded_signatures
from partnerships.signing.pdf.verify import verify_pdf
from tests.signing.pdf import attacks

VRI_KEY = "/" + "AB" * 20  # a well-formed VRI key (40 hex digits)


@pytest.fixture
def verify(pki):
    def verify(pdf):
        return verify_pdf(pdf, trust_roots=pki.trust_roots)

    return verify


# --- Helpers ----------------------------------------------------------------------------------


def _writer(pdf: bytes) -> IncrementalPdfFileWriter:
    return IncrementalPdfFileWriter(io.BytesIO(pdf))


def _written(writer: IncrementalPdfFileWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _reader(pdf: bytes) -> PdfFileReader:
    return PdfFileReader(io.BytesIO(pdf))


def default_policy(pdf: bytes) -> dict[str, object]:
    """{field: what pyHanko's standard policy says of the updates after it}: a
    ModificationLevel, or the SuspiciousModification / error it raised."""
    reader = _reader(pdf)
    said = {}
    for embedded in reader.embedded_signatures:
        try:
            result = DEFAULT_DIFF_POLICY.review_file(
                reader,
                embedded.signed_revision,
                field_mdp_spec=embedded.fieldmdp,
                doc_mdp=embedded.docmdp_level,
            )
        except Exception as error:
            result = error
        said[str(embedded.field_name)] = (
            result.modification_level if hasattr(result, "modification_level") else result
        )
    return said


def flagged_by_default_policy(pdf: bytes) -> bool:
    """pyHanko's standard policy finds the updates after some signature not allowed:
    suspicious, or above what it allows (LTA updates after the business's signature, which
    locks the document; form filling after the certification)."""
    for field, said in default_policy(pdf).items():
        if not isinstance(said, ModificationLevel):
            return True
        allowed = (
            ModificationLevel.FORM_FILLING
            if field == AUTHORITY_FIELD
            else ModificationLevel.LTA_UPDATES
        )
        if said > allowed:
            return True
    return False


def _field(writer, name: str) -> generic.IndirectObject:
    return attacks._field(writer, name)


def _dss(writer) -> tuple[generic.DictionaryObject, generic.IndirectObject]:
    ref = writer.root.raw_get("/DSS")
    return ref.get_object(), ref


def list_in_vri(pdf: bytes, ref: generic.Reference, *, as_entry: bool = True) -> bytes:
    """An update that looks like validation data: a new VRI entry of the DSS that is (or
    whose /Cert array is) the existing object `ref`. The allow-list then counts `ref` as a
    DSS container, rewritable in a later update if it was made after the certification."""
    writer = _writer(pdf)
    dss, _dss_ref = _dss(writer)
    target = generic.IndirectObject(ref.idnum, ref.generation, writer)
    vri = dss["/VRI"]
    vri[pdf_name(VRI_KEY)] = (
        target if as_entry else generic.DictionaryObject({pdf_name("/Cert"): target})
    )
    writer.update_container(dss)
    return _written(writer)


def stream_rewritten(pdf: bytes, ref: generic.Reference, data: bytes) -> bytes:
    """An update that rewrites the stream `ref` with `data` (its dictionary kept)."""
    writer = _writer(pdf)
    indirect = generic.IndirectObject(ref.idnum, ref.generation, writer)
    stream = indirect.get_object()
    new = generic.StreamObject(
        {k: v for k, v in stream.items() if k not in ("/Length", "/Filter", "/DecodeParms")},
        stream_data=data,
    )
    writer.objects[(ref.generation, ref.idnum)] = new
    writer.mark_update(indirect)
    return _written(writer)


def _appearance_ref(pdf: bytes, field: str) -> generic.Reference:
    writer = _writer(pdf)
    return _field(writer, field).get_object()["/AP"].raw_get("/N").reference


# A stamp that says what the forger wants (Helvetica, no embedded font needed).
FORGED_STAMP = (
    b"q 1 1 1 rg 0 0 200 72 re f Q BT /Helv 14 Tf 0 0 0 rg 10 30 Td (HUY BO - REVOKED) Tj ET"
)


def _helv_stamp(pdf: bytes, ref: generic.Reference) -> bytes:
    """The appearance stream `ref` rewritten to a white box saying REVOKED."""
    writer = _writer(pdf)
    indirect = generic.IndirectObject(ref.idnum, ref.generation, writer)
    old = indirect.get_object()
    font = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Font"),
            pdf_name("/Subtype"): pdf_name("/Type1"),
            pdf_name("/BaseFont"): pdf_name("/Helvetica"),
        }
    )
    new = generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): old["/BBox"],
            pdf_name("/Resources"): generic.DictionaryObject(
                {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/Helv"): font})}
            ),
        },
        stream_data=FORGED_STAMP,
    )
    writer.objects[(ref.generation, ref.idnum)] = new
    writer.mark_update(indirect)
    return _written(writer)


# --- 1. DSS containers: objects made after the certification become "rewritable" ----------------


def business_stamp_rewritten(pdf: bytes) -> bytes:
    stamp = _appearance_ref(pdf, BUSINESS_FIELD)
    return _helv_stamp(list_in_vri(pdf, stamp), stamp)


def test_the_business_stamp_rewritten_through_a_vri_entry(verify, flow):
    """Update 1 lists the business's stamp (its /AP /N, written in the business's revision,
    so after the certification) as a VRI entry; update 2 rewrites the stamp to say REVOKED.
    modifications.py: a DSS container in both revisions, introduced after the certification,
    was skipped ("rewritable"); the pages mask the business's widget."""
    forged = business_stamp_rewritten(flow.archived)

    assert flagged_by_default_policy(forged), default_policy(forged)
    verdict = verify(forged)
    assert not verdict.ok, verdict.as_dict()
    assert "modified_after_last_signature" in verdict.codes


def _white_box_saying(writer, text: bytes, size=(200, 72)) -> generic.IndirectObject:
    width, height = size
    font = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Font"),
            pdf_name("/Subtype"): pdf_name("/Type1"),
            pdf_name("/BaseFont"): pdf_name("/Helvetica"),
        }
    )
    return writer.add_object(
        generic.StreamObject(
            {
                pdf_name("/Type"): pdf_name("/XObject"),
                pdf_name("/Subtype"): pdf_name("/Form"),
                pdf_name("/BBox"): attacks._numbers((0, 0, width, height)),
                pdf_name("/Resources"): generic.DictionaryObject(
                    {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/Helv"): font})}
                ),
            },
            stream_data=(
                f"1 1 1 rg 0 0 {width} {height} re f BT /Helv 14 Tf 0 0 0 rg 10 30 Td (".encode()
                + text
                + b") Tj ET"
            ),
        )
    )


def invisible_timestamp_on_page(pdf: bytes, tsa_url: str, page_index: int, name: str) -> bytes:
    """A genuine archive timestamp in a new, invisible field ([0 0 0 0], no appearance) on
    page `page_index`: exactly what the allow-list admits."""
    writer = _writer(pdf)
    field = generic.DictionaryObject(
        {
            pdf_name("/FT"): pdf_name("/Sig"),
            pdf_name("/T"): generic.TextStringObject(name),
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/F"): generic.NumberObject(132),
            pdf_name("/Rect"): generic.ArrayObject([generic.NumberObject(0)] * 4),
        }
    )
    attacks._add_widget(writer, field, page_index)
    stamper = signers.PdfTimeStamper(HTTPTimeStamper(tsa_url), field_name=name)
    return stamper.timestamp_pdf(writer, "sha256").getvalue()


def timestamp_widget_moved_over(pdf: bytes, name: str, over: str) -> bytes:
    """The timestamp field `name` (made after the certification, listed in the VRI by an
    earlier update) rewritten: the /Rect of the signature field `over`, and an appearance
    (a new stream, listed as a VRI entry's /TS so that it counts as validation data) that
    whites it out and says REVOKED."""
    writer = _writer(pdf)
    dss, _dss_ref = _dss(writer)
    target_ref = _field(writer, name)
    target = target_ref.get_object()
    box = _white_box_saying(writer, b"HUY BO - REVOKED")
    dss["/VRI"][pdf_name("/" + "CD" * 20)] = generic.DictionaryObject({pdf_name("/TS"): box})
    writer.update_container(dss)
    target["/Rect"] = generic.ArrayObject(list(_field(writer, over).get_object()["/Rect"]))
    target["/AP"] = generic.DictionaryObject({pdf_name("/N"): box})
    target["/F"] = generic.NumberObject(4)
    writer.mark_update(target_ref)
    return _written(writer)


def authority_stamp_covered(pdf: bytes, tsa_url: str) -> bytes:
    stamped = invisible_timestamp_on_page(pdf, tsa_url, 1, "Archive_Timestamp_9")
    field = _field(_writer(stamped), "Archive_Timestamp_9").reference
    return timestamp_widget_moved_over(
        list_in_vri(stamped, field), "Archive_Timestamp_9", AUTHORITY_FIELD
    )


def test_the_authority_stamp_covered_by_a_timestamp_widget_moved_through_the_vri(verify, flow, pki):
    """Update 1: a genuine invisible archive timestamp on the page of the stamps (allowed).
    Update 2: its field listed as a VRI entry. Update 3: the field gets the authority's
    /Rect and a white appearance saying REVOKED, the new stream listed as a VRI /TS.
    The field was made after the certification, so the allow-list skips its rewrite; the
    pages mask the signed revision's signature widgets, over which it now sits."""
    forged = authority_stamp_covered(flow.archived, pki.tsa_url)

    assert flagged_by_default_policy(forged), default_policy(forged)
    verdict = verify(forged)
    assert not verdict.ok, verdict.as_dict()
    assert "modified_after_last_signature" in verdict.codes


def test_the_business_signature_dictionary_rewritten_through_a_vri_entry(verify, flow):
    """The business's signature dictionary (written after the certification) listed in the
    VRI, then rewritten: another claimed /Name and /Reason. pyHanko reads the latest
    version, the CMS still matches the signed bytes."""
    writer = _writer(flow.archived)
    value = _field(writer, BUSINESS_FIELD).get_object().raw_get("/V")
    listed = list_in_vri(flow.archived, value.reference)
    writer = _writer(listed)
    value = _field(writer, BUSINESS_FIELD).get_object().raw_get("/V")
    sig = value.get_object()
    sig["/Name"] = generic.TextStringObject("Nguyen Van Gia Mao")
    sig["/Reason"] = generic.TextStringObject("Khong dong y - not approved")
    writer.mark_update(value)
    forged = _written(writer)

    assert flagged_by_default_policy(forged), default_policy(forged)
    verdict = verify(forged)
    assert not verdict.ok, verdict.as_dict()
    assert "modified_after_last_signature" in verdict.codes
    # Defended by pyHanko's coverage check: the signature object now belongs to the last
    # revision, which its /ByteRange does not cover.
    assert "incomplete_coverage" in verdict.codes


# --- Variants the allow-list refuses (the defence holds) ---------------------------------------


def test_the_authority_stamp_rewritten_through_a_vri_entry(verify, flow):
    """As the business's stamp above, but the authority's stamp was written by the
    certification itself: not introduced after it, so not rewritable."""
    stamp = _appearance_ref(flow.archived, AUTHORITY_FIELD)
    forged = _helv_stamp(list_in_vri(flow.archived, stamp), stamp)

    assert flagged_by_default_policy(forged), default_policy(forged)
    verdict = verify(forged)
    assert not verdict.ok
    assert "object_changed" in verdict.codes


def test_a_new_annotation_listed_as_validation_data(verify, flow):
    """A white box annotation over the text, the annotation and its appearance listed in a
    VRI entry's /Cert (new DSS leaves are allowed without a look): still a new annotation on
    the page's /Annots."""
    writer = _writer(flow.archived)
    dss, _ref = _dss(writer)
    page_ref, _resources = writer.find_page_for_modification(0)
    box = attacks.white_box(writer)
    annotation = writer.add_object(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Square"),
                pdf_name("/Rect"): attacks._numbers(attacks.OVER_THE_TEXT),
                pdf_name("/F"): generic.NumberObject(4),
                pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): box}),
            }
        )
    )
    dss["/VRI"][pdf_name(VRI_KEY)] = generic.DictionaryObject(
        {pdf_name("/Cert"): generic.ArrayObject([annotation, box])}
    )
    writer.update_container(dss)
    writer.register_annotation(page_ref, annotation)
    forged = _written(writer)

    assert flagged_by_default_policy(forged), default_policy(forged)
    verdict = verify(forged)
    assert not verdict.ok
    assert "new_annotation" in verdict.codes


def test_a_timestamp_field_with_a_visible_kid(verify, flow, pki):
    """A genuine archive timestamp whose new field has a /Kids widget over the text."""
    writer = _writer(flow.archived)
    page_ref, _resources = writer.find_page_for_modification(0)
    field = generic.DictionaryObject(
        {
            pdf_name("/FT"): pdf_name("/Sig"),
            pdf_name("/T"): generic.TextStringObject("Archive_Timestamp_9"),
        }
    )
    field_ref = writer.add_object(field)
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
    field["/Kids"] = generic.ArrayObject([kid])
    form = writer.root["/AcroForm"]
    form["/Fields"].append(field_ref)
    writer.update_container(form)
    writer.register_annotation(page_ref, kid)
    stamper = signers.PdfTimeStamper(HTTPTimeStamper(pki.tsa_url), field_name="Archive_Timestamp_9")
    forged = stamper.timestamp_pdf(writer, "sha256").getvalue()

    assert flagged_by_default_policy(forged), default_policy(forged)
    verdict = verify(forged)
    assert not verdict.ok
    assert {"overlay_field", "visible_difference"} & verdict.codes


# --- Before 76575c8: pyHanko's standard analysis, run for each signature, refused the holes -----


def test_the_pages_see_a_widget_moved_over_a_stamp(flow, pki):
    """Defence in depth: the comparison of the pages no longer masks a stamp that another
    annotation now overlaps (visual._masks)."""
    forged = authority_stamp_covered(flow.archived, pki.tsa_url)
    reader = _reader(forged)
    signatures, _unparsed = embedded_signatures(reader)

    assert visual.compare(forged, reader, signatures).different_pages == (2,)
