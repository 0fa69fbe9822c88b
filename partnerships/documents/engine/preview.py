"""A PDF's pages as PNG images, and where a signature field sits on them: so a document can be
read inside a web page, on a phone, without a PDF plug-in.

Bytes in, bytes out. Pages are rasterised with PDFium (pypdfium2); the PNG is written here
with zlib, so no imaging library is needed.
"""

import io
import struct
import zlib
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader

from partnerships.core import pdfium
from partnerships.documents.engine.errors import DocumentError

# Wide enough to read an A4 page's body text on a phone zoomed to the width of the screen.
PAGE_WIDTH_PX = 1000
# Pages are drawn at a fixed width, so a page far taller than wide (a PDF may say 14400 points
# by 10) would be a bitmap of gigabytes. Real pages (A4, Letter, Legal) are under 1.7.
MAX_PAGE_HEIGHT_TO_WIDTH = 4


class PreviewError(DocumentError):
    """The PDF could not be shown as images."""


@dataclass(frozen=True)
class FieldBox:
    """A signature field's widget on its page, in PDF points from the page's top-left corner."""

    page: int  # 0-based
    left: float
    top: float
    width: float
    height: float

    @property
    def center(self) -> tuple[float, float]:
        return (self.left + self.width / 2, self.top + self.height / 2)


@dataclass(frozen=True)
class Layout:
    """The pages' sizes in PDF points (width, height), in order."""

    page_sizes: tuple[tuple[float, float], ...]

    @property
    def page_count(self) -> int:
        return len(self.page_sizes)


DAMAGED = _("The PDF cannot be shown: it is damaged.")


def layout(pdf: bytes) -> Layout:
    try:
        with pdfium.document(pdf) as document:
            sizes = []
            for page in document:
                sizes.append(tuple(page.get_size()))
                page.close()
            return Layout(page_sizes=tuple(sizes))
    except pdfium.PdfiumError as error:
        raise PreviewError(DAMAGED) from error


def page_png(pdf: bytes, index: int, *, width_px: int = PAGE_WIDTH_PX) -> bytes:
    """Page `index` (0-based) as a PNG `width_px` pixels wide, signatures' stamps included."""
    try:
        with pdfium.document(pdf) as document:
            if not 0 <= index < len(document):
                raise PreviewError(_("The PDF has no such page."))
            # Signature fields are form widgets: PDFium draws their stamps only with forms
            # loaded.
            document.init_forms()
            page = document[index]
            width_pt, height_pt = page.get_size()
            if width_pt <= 0 or height_pt > width_pt * MAX_PAGE_HEIGHT_TO_WIDTH:
                raise PreviewError(
                    _("This page is too long to show as an image: download the PDF to read it.")
                )
            bitmap = page.render(
                scale=width_px / width_pt,
                may_draw_forms=True,
                draw_annots=True,
                rev_byteorder=True,
            )
            try:
                pixels = bytes(bitmap.buffer)
                width, height = bitmap.width, bitmap.height
                stride, channels = bitmap.stride, bitmap.n_channels
            finally:
                bitmap.close()  # here, under the lock: not later by the garbage collector
            page.close()
    except pdfium.PdfiumError as error:
        raise PreviewError(DAMAGED) from error
    # The PNG is compressed after PDFium is free for other threads.
    return _png(pixels, width=width, height=height, stride=stride, channels=channels)


def _png(pixels: bytes, *, width: int, height: int, stride: int, channels: int) -> bytes:
    """An 8-bit RGB PNG from PDFium's rows of RGB pixels (each row padded to `stride`)."""
    if channels != 3:
        raise PreviewError(_("The PDF cannot be shown: it is damaged."))
    rows = io.BytesIO()
    for y in range(height):
        rows.write(b"\x00")  # filter type: none
        rows.write(pixels[y * stride : y * stride + width * 3])

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.getvalue(), 6))
        + chunk(b"IEND", b"")
    )


def field_box(pdf: bytes, field_name: str) -> FieldBox | None:
    """Where the signature field `field_name` is drawn, or None if the PDF has no such field."""
    try:
        reader = PdfReader(io.BytesIO(pdf))
        for index, page in enumerate(reader.pages):
            height = float(page.mediabox.top)
            for annotation in page.get("/Annots") or []:
                widget = annotation.get_object()
                name = widget.get("/T") or widget.get("/Parent", {}).get("/T")
                if widget.get("/Subtype") != "/Widget" or name != field_name:
                    continue
                x1, y1, x2, y2 = (float(value) for value in widget["/Rect"])
                return FieldBox(
                    page=index,
                    left=min(x1, x2) - float(page.mediabox.left),
                    top=height - max(y1, y2),
                    width=abs(x2 - x1),
                    height=abs(y2 - y1),
                )
    except Exception as error:  # pypdf raises many kinds on a damaged file
        raise PreviewError(_("The PDF cannot be shown: it is damaged.")) from error
    return None
