"""Empty signature fields over an MoU's two signature blocks, ready for PAdES signing.

Bytes in, bytes out. `prepare_signable_pdf` finds each block's anchor, a marker the template
prints at the top of the blank area left for the signature (`{{ sign_here_authority }}` and
`{{ sign_here_business }}`, set in tiny white type so the reader never sees it), and adds an
empty signature field hanging from it, centred on it. The template decides where the fields
go: a long position or a name printed twice cannot move them. Both fields exist before
anyone signs: the authority's (certification signature, first) and the business's (approval
signature, last), which carries the lock applied after the last signature.

Finding the anchor: the page content is interpreted with a small text-state machine on top of
pypdf's content-stream parser, giving each glyph its Unicode text (from the font's /ToUnicode
map) and its position and advance width (from the font's /Widths or /W). Glyphs are grouped
into visual lines and compared with the anchor after Unicode normalisation (NFD, case-folded,
whitespace collapsed), so split text runs and font subsets do not matter.
"""

import io
import re
import unicodedata
from dataclasses import dataclass, replace

from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils.generic import DictionaryObject as PyHankoDictionary
from pyhanko.pdf_utils.generic import IndirectObject as PyHankoIndirect
from pyhanko.pdf_utils.generic import TextStringObject as PyHankoText
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import (
    FieldMDPAction,
    FieldMDPSpec,
    MDPPerm,
    SigFieldSpec,
    append_signature_field,
    enumerate_sig_fields,
)
from pypdf import PdfReader
from pypdf.generic import ArrayObject, ContentStream, DictionaryObject, StreamObject

from partnerships.documents.engine.anchors import SIGNATURE_ANCHORS
from partnerships.documents.engine.errors import DocumentError

AUTHORITY_FIELD = "Sig_Authority"
BUSINESS_FIELD = "Sig_Business"
FIELD_NAMES = {"authority": AUTHORITY_FIELD, "business": BUSINESS_FIELD}

FIELD_WIDTH = 200.0
FIELD_HEIGHT = 72.0
# Room kept between the field and the text around it, in points.
_MARGIN = 2.0
# Glyph ascent relative to the font size (Liberation Serif/Times ≈ 0.9 em).
_ASCENT = 0.9

_MISSING_BLOCK = {
    "authority": _(
        "The authority's signature block was not found in the PDF: the template does not "
        "print {{ sign_here_authority }} where the authority signs."
    ),
    "business": _(
        "The business's signature block was not found in the PDF: the template does not "
        "print {{ sign_here_business }} where the business signs."
    ),
}


class SignatureFieldError(DocumentError):
    """The signature fields could not be placed; the message says why."""


# --- Geometry -------------------------------------------------------------------------------

Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _mul(m: Matrix, n: Matrix) -> Matrix:
    """m × n in PDF's row-vector convention: apply m first, then n."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _matrix(operands) -> Matrix:
    return tuple(float(v) for v in operands[:6])  # type: ignore[return-value]


# --- Fonts ----------------------------------------------------------------------------------

_CMAP_TOKEN = re.compile(
    rb"<([0-9A-Fa-f\s]*)>|(\[)|(\])|(beginbfchar|endbfchar|beginbfrange|endbfrange)"
)
_MAX_RANGE = 0x10000


def _hex(value: bytes) -> bytes:
    digits = re.sub(rb"\s", b"", value)
    if len(digits) % 2:
        digits += b"0"
    return bytes.fromhex(digits.decode("ascii"))


def _utf16(data: bytes) -> str:
    return data.decode("utf-16-be", errors="replace")


def _parse_to_unicode(data: bytes) -> dict[int, str]:
    """The code → text map of a /ToUnicode CMap (bfchar and bfrange sections)."""
    mapping: dict[int, str] = {}
    section = None
    pending: list = []
    array: list[bytes] | None = None
    for match in _CMAP_TOKEN.finditer(data):
        hexa, open_bracket, close_bracket, keyword = match.groups()
        if keyword is not None:
            section = {b"beginbfchar": "char", b"beginbfrange": "range"}.get(keyword)
            pending = []
            continue
        if section is None:
            continue
        if open_bracket:
            array = []
            continue
        if close_bracket:
            if array is not None:
                pending.append(array)
            array = None
        elif array is not None:
            array.append(_hex(hexa))
            continue
        else:
            pending.append(_hex(hexa))
        if section == "char" and len(pending) == 2:
            source, target = pending
            if isinstance(target, bytes):
                mapping[int.from_bytes(source, "big")] = _utf16(target)
            pending = []
        elif section == "range" and len(pending) == 3:
            low, high, target = pending
            low, high = int.from_bytes(low, "big"), int.from_bytes(high, "big")
            for offset, code in enumerate(range(low, min(high, low + _MAX_RANGE - 1) + 1)):
                if isinstance(target, list):
                    if offset < len(target):
                        mapping[code] = _utf16(target[offset])
                elif target:
                    value = int.from_bytes(target, "big") + offset
                    mapping[code] = _utf16(value.to_bytes(len(target), "big"))
            pending = []
    return mapping


class _Font:
    """What text search needs from a font: code length, code → text, code → width."""

    def __init__(self, font: DictionaryObject | None):
        font = font if isinstance(font, DictionaryObject) else DictionaryObject()
        self.two_bytes = font.get("/Subtype") == "/Type0"
        self.widths: dict[int, float] = {}
        self.default_width = 500.0
        self.to_unicode: dict[int, str] = {}
        try:
            self._load_widths(font)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError):
            self.widths = {}
        to_unicode = font.get("/ToUnicode")
        to_unicode = to_unicode.get_object() if to_unicode is not None else None
        if isinstance(to_unicode, StreamObject):
            try:
                self.to_unicode = _parse_to_unicode(to_unicode.get_data())
            except Exception:  # a broken map leaves us with the fallback decoding
                self.to_unicode = {}

    def _load_widths(self, font: DictionaryObject) -> None:
        if self.two_bytes:
            descendants = font.get("/DescendantFonts")
            descendants = descendants.get_object() if descendants is not None else None
            cid_font = descendants[0].get_object() if descendants else DictionaryObject()
            self.default_width = float(cid_font.get("/DW", 1000))
            w = list(cid_font.get("/W", ArrayObject()).get_object())
            i = 0
            while i + 1 < len(w):
                first = int(w[i])
                second = w[i + 1].get_object()
                if isinstance(second, ArrayObject):
                    for offset, width in enumerate(second):
                        self.widths[first + offset] = float(width)
                    i += 2
                elif i + 2 < len(w):
                    last = min(int(second), first + _MAX_RANGE)
                    for code in range(first, last + 1):
                        self.widths[code] = float(w[i + 2])
                    i += 3
                else:
                    break
        else:
            descriptor = font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else None
            if isinstance(descriptor, DictionaryObject) and "/MissingWidth" in descriptor:
                self.default_width = float(descriptor["/MissingWidth"])
            first = int(font.get("/FirstChar", 0))
            for offset, width in enumerate(font.get("/Widths", ArrayObject()).get_object()):
                self.widths[first + offset] = float(width)

    def glyphs(self, data: bytes):
        """(code, text, width in glyph units) for each character code in a shown string."""
        step = 2 if self.two_bytes else 1
        for i in range(0, len(data) - step + 1, step):
            code = int.from_bytes(data[i : i + step], "big")
            text = self.to_unicode.get(code)
            if text is None:
                text = "" if self.two_bytes else bytes([code]).decode("cp1252", errors="ignore")
            yield code, text, self.widths.get(code, self.default_width)


# --- Text positions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Glyph:
    text: str
    x0: float
    x1: float
    baseline: float
    size: float


@dataclass
class _State:
    """The parts of the graphics state that place text; saved and restored by q/Q."""

    ctm: Matrix
    font: "_Font"
    size: float = 0.0
    char_spacing: float = 0.0
    word_spacing: float = 0.0
    scale: float = 1.0
    leading: float = 0.0
    rise: float = 0.0


class _TextCollector:
    """Interprets a page's content stream and records each upright glyph's position."""

    MAX_FORM_DEPTH = 8

    def __init__(self, reader: PdfReader):
        self.reader = reader
        self.glyphs: list[_Glyph] = []
        self._fonts: dict[int, _Font] = {}

    def run(self, content, resources, ctm: Matrix = _IDENTITY, depth: int = 0) -> None:
        if content is None or depth > self.MAX_FORM_DEPTH:
            return
        if not isinstance(content, ContentStream):
            content = ContentStream(content, self.reader)
        resources = resources.get_object() if resources is not None else DictionaryObject()
        fonts = resources.get("/Font", DictionaryObject()).get_object()
        xobjects = resources.get("/XObject", DictionaryObject()).get_object()
        state = _State(ctm=ctm, font=self._font(None))
        stack: list[_State] = []
        tm = tlm = _IDENTITY  # the text and text-line matrices (not saved by q/Q)

        def next_line(tx: float = 0.0, ty: float | None = None) -> None:
            nonlocal tm, tlm
            tm = tlm = _mul((1.0, 0.0, 0.0, 1.0, tx, -state.leading if ty is None else ty), tlm)

        def show(string) -> None:
            nonlocal tm
            data = getattr(string, "original_bytes", None)
            if data is None:
                data = bytes(string) if isinstance(string, bytes) else b""
            for code, text, width in state.font.glyphs(data):
                advance = (width / 1000.0 * state.size + state.char_spacing) * state.scale
                if code == 32 and not state.font.two_bytes:
                    advance += state.word_spacing * state.scale
                to_page = _mul(tm, state.ctm)
                x0, y0 = _apply(to_page, 0.0, state.rise)
                x1, y1 = _apply(to_page, advance, state.rise)
                height = abs(_apply(to_page, 0.0, state.rise + state.size)[1] - y0)
                # Only upright, left-to-right text: signature blocks are never rotated.
                if text and x1 >= x0 and abs(y1 - y0) < 0.01 * max(height, 1.0):
                    self.glyphs.append(_Glyph(text, x0, x1, y0, height))
                tm = _mul((1.0, 0.0, 0.0, 1.0, advance, 0.0), tm)

        for operands, operator in content.operations:
            try:
                if operator == b"q":
                    stack.append(replace(state))
                elif operator == b"Q":
                    if stack:
                        state = stack.pop()
                elif operator == b"cm":
                    state.ctm = _mul(_matrix(operands), state.ctm)
                elif operator == b"BT":
                    tm = tlm = _IDENTITY
                elif operator == b"Tf":
                    state.font = self._font(fonts.get(operands[0]))
                    state.size = float(operands[1])
                elif operator == b"Tc":
                    state.char_spacing = float(operands[0])
                elif operator == b"Tw":
                    state.word_spacing = float(operands[0])
                elif operator == b"Tz":
                    state.scale = float(operands[0]) / 100.0
                elif operator == b"TL":
                    state.leading = float(operands[0])
                elif operator == b"Ts":
                    state.rise = float(operands[0])
                elif operator in (b"Td", b"TD"):
                    if operator == b"TD":
                        state.leading = -float(operands[1])
                    next_line(float(operands[0]), float(operands[1]))
                elif operator == b"Tm":
                    tm = tlm = _matrix(operands)
                elif operator == b"T*":
                    next_line()
                elif operator == b"Tj":
                    show(operands[0])
                elif operator == b"'":
                    next_line()
                    show(operands[0])
                elif operator == b'"':
                    state.word_spacing, state.char_spacing = float(operands[0]), float(operands[1])
                    next_line()
                    show(operands[2])
                elif operator == b"TJ":
                    for item in operands[0]:
                        if isinstance(item, int | float):
                            shift = -float(item) / 1000.0 * state.size * state.scale
                            tm = _mul((1.0, 0.0, 0.0, 1.0, shift, 0.0), tm)
                        else:
                            show(item)
                elif operator == b"Do":
                    self._form(xobjects.get(operands[0]), resources, state.ctm, depth)
            except (IndexError, TypeError, ValueError, KeyError, AttributeError):
                continue  # a malformed operator does not stop the search

    def _form(self, xobject, resources, ctm: Matrix, depth: int) -> None:
        xobject = xobject.get_object() if xobject is not None else None
        if isinstance(xobject, StreamObject) and xobject.get("/Subtype") == "/Form":
            matrix = _matrix(xobject.get("/Matrix", ArrayObject(_IDENTITY)))
            self.run(
                ContentStream(xobject, self.reader),
                xobject.get("/Resources", resources),
                _mul(matrix, ctm),
                depth + 1,
            )

    def _font(self, font) -> _Font:
        font = font.get_object() if font is not None else None
        key = id(font)
        if key not in self._fonts:
            self._fonts[key] = _Font(font)
        return self._fonts[key]


def _fold(text: str) -> str:
    """The form both sides are compared in: decomposed, case-folded, one space between words."""
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text).casefold())
    return re.sub(r"\s+", " ", text)


# Never produced by `_fold`: marks a break between columns so a match cannot span them.
_COLUMN_BREAK = "\x00"


@dataclass(frozen=True)
class _Line:
    baseline: float
    glyphs: list[_Glyph]


def _lines(glyphs: list[_Glyph]) -> list[_Line]:
    """Glyphs grouped into visual lines, top to bottom, each sorted left to right."""
    lines: list[list[_Glyph]] = []
    for glyph in sorted(glyphs, key=lambda g: -g.baseline):
        if lines and abs(lines[-1][0].baseline - glyph.baseline) <= 0.2 * max(glyph.size, 1.0):
            lines[-1].append(glyph)
        else:
            lines.append([glyph])
    return [_Line(line[0].baseline, sorted(line, key=lambda g: g.x0)) for line in lines]


def _searchable(line: _Line) -> tuple[str, list[int]]:
    """The line's folded text and, for each of its characters, the index of its glyph."""
    chars: list[str] = []
    owners: list[int] = []
    previous = None
    for index, glyph in enumerate(line.glyphs):
        if previous is not None:
            gap = glyph.x0 - previous.x1
            if gap > 1.5 * max(glyph.size, previous.size):
                chars.append(_COLUMN_BREAK)
                owners.append(index)
            elif gap > 0.15 * max(glyph.size, previous.size) and chars and chars[-1] != " ":
                chars.append(" ")
                owners.append(index)
        for char in _fold(glyph.text):
            if char == " " and (not chars or chars[-1] in (" ", _COLUMN_BREAK)):
                continue
            chars.append(char)
            owners.append(index)
        previous = glyph
    return "".join(chars), owners


@dataclass(frozen=True)
class _Anchor:
    page_index: int
    x0: float
    x1: float
    baseline: float
    size: float


def _find_anchor(page_index: int, lines: list[_Line], anchor: str) -> _Anchor | None:
    """The last occurrence of `anchor` on the page: lowest line first, rightmost match."""
    needle = _fold(anchor).strip()
    for line in reversed(lines):
        text, owners = _searchable(line)
        start = text.rfind(needle)
        if start < 0:
            continue
        matched = line.glyphs[owners[start] : owners[start + len(needle) - 1] + 1]
        return _Anchor(
            page_index=page_index,
            x0=min(g.x0 for g in matched),
            x1=max(g.x1 for g in matched),
            baseline=line.baseline,
            size=max(g.size for g in matched),
        )
    return None


def _field_box(anchor: _Anchor, page_box: tuple[float, float, float, float]) -> list[float]:
    """FIELD_WIDTH × FIELD_HEIGHT, centred on the anchor and hanging from the top of its line:
    the template leaves that much blank space below the anchor."""
    centre = (anchor.x0 + anchor.x1) / 2
    x1, x2 = centre - FIELD_WIDTH / 2, centre + FIELD_WIDTH / 2
    top = anchor.baseline + _ASCENT * anchor.size
    bottom = top - FIELD_HEIGHT
    left, low, right, high = page_box
    return [max(x1, left), max(bottom, low), min(x2, right), min(top, high)]


def _separate(boxes: dict[str, tuple[int, list[float]]]) -> None:
    """Two fields on the same page must not overlap: trim both at the middle between them."""
    (page_a, a), (page_b, b) = boxes["authority"], boxes["business"]
    if page_a != page_b or a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]:
        return
    left, right = (a, b) if (a[0] + a[2]) <= (b[0] + b[2]) else (b, a)
    middle = ((left[0] + left[2]) / 2 + (right[0] + right[2]) / 2) / 2
    left[2] = min(left[2], middle - _MARGIN)
    right[0] = max(right[0], middle + _MARGIN)


def _page_box(page) -> tuple[float, float, float, float]:
    box = page.cropbox
    return (
        float(min(box.left, box.right)),
        float(min(box.bottom, box.top)),
        float(max(box.left, box.right)),
        float(max(box.bottom, box.top)),
    )


# --- Public API -------------------------------------------------------------------------------


def _open(pdf: bytes) -> PdfReader:
    if not isinstance(pdf, bytes | bytearray) or b"%PDF-" not in pdf[:1024]:
        raise SignatureFieldError(_("The file is not a PDF."))
    try:
        reader = PdfReader(io.BytesIO(pdf), strict=False)
        if reader.is_encrypted:
            raise SignatureFieldError(_("The PDF is encrypted; signature fields cannot be added."))
        if not reader.pages:
            raise SignatureFieldError(_("The PDF has no pages."))
    except SignatureFieldError:
        raise
    except Exception as exc:  # pypdf raises many kinds on a broken file
        raise SignatureFieldError(_("The PDF is damaged and cannot be read.")) from exc
    return reader


def _align_producer(writer: IncrementalPdfFileWriter) -> None:
    """Keep the Info dictionary and the XMP metadata saying the same thing (PDF/A requires it).

    Every pyHanko update sets XMP pdf:Producer to pyHanko's name but *appends* that name to the
    Info /Producer ("LibreOffice 7.4; pyHanko …"), which a PDF/A validator reports as a mismatch.
    Setting the Info entry to pyHanko's name here makes this and every later pyHanko update
    (the signatures) write the same value in both places. The PDF/A identification
    (pdfaid:part, pdfaid:conformance) is carried over untouched by pyHanko's XMP update.
    """
    try:
        info_ref = writer.trailer.raw_get("/Info")
    except KeyError:
        return
    info = info_ref.get_object()
    if isinstance(info, PyHankoDictionary) and info.get("/Producer") != VENDOR:
        info["/Producer"] = PyHankoText(VENDOR)
        writer.mark_update(info_ref)


def prepare_signable_pdf(pdf: bytes, *, anchors: dict[str, str] | None = None) -> bytes:
    """Add the two empty signature fields over the signature blocks of an unsigned MoU PDF.

    `anchors` maps "authority" and "business" to the marker text printed at the top of that
    party's signature area (SIGNATURE_ANCHORS unless given). Returns the PDF with an
    incremental update holding the fields: AUTHORITY_FIELD without a lock, and BUSINESS_FIELD
    locking every field and the whole document (FieldMDP /All, DocMDP "no changes") once it
    is signed.
    """
    blocks = dict(SIGNATURE_ANCHORS if anchors is None else anchors)
    if set(blocks) != set(FIELD_NAMES) or not all((v or "").strip() for v in blocks.values()):
        raise ValueError(f"anchors must name exactly {sorted(FIELD_NAMES)}, got {blocks}")

    reader = _open(pdf)
    try:
        # Any form field by one of our names, read from the parse made above: a second
        # parse (find_signature_fields) was a fifth of preparing a PDF.
        existing = set(reader.get_fields() or {})
    except Exception:  # a broken form: the writer below says so in the user's words
        existing = set()
    already = sorted(existing & set(FIELD_NAMES.values()))
    if already:
        raise SignatureFieldError(
            _("The PDF already has the signature field %(name)s.") % {"name": already[0]}
        )

    # The last occurrence of each anchor: pages from the last one back, until both are found.
    anchors: dict[str, _Anchor] = {}
    try:
        for page_index in range(len(reader.pages) - 1, -1, -1):
            page = reader.pages[page_index]
            collector = _TextCollector(reader)
            collector.run(page.get_contents(), page.get("/Resources"))
            lines = _lines(collector.glyphs)
            for role, marker in blocks.items():
                if role not in anchors:
                    anchor = _find_anchor(page_index, lines, marker)
                    if anchor is not None:
                        anchors[role] = anchor
            if len(anchors) == len(blocks):
                break
    except Exception as exc:
        raise SignatureFieldError(_("The PDF is damaged and cannot be read.")) from exc
    for role in FIELD_NAMES:
        if role not in anchors:
            raise SignatureFieldError(_MISSING_BLOCK[role])

    boxes = {
        role: (anchor.page_index, _field_box(anchor, _page_box(reader.pages[anchor.page_index])))
        for role, anchor in anchors.items()
    }
    _separate(boxes)

    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        _align_producer(writer)
        for role, field_name in FIELD_NAMES.items():
            page_index, box = boxes[role]
            lock = {}
            if role == "business":
                lock = {
                    "field_mdp_spec": FieldMDPSpec(action=FieldMDPAction.ALL),
                    "doc_mdp_update_value": MDPPerm.NO_CHANGES,
                }
            append_signature_field(
                writer,
                SigFieldSpec(
                    sig_field_name=field_name,
                    on_page=page_index,
                    box=tuple(round(v, 2) for v in box),
                    **lock,
                ),
            )
        output = io.BytesIO()
        writer.write(output)
    except Exception as exc:  # pyHanko's strict parser refuses what pypdf tolerated
        raise SignatureFieldError(
            _(
                "The PDF could not be prepared for signing: its structure is damaged or not "
                "standard. Convert the document again."
            )
        ) from exc
    return output.getvalue()


def find_signature_fields(pdf: bytes) -> dict[str, tuple[int, tuple[float, float, float, float]]]:
    """Every signature field with a widget on a page, signed or not:
    {fully qualified name: (page index, (x1, y1, x2, y2))}, coordinates normalised so that
    x1 < x2 and y1 < y2."""
    _open(pdf)  # not a PDF, encrypted, no pages: said in the user's words
    fields: dict[str, tuple[int, tuple[float, float, float, float]]] = {}
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        page_of = {}  # widget annotation -> index of the page it sits on
        for page_index in range(int(reader.root["/Pages"]["/Count"])):
            page_ref, _resources = reader.find_page_for_modification(page_index)
            for annot in page_ref.get_object().get("/Annots", ()):
                if isinstance(annot, PyHankoIndirect):
                    page_of.setdefault(annot.reference, page_index)
        for name, _value, field_ref in enumerate_sig_fields(reader, filled_status=None):
            field = field_ref.get_object()
            # A field is its own widget, or has its widgets as kids.
            for widget_ref in field.get("/Kids", [field_ref]):
                if widget_ref.reference not in page_of:
                    continue
                rect = [float(v) for v in widget_ref.get_object().get("/Rect", [0, 0, 0, 0])]
                x1, x2 = sorted((rect[0], rect[2]))
                y1, y2 = sorted((rect[1], rect[3]))
                fields[name] = (page_of[widget_ref.reference], (x1, y1, x2, y2))
                break
    except Exception as exc:
        raise SignatureFieldError(_("The PDF is damaged and cannot be read.")) from exc
    return fields
