"""Defence in depth: what a reader sees must be what the last signer signed.

Each page of the last signed revision (the bytes the last signature covers) and of the whole
file is rendered with PDFium, forms included, and the two images are compared outside the
signature widgets' rectangles (as they stood in the signed revision: a field added later is
not masked). Whatever slips past the allow-list of modifications (modifications.py) and
changes the picture (an overlay, a revealed shadow object, a page swapped) refuses the file.

Rendering is deterministic for the same bytes, so the comparison is exact. Its outcome depends
only on the file, so it is remembered by the file's SHA-256 (the verdict around it depends on
the time and on revocation, and is not).
"""

import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils import generic

from partnerships.core import pdfium
from partnerships.signing.pdf.problems import Problem, interpolate

logger = logging.getLogger(__name__)

VISIBLE_DIFFERENCE = "visible_difference"
NOT_RENDERED = "not_rendered"
MESSAGES = {
    VISIBLE_DIFFERENCE: _(
        "What the document shows differs from what was signed: page %(pages)s looks different "
        "from the last signed version."
    ),
    NOT_RENDERED: _(
        "The document's pages could not be drawn, so what it shows could not be compared "
        "with what was signed."
    ),
}

# 72 dpi: a changed digit of 13 pt body text is a dozen pixels; A4 is 595 × 842 pixels.
SCALE = 1.0
# Around a signature widget: antialiasing of the stamp's frame reaches a pixel beyond it.
MASK_MARGIN_PT = 2
# Real pages (A4, Letter, Legal) are far under this, in points; bigger pages are not drawn.
MAX_PAGE_SIDE_PT = 5000
MAX_PAGES = 200
CACHE_SIZE = 512


@dataclass(frozen=True)
class Comparison:
    """The outcome for one file: the pages (1-based) that look different, or why none could
    be compared."""

    different_pages: tuple[int, ...] = ()
    failed: bool = False

    @property
    def problems(self) -> list[Problem]:
        if self.failed:
            return [Problem(NOT_RENDERED, MESSAGES[NOT_RENDERED])]
        if self.different_pages:
            pages = ", ".join(str(n) for n in self.different_pages)
            return [
                Problem(
                    VISIBLE_DIFFERENCE,
                    interpolate(MESSAGES[VISIBLE_DIFFERENCE], {"pages": pages}),
                )
            ]
        return []


_cache: OrderedDict[str, Comparison] = OrderedDict()
_cache_lock = threading.Lock()


def remembered(sha256: str) -> Comparison | None:
    with _cache_lock:
        found = _cache.get(sha256)
        if found is not None:
            _cache.move_to_end(sha256)
        return found


def remember(sha256: str, comparison: Comparison) -> None:
    with _cache_lock:
        _cache[sha256] = comparison
        _cache.move_to_end(sha256)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def forget_all() -> None:
    with _cache_lock:
        _cache.clear()


# --- Where the signature widgets are ----------------------------------------------------------


Rect = tuple[float, float, float, float]


def _masks(reader, signed_revision: int) -> dict[int, list[Rect]]:
    """The signature widgets of the signed revision, less any that an annotation of the
    whole file (other than those widgets as they were) now overlaps: a widget moved or
    added over a stamp must be seen, not masked with it."""
    signed = _widget_rects(reader.get_historical_resolver(signed_revision))
    final = _widget_rects(reader, signatures_only=False)
    masks = {}
    for index, rects in signed.items():
        others = list(final.get(index, []))
        for rect in rects:
            if rect in others:
                others.remove(rect)  # the widget itself, where it was
        masks[index] = [r for r in rects if not any(_overlap(r, o) for o in others)]
    return masks


def _overlap(one: Rect, other: Rect) -> bool:
    return one[0] < other[2] and other[0] < one[2] and one[1] < other[3] and other[1] < one[3]


def _widget_rects(resolver, *, signatures_only: bool = True) -> dict[int, list[Rect]]:
    """{page index: [(x1, y1, x2, y2) in PDF points]} of signature widgets in a revision (of
    every annotation, without `signatures_only`), only where the rectangle is four plain
    numbers; an annotation whose rectangle is not plain covers its whole page."""
    found: dict[int, list] = {}
    try:
        pages = _pages(resolver)
    except Exception:
        return found
    for index, page in enumerate(pages):
        try:
            annots = page.get("/Annots")
            annots = annots.get_object() if annots is not None else []  # maybe indirect
            for annot in annots:
                annot = annot.get_object()
                field = annot
                if "/FT" not in field and "/Parent" in field:
                    field = field["/Parent"].get_object()
                if signatures_only and field.get("/FT") != "/Sig":
                    continue
                rect = annot.raw_get("/Rect")
                if not _plain_rect(rect) and not signatures_only:
                    found.setdefault(index, []).append(_WHOLE_PAGE)
                elif _plain_rect(rect):
                    x1, y1, x2, y2 = (float(v) for v in rect)
                    found.setdefault(index, []).append(
                        (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
                    )
        except Exception:  # an unreadable annotation masks nothing, and may cover anything
            logger.info("Unreadable annotations on page %s", index + 1, exc_info=True)
            if not signatures_only:
                found.setdefault(index, []).append(_WHOLE_PAGE)
    return found


_WHOLE_PAGE: Rect = (-1e9, -1e9, 1e9, 1e9)


def _plain_rect(rect) -> bool:
    return (
        isinstance(rect, generic.ArrayObject)
        and len(rect) == 4
        and all(isinstance(v, generic.NumberObject | generic.FloatObject) for v in rect)
    )


def _pages(resolver) -> list:
    pages, pending, seen = [], [resolver.root["/Pages"]], set()
    while pending and len(pages) <= MAX_PAGES:
        node = pending.pop(0)
        key = id(node)
        if key in seen:
            continue
        seen.add(key)
        if node.get("/Type") == "/Page":
            pages.append(node)
        else:
            pending[0:0] = [kid.get_object() for kid in node.get("/Kids", [])]
    return pages


# --- Drawing and comparing --------------------------------------------------------------------


def _render(pdf: bytes) -> list[tuple[bytes, int, int, int, tuple[float, float]]]:
    """Every page as (pixels, width, height, stride, page size in points), forms drawn."""
    with pdfium.document(pdf) as document:
        document.init_forms()
        if len(document) > MAX_PAGES:
            raise ValueError("too many pages")
        images = []
        for page in document:
            width_pt, height_pt = page.get_size()
            if max(width_pt, height_pt) > MAX_PAGE_SIDE_PT:
                raise ValueError("page too large")
            bitmap = page.render(scale=SCALE, may_draw_forms=True)
            try:
                images.append(
                    (
                        bytes(bitmap.buffer),
                        bitmap.width,
                        bitmap.height,
                        bitmap.stride,
                        (width_pt, height_pt),
                    )
                )
            finally:
                bitmap.close()  # here, under the lock: not later by the garbage collector
            page.close()
        return images


def _masked(image, rects) -> bytes:
    pixels, width, height, stride, (_w_pt, h_pt) = image
    if not rects:
        return pixels
    pixels = bytearray(pixels)
    bytes_per_pixel = stride // width if width else 4
    for x1, y1, x2, y2 in rects:
        # PDF points from the bottom-left; pixel rows from the top.
        left = max(0, int((x1 - MASK_MARGIN_PT) * SCALE))
        right = min(width, int((x2 + MASK_MARGIN_PT) * SCALE) + 1)
        top = max(0, int((h_pt - y2 - MASK_MARGIN_PT) * SCALE))
        bottom = min(height, int((h_pt - y1 + MASK_MARGIN_PT) * SCALE) + 1)
        if right <= left:
            continue
        blank = bytes((right - left) * bytes_per_pixel)
        for row in range(top, bottom):
            start = row * stride + left * bytes_per_pixel
            pixels[start : start + len(blank)] = blank
    return bytes(pixels)


def compare(pdf: bytes, reader, signatures) -> Comparison:
    """Compare the last signed revision of `pdf` with the whole file, page by page."""
    # The last signature; the last document timestamp in a file with no other.
    signed = [e for e in signatures if e.sig_object_type == "/Sig"] or list(signatures)
    if not signed:
        return Comparison()
    last = max(signed, key=lambda e: e.signed_revision)
    try:
        byte_range = [int(v) for v in last.byte_range]
        end = byte_range[2] + byte_range[3]
        if not 0 < end <= len(pdf):
            return Comparison(failed=True)
        if end == len(pdf):
            return Comparison()  # nothing follows the last signature
        masks = _masks(reader, last.signed_revision)
        before, after = _render(bytes(pdf[:end])), _render(bytes(pdf))
    except Exception:
        logger.info("Pages could not be rendered for comparison", exc_info=True)
        return Comparison(failed=True)
    different = [
        index + 1
        for index, (one, other) in enumerate(zip(before, after, strict=False))
        if one[1:] != other[1:]
        or _masked(one, masks.get(index)) != _masked(other, masks.get(index))
    ]
    if len(before) != len(after):
        different.append(min(len(before), len(after)) + 1)
    return Comparison(different_pages=tuple(different))


def check(pdf: bytes, reader, signatures) -> list[Problem]:
    """The visible differences between the last signed revision and the file, remembered by
    the file's SHA-256."""
    digest = hashlib.sha256(pdf).hexdigest()
    comparison = remembered(digest)
    if comparison is None:
        comparison = compare(pdf, reader, signatures)
        remember(digest, comparison)
    return comparison.problems
