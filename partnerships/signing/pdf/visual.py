"""Defence in depth: what a reader sees must be what the last signer signed.

Each page of the last signed revision (the bytes the last signature covers) and of the whole
file is rendered with PDFium, forms included, and the two images are compared, signature
boxes included (after the last signature nothing a reader sees may change). Whatever slips
past the allow-list of modifications (modifications.py) and changes the picture (an
overlay, a revealed shadow object, a page swapped, an object another reader parses
differently) refuses the file.

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
        before, after = _render(bytes(pdf[:end])), _render(bytes(pdf))
    except Exception:
        logger.info("Pages could not be rendered for comparison", exc_info=True)
        return Comparison(failed=True)
    # Nothing may change after the last signature, inside its own box or any other's: a
    # box left out of the comparison hid what a reader that parses differently draws there.
    different = [
        index + 1
        for index, (one, other) in enumerate(zip(before, after, strict=False))
        if one != other
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
