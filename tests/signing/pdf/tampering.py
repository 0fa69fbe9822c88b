"""Ways of changing a signed PDF, as a forger or a careless tool would."""

import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfReader, PdfWriter


def flip_a_signed_byte(pdf: bytes) -> bytes:
    """One byte changed inside the last signature's signed bytes: a letter of its /Reason
    (a place where the file stays readable, so the signature itself must catch it)."""
    start = pdf.rindex(b"/Reason (") + len(b"/Reason (")
    at = next(i for i in range(start, start + 400) if chr(pdf[i]).isalpha())
    flipped = bytearray(pdf)
    flipped[at] ^= 0x20  # the letter's case
    return bytes(flipped)


def flip_a_byte_at(pdf: bytes, at: int) -> bytes:
    flipped = bytearray(pdf)
    flipped[at] ^= 0x01
    return bytes(flipped)


def _writer(pdf: bytes) -> IncrementalPdfFileWriter:
    return IncrementalPdfFileWriter(io.BytesIO(pdf))


def _written(writer: IncrementalPdfFileWriter) -> bytes:
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def append_page_content(pdf: bytes, page_index: int = 0) -> bytes:
    """An incremental update that draws on a page: a blue box over part of the text."""
    writer = _writer(pdf)
    stream = generic.StreamObject(stream_data=b"q 0 0 1 rg 100 600 200 40 re f Q")
    writer.add_stream_to_page(page_index, writer.add_object(stream))
    return _written(writer)


def append_annotation(pdf: bytes, page_index: int = 0) -> bytes:
    """An incremental update that adds a sticky note to a page."""
    writer = _writer(pdf)
    page_ref, _resources = writer.find_page_for_modification(page_index)
    note = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Text"),
            pdf_name("/Rect"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (100, 100, 120, 120)]
            ),
            pdf_name("/Contents"): generic.TextStringObject("Sửa lại điều 2"),
        }
    )
    writer.register_annotation(page_ref, writer.add_object(note))
    return _written(writer)


def append_metadata_change(pdf: bytes) -> bytes:
    """An incremental update that only changes the document information (a re-save)."""
    writer = _writer(pdf)
    info_ref = writer.trailer.raw_get("/Info")
    info = info_ref.get_object()
    info["/Title"] = generic.TextStringObject("Bản đã sửa")
    writer.mark_update(info_ref)
    return _written(writer)


def encrypted_copy(pdf: bytes) -> bytes:
    """The document re-saved with a password (its signatures can no longer be checked)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt("mật khẩu", algorithm="AES-256")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
