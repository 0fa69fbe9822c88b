"""Second round of attacks on the allow-list that answers pyHanko's difference analysis.

See test_diff_policy_attacks.py for the first round and the helpers. Each test builds one or
more incremental updates on a signed MoU and asserts the desired behaviour, `not verdict.ok`.
Each was a hole when written (the verdict was ok); each is refused now.

Several attacks are parser differentials: pyHanko (and so the allow-list, and the masks of
visual.py) reads one thing, PDFium (Chrome, and the renderer of visual.py) draws another.
When what changes lies inside a signature widget's rectangle, visual.py masks it.
"""

import io
import re
import xml.etree.ElementTree as ET

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.misc import PdfStrictReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields as sig_fields
from pyhanko.sign import signers
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    ModificationLevel,
    SuspiciousModification,
)
from pyhanko.sign.timestamps import HTTPTimeStamper

from partnerships.documents.engine.fields import AUTHORITY_FIELD, BUSINESS_FIELD
from partnerships.signing.pdf.verify import verify_pdf
from tests.signing.pdf import attacks
from tests.signing.pdf.test_diff_policy_attacks import (
    _field,
    _writer,
    _written,
    default_policy,
    flagged_by_default_policy,
)


@pytest.fixture
def verify(pki):
    def verify(pdf):
        return verify_pdf(pdf, trust_roots=pki.trust_roots)

    return verify


# --- Helpers: hand-written incremental updates ----------------------------------------------------


def _startxref(pdf: bytes) -> int:
    return int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])


def raw_update(pdf: bytes, objects) -> bytes:
    """`pdf` with one incremental update, written by hand (a classic xref table): the
    objects [(number, generation, body bytes)] exactly as given, the trailer's /Root, /Info
    and /ID kept. pyHanko's writer cannot write duplicate keys or a bumped generation."""
    trailer = pdf[pdf.rfind(b"trailer") : pdf.rfind(b"startxref")]
    root = re.search(rb"/Root\s+(\d+\s+\d+\s+R)", trailer).group(1)
    info = re.search(rb"/Info\s+(\d+\s+\d+\s+R)", trailer).group(1)
    ident = re.search(rb"/ID\s*(\[[^\]]*\])", trailer, re.S).group(1)
    size = int(re.search(rb"/Size\s+(\d+)", trailer).group(1))
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets = {}
    for number, generation, body in objects:
        offsets[number] = (len(out), generation)
        out += b"%d %d obj\n%s\nendobj\n" % (number, generation, body)
    xref_at = len(out)
    out += b"xref\n"
    for number in sorted(offsets):
        offset, generation = offsets[number]
        out += b"%d 1\n%010d %05d n \n" % (number, offset, generation)
    size = max([size] + [n + 1 for n in offsets])
    out += b"trailer\n<< /Size %d /Root %s /Info %s /ID %s /Prev %d >>\n" % (
        size, root, info, ident, _startxref(pdf)
    )  # fmt: skip
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def raw_stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


def lenient_default_policy(pdf: bytes) -> dict[str, object]:
    """As default_policy, but on a reader opened as verify.py opens it (strict=False):
    what the standard policy said in verification before 76575c8."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
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
        said[str(embedded.field_name)] = getattr(result, "modification_level", result)
    return said


def refused_by_default_policy(pdf: bytes) -> bool:
    """flagged_by_default_policy, counting a file pyHanko's strict reader refuses (an
    orphaned generation, a duplicate key) as flagged."""
    try:
        return flagged_by_default_policy(pdf)
    except PdfStrictReadError:
        return True


def _ref_of(pdf: bytes, path) -> generic.Reference:
    obj = _writer(pdf).root
    for key in path[:-1]:
        obj = obj[key]
    return obj.raw_get(path[-1]).reference


def _appearance_ref(pdf: bytes, field: str) -> generic.Reference:
    return _field(_writer(pdf), field).get_object()["/AP"].raw_get("/N").reference


def _rect(pdf: bytes, field: str) -> bytes:
    rect = _field(_writer(pdf), field).get_object()["/Rect"]
    return b"[" + b" ".join(str(float(v)).encode() for v in rect) + b"]"


# A white box saying REVOKED, in Helvetica: the forged stamp.
FORGED_STAMP = (
    b"q 1 1 1 rg 0 0 200 72 re f Q BT /Helv 14 Tf 0 0 0 rg 10 30 Td (HUY BO - REVOKED) Tj ET"
)
HELVETICA = (
    b"/Resources << /Font << /Helv << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
)


# --- 1. An object redefined with a higher generation ----------------------------------------------


def stamp_redefined_with_a_higher_generation(pdf: bytes, field: str, dictionary: bytes) -> bytes:
    """The stamp of `field` (its /AP /N, object n 0) written again as object n 1, with no
    free entry before it. pyHanko resolves the references "n 0 R" to the old object (the
    generation differs); PDFium ignores generations and draws the new one."""
    stamp = _appearance_ref(pdf, field)
    body = raw_stream(dictionary + b" /BBox [0 0 200 72] " + HELVETICA, FORGED_STAMP)
    return raw_update(pdf, [(stamp.idnum, stamp.generation + 1, body)])


def test_the_authority_stamp_redefined_with_a_higher_generation(verify, flow):
    forged = stamp_redefined_with_a_higher_generation(
        flow.archived, AUTHORITY_FIELD, b"/Type /ObjStm"
    )

    # The strict reader refuses the orphaned generation; even the lenient one finds the
    # update unexplained.
    assert refused_by_default_policy(forged)
    assert all(
        isinstance(said, SuspiciousModification) for said in lenient_default_policy(forged).values()
    )
    verdict = verify(forged)
    assert not verdict.ok, verdict.as_dict()
    # Refused by the allow-list itself, not only by the comparison of the pages.
    assert "modified_after_last_signature" in verdict.codes


def test_a_higher_generation_that_does_not_pass_for_file_structure(verify, flow):
    """The same, the new object typed as the form XObject it is: a strict reading refuses the
    update (an orphaned generation)."""
    forged = stamp_redefined_with_a_higher_generation(
        flow.archived, AUTHORITY_FIELD, b"/Type /XObject /Subtype /Form"
    )

    assert refused_by_default_policy(forged)
    verdict = verify(forged)
    assert not verdict.ok
    assert "object_changed" in verdict.codes


# --- 2. Duplicate dictionary keys -----------------------------------------------------------------


def business_stamp_through_a_duplicate_key(pdf: bytes) -> bytes:
    """The business's field written again, identical for pyHanko (which keeps the first of
    two /AP keys), with a second /AP that PDFium (which keeps the last) draws: a new stream
    typed /ObjStm, unreachable for pyHanko."""
    field_ref = _field(_writer(pdf), BUSINESS_FIELD).reference
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    field = reader.get_object(field_ref)
    out = io.BytesIO()
    field.write_to_stream(out, None)
    body = out.getvalue()
    size = reader.trailer["/Size"]
    duplicated = body[: body.rfind(b">>")] + b" /AP << /N %d 0 R >> >>" % size
    stamp = raw_stream(b"/Type /ObjStm /BBox [0 0 200 72] " + HELVETICA, FORGED_STAMP)
    return raw_update(pdf, [(field_ref.idnum, 0, duplicated), (size, 0, stamp)])


def test_the_business_stamp_replaced_through_a_duplicate_key(verify, flow):
    forged = business_stamp_through_a_duplicate_key(flow.archived)

    # The strict reader refuses duplicate keys; the lenient one (verification's, before
    # 76575c8 too) sees nothing: a hole in both layers.
    assert refused_by_default_policy(forged)
    assert lenient_default_policy(forged)[BUSINESS_FIELD] == ModificationLevel.LTA_UPDATES
    verdict = verify(forged)
    assert not verdict.ok, verdict.as_dict()
    # Refused by the allow-list itself, not only by the comparison of the pages.
    assert "modified_after_last_signature" in verdict.codes


# --- 3. A page's /Annots made an indirect array that is also a DSS container ----------------------

VRI_KEY = "/" + "EF" * 20


def authority_widget_removed_through_the_dss(pdf: bytes) -> bytes:
    """Update 1: page 2's direct /Annots [authority, business] becomes a new indirect array
    with the same references, listed as a VRI entry's /Cert (so a DSS container, new, made
    after the certification). Update 2: the array, "rewritable" validation data, loses the
    authority's widget: its stamp is no longer drawn (inside the masked rectangle)."""
    writer = _writer(pdf)
    page_ref = writer.root["/Pages"]["/Kids"].raw_get(1)
    page = page_ref.get_object()
    array = writer.add_object(generic.ArrayObject(list(page["/Annots"])))
    page["/Annots"] = array
    writer.mark_update(page_ref)
    dss = writer.root["/DSS"]
    dss["/VRI"][pdf_name(VRI_KEY)] = generic.DictionaryObject({pdf_name("/Cert"): array})
    writer.update_container(dss)
    listed = _written(writer)

    writer = _writer(listed)
    array = writer.root["/Pages"]["/Kids"].raw_get(1).get_object().raw_get("/Annots")
    del array.get_object()[0]
    writer.mark_update(array)
    return _written(writer)


def test_the_authority_widget_removed_through_an_annots_array_listed_in_the_dss(verify, flow):
    forged = authority_widget_removed_through_the_dss(flow.archived)

    assert flagged_by_default_policy(forged), default_policy(forged)  # VRI /Cert not streams
    verdict = verify(forged)
    assert not verdict.ok, verdict.as_dict()
    # Refused by the allow-list itself, not only by the comparison of the pages.
    assert "modified_after_last_signature" in verdict.codes


# --- 4. A document whose only signature is a document timestamp -----------------------------------


def _timestamped(pdf: bytes, tsa_url: str) -> bytes:
    return (
        signers.PdfTimeStamper(HTTPTimeStamper(tsa_url))
        .timestamp_pdf(_writer(pdf), "sha256")
        .getvalue()
    )


def test_an_overlay_after_a_lone_document_timestamp(verify, flow, pki):
    stamped = _timestamped(flow.signable, pki.tsa_url)
    forged = attacks.evil_annotation(stamped)

    assert verify(stamped).ok  # a timestamped document on its own is fine
    assert flagged_by_default_policy(forged), default_policy(forged)
    verdict = verify(forged)
    assert not verdict.ok, verdict.as_dict()


def test_a_document_timestamp_then_an_approval_then_an_overlay(verify, flow, pki, signer_for):
    """First signature a DocTimeStamp, then an approval signature in the prepared business
    field, then an overlay: the allow-list reviews from the first /Sig on."""
    stamped = _timestamped(flow.signable, pki.tsa_url)
    meta = signers.PdfSignatureMetadata(
        field_name=BUSINESS_FIELD, subfilter=sig_fields.SigSeedSubFilter.PADES
    )
    approved = signers.PdfSigner(meta, signer_for("other")).sign_pdf(_writer(stamped)).getvalue()
    forged = attacks.evil_annotation(approved)

    assert flagged_by_default_policy(forged), default_policy(forged)
    verdict = verify(forged)
    assert not verdict.ok
    assert "new_annotation" in verdict.codes


# --- 5. The XMP title changed inside a "bookkeeping" attribute ------------------------------------


def xmp_title_in_a_bookkeeping_attribute(pdf: bytes) -> bytes:
    """An x-default dc:title inserted before the real one, wrapped as the "value" of a text
    `xmp:ModifyDate="…"`: modifications._XMP_BOOKKEEPING removes it before comparing (a
    quoted value may hold any markup). Written by hand: pyHanko's writer would also rewrite
    the catalogue's /Metadata."""
    metadata = _ref_of(pdf, ["/Metadata"])
    old = PdfFileReader(io.BytesIO(pdf), strict=False).get_object(metadata).data
    payload = "xmp:ModifyDate=\"<rdf:li xml:lang='x-default'>HỦY BỎ - CANCELLED</rdf:li>\""
    data = old.replace(b"<rdf:Alt>", b"<rdf:Alt>" + payload.encode(), 1)
    stream = raw_stream(b"/Type /Metadata /Subtype /XML", data)
    return raw_update(pdf, [(metadata.idnum, metadata.generation, stream)])


def _xmp_titles(pdf: bytes) -> list[str]:
    data = PdfFileReader(io.BytesIO(pdf), strict=False).root["/Metadata"].data
    packet = data[data.find(b"<x:xmpmeta") : data.rfind(b"</x:xmpmeta>") + 12]
    xmp = ET.fromstring(packet)  # noqa: S314 (the test's own forged packet)
    rdf = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
    title = next(xmp.iter("{http://purl.org/dc/elements/1.1/}title"))
    return [li.text for li in title.iter(rdf + "li")]


def test_the_xmp_title_changed_inside_a_bookkeeping_attribute(verify, flow):
    forged = xmp_title_in_a_bookkeeping_attribute(flow.archived)

    assert _xmp_titles(forged)[0] == "HỦY BỎ - CANCELLED"
    assert not flagged_by_default_policy(forged), default_policy(forged)
    verdict = verify(forged)
    assert not verdict.ok, verdict.as_dict()
    # Refused by the allow-list itself, not only by the comparison of the pages.
    assert "modified_after_last_signature" in verdict.codes


# --- 6. Actions on a new, invisible timestamp field -----------------------------------------------


def timestamp_with_actions(pdf: bytes, tsa_url: str) -> bytes:
    """A genuine archive timestamp in a new invisible field ([0 0 0 0], no /AP), which also
    carries /AA (page open / page visible: JavaScript) and /A (a URI). _invisible looks
    only at /Rect and /AP."""
    writer = _writer(pdf)
    script = generic.DictionaryObject(
        {
            pdf_name("/S"): pdf_name("/JavaScript"),
            pdf_name("/JS"): generic.TextStringObject(
                "app.alert('Ban ghi nho nay da bi HUY - this MoU was cancelled');"
            ),
        }
    )
    field = generic.DictionaryObject(
        {
            pdf_name("/FT"): pdf_name("/Sig"),
            pdf_name("/T"): generic.TextStringObject("Archive_Timestamp_9"),
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/F"): generic.NumberObject(132),
            pdf_name("/Rect"): generic.ArrayObject([generic.NumberObject(0)] * 4),
            pdf_name("/AA"): generic.DictionaryObject(
                {pdf_name("/PO"): script, pdf_name("/PV"): script}
            ),
            pdf_name("/A"): generic.DictionaryObject(
                {
                    pdf_name("/S"): pdf_name("/URI"),
                    pdf_name("/URI"): generic.TextStringObject("https://evil.example/"),
                }
            ),
        }
    )
    attacks._add_widget(writer, field, 0)
    stamper = signers.PdfTimeStamper(HTTPTimeStamper(tsa_url), field_name="Archive_Timestamp_9")
    return stamper.timestamp_pdf(writer, "sha256").getvalue()


def test_javascript_actions_on_a_new_timestamp_field(verify, flow, pki):
    forged = timestamp_with_actions(flow.archived, pki.tsa_url)

    assert not flagged_by_default_policy(forged), default_policy(forged)
    verdict = verify(forged)
    assert not verdict.ok, verdict.as_dict()
    # Refused by the allow-list itself, not only by the comparison of the pages.
    assert "modified_after_last_signature" in verdict.codes


# --- 7. Catalogue entries (the defence holds) -----------------------------------------------------


@pytest.mark.parametrize(
    "key, value",
    [
        (
            "/OCProperties",
            generic.DictionaryObject(
                {
                    pdf_name("/OCGs"): generic.ArrayObject(),
                    pdf_name("/D"): generic.DictionaryObject(
                        {pdf_name("/BaseState"): pdf_name("/OFF")}
                    ),
                }
            ),
        ),
        (
            "/OpenAction",
            generic.DictionaryObject(
                {
                    pdf_name("/S"): pdf_name("/URI"),
                    pdf_name("/URI"): generic.TextStringObject("https://evil.example/"),
                }
            ),
        ),
        (
            "/AA",
            generic.DictionaryObject(
                {
                    pdf_name("/WC"): generic.DictionaryObject(
                        {
                            pdf_name("/S"): pdf_name("/JavaScript"),
                            pdf_name("/JS"): generic.TextStringObject("app.alert('x');"),
                        }
                    )
                }
            ),
        ),
    ],
)
def test_catalogue_actions_and_optional_content(verify, flow, key, value):
    forged = attacks.change_catalogue(flow.archived, key, value)

    assert flagged_by_default_policy(forged), default_policy(forged)
    verdict = verify(forged)
    assert not verdict.ok
    assert "catalogue_changed" in verdict.codes
