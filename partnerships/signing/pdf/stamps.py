"""The visible part of a signature: a small stamp in the signature field, in Vietnamese.

pyHanko's default stamp font is Courier, a non-embedded standard font with a Latin-1 encoding:
Vietnamese letters come out as garbage without any error. Stamps here are set in an embedded
TrueType font (Liberation Sans, else DejaVu Sans) through pyHanko's OpenType support (HarfBuzz
shaping, a font subset with a /ToUnicode map, so the text can be copied and searched).

The field is about 200 × 72 pt. The text is set at its final size (8 pt, else 7 pt: legible
at 100 % zoom) with a margin inside the frame, lines wrapped here (pyHanko does not wrap); the
QR code has a fixed size on the left. When the lines do not fit even at 7 pt, the optional
ones (a hint, the organisation) are left out first; only text that still does not fit (a very
long name) makes pyHanko shrink the stamp.
"""

import functools
import io
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import (
    CIDFontType2,
    GlyphAccumulator,
    GlyphAccumulatorFactory,
)
from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import init_xobject_dictionary
from pyhanko.stamp import QRPosition, QRStampStyle, TextStampStyle
from pyhanko.stamp.qr import QRStamp

from partnerships.formats import DAY
from partnerships.signing.pdf.errors import SigningError

# Searched in order; the first that exists is used. Debian: fonts-liberation2, fonts-dejavu-core.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
DISPLAY_TIME_ZONE = "Asia/Ho_Chi_Minh"

# (font size, leading) in points, best first; pyHanko writes integer sizes.
_SIZES = ((8, 10), (7, 9))
MINIMUM_FONT_SIZE = _SIZES[-1][0]
_TEXT_MARGIN = 3  # between the frame and the text, in points
_QR_SIZE = 50  # the QR code's side, in points (18 mm: scannable from print)
_QR_SEPARATION = 2  # around the QR code, in points
_BORDER = 1

AUTHORITY_COLOUR = (0.6, 0.0, 0.0)
BUSINESS_COLOUR = (0.0, 0.2, 0.55)
SEAL_COLOUR = (0.25, 0.25, 0.25)


# What a stamp is written in: ASCII, Latin-1 and Latin Extended-A (names from elsewhere),
# every Vietnamese letter precomposed and the combining marks, and typographic punctuation.
_REPERTOIRE = frozenset(
    [
        *range(0x20, 0x7F),
        *range(0xA0, 0x180),
        0x1A0, 0x1A1, 0x1AF, 0x1B0,  # Ơ ơ Ư ư
        *range(0x300, 0x30A), 0x323,  # combining grave … hook above, dot below
        *range(0x1EA0, 0x1EFA),  # Ạ … ỹ
        *(ord(c) for c in "–—‘’‚“”„…•€№"),
    ]
)  # fmt: skip


@dataclass(frozen=True)
class _PreparedFont:
    """A subset of a font with the glyphs of every stamp, made once per process: the same
    subset pyHanko makes for one stamp (glyph ids kept, no layout tables), but of the whole
    repertoire, compressed once. A stamp whose glyphs are all in it embeds these bytes
    instead of having fontTools subset the font again."""

    glyph_ids: frozenset[int]
    encoded: bytes  # the font program, Flate-compressed, as /FontFile2's stream data


@functools.cache
def _font_bytes(font_path: str) -> bytes:
    return Path(font_path).read_bytes()


@functools.cache
def _prepared_font(font_path: str) -> _PreparedFont | None:
    """The font's prepared subset (None for a font pyHanko embeds otherwise, e.g. CFF)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(_font_bytes(font_path)))
    if "glyf" not in font:
        return None
    cmap = font.getBestCmap()
    glyph_ids = {0} | {font.getGlyphID(cmap[cp]) for cp in _REPERTOIRE if cp in cmap}
    # pyHanko's own options for a TrueType font (GlyphAccumulator._extract_subset).
    options = subset.Options(layout_closure=False)
    options.drop_tables += ["GPOS", "GDEF", "GSUB"]
    options.retain_gids = True
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(gids=sorted(glyph_ids))
    subsetter.subset(font)
    program = io.BytesIO()
    font.save(program)
    stream = generic.StreamObject(stream_data=program.getvalue())
    stream.compress()
    return _PreparedFont(glyph_ids=frozenset(glyph_ids), encoded=stream.encoded_data)


class _CIDFontType2(CIDFontType2):
    """pyHanko's TrueType CID font, embedding the prepared subset when it has been given
    one (`prepared`), else subsetting as pyHanko does."""

    prepared: _PreparedFont | None = None

    def set_font_file(self, writer):
        if self.prepared is None:
            return super().set_font_file(writer)
        font_stream = generic.StreamObject(
            {generic.pdf_name("/Filter"): generic.pdf_name("/FlateDecode")},
            encoded_data=self.prepared.encoded,
        )
        font_stream_ref = writer.add_object(font_stream)
        self._font_descriptor[generic.pdf_name("/FontFile2")] = font_stream_ref
        return font_stream_ref


class _GlyphAccumulator(GlyphAccumulator):
    """pyHanko's font engine, measuring in thousandths of an em as PDF requires, and
    embedding the font subset prepared once per process when the stamp's glyphs are in it.

    pyHanko 0.38 writes glyph widths (/W) and TJ adjustments in the font's own units, which
    is right only for fonts of 1000 units per em (the Noto fonts its tests use). Liberation
    and DejaVu have 2048: every glyph would advance about twice its width, letter-spacing the
    stamp across the field. HarfBuzz is asked for positions at a scale of 1000 and widths are
    rescaled, so that every number pyHanko writes is in the unit the PDF reader expects.

    pyHanko subsets the font with fontTools for every stamp, which costs more than the
    signature itself; the prepared subset is the same kind of subset (glyph ids kept) with
    more glyphs. A glyph outside it (a name in another script) makes this stamp subset the
    font pyHanko's way.
    """

    def __init__(self, *args, font_path: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._to_thousandths = 1000 / self.units_per_em
        self.hb_font.scale = (1000, 1000)
        self.units_per_em = 1000
        self._font_path = font_path
        if type(self.cidfont_obj) is CIDFontType2:
            base_ps_name = self.cidfont_obj.name.split("+", 1)[1]
            self.cidfont_obj = _CIDFontType2(self.tt, base_ps_name, self.subset_prefix)

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        cached = self._glyphs.get(glyph_id)
        if cached is not None:
            return cached
        cid, width = super()._get_cid_and_width(glyph_id)
        self._glyphs[glyph_id] = result = (cid, round(width * self._to_thousandths))
        return result

    def _extract_subset(self, options=None):
        prepared = _prepared_font(self._font_path) if options is None else None
        if (
            isinstance(self.cidfont_obj, _CIDFontType2)
            and prepared is not None
            and self._glyphs.keys() <= prepared.glyph_ids
        ):
            self.cidfont_obj.prepared = prepared
            return
        super()._extract_subset(options)


class _GlyphAccumulatorFactory(GlyphAccumulatorFactory):
    def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return _GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(_font_bytes(self.font_file)),
            font_size=self.font_size,
            ot_script_tag=self.ot_script_tag,
            ot_language_tag=self.ot_language_tag,
            writing_direction=self.writing_direction,
            bcp47_lang_code=self.bcp47_lang_code,
            obj_stream=obj_stream,
            font_path=self.font_file,
        )


@functools.lru_cache(maxsize=1024)
def _qr_code(url: str) -> tuple[bytes, int]:
    """pyHanko's drawing of the QR code of `url` (its content stream, compressed, and its
    side), made once per URL: the stamps of an MoU's signatures all show the same one."""
    import qrcode
    from pyhanko.pdf_utils.qr import PdfStreamQRImage

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(url)
    qr.make()
    command_stream = qr.make_image(image_factory=PdfStreamQRImage).render_command_stream()
    side = (qr.modules_count + 2 * qr.border) * qr.box_size
    stream = generic.StreamObject(stream_data=command_stream)
    stream.compress()
    return stream.encoded_data, side


class _QRStamp(QRStamp):
    def _qr_xobject(self):
        if self.style.qr_inner_content is not None:
            return super()._qr_xobject()
        encoded, side = _qr_code(self.url)
        qr_xobj = init_xobject_dictionary(b"", side, side)
        qr_xobj[generic.pdf_name("/Filter")] = generic.pdf_name("/FlateDecode")
        qr_xobj = generic.StreamObject(qr_xobj, encoded_data=encoded)
        return self.writer.add_object(qr_xobj), side


@dataclass(frozen=True)
class _QRStampStyle(QRStampStyle):
    """pyHanko's QR stamp, with the QR code drawn once per URL (`_qr_code`)."""

    def create_stamp(self, writer, box, text_params) -> QRStamp:
        try:
            url = text_params.pop("url")
        except KeyError:
            return super().create_stamp(writer, box, text_params)
        return _QRStamp(writer, style=self, url=url, text_params=text_params, box=box)


@functools.cache
def default_font_path() -> str:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    raise SigningError(
        _(
            "No font with Vietnamese letters was found for the signature stamp: install "
            "fonts-liberation2 or fonts-dejavu-core."
        )
    )


@functools.cache
def _metrics(font_path: str) -> tuple[dict[int, str], dict[str, int], int]:
    """(code point → glyph name, glyph name → advance width, units per em) of a font."""
    from fontTools.ttLib import TTFont

    font = TTFont(font_path, lazy=True)
    cmap = font.getBestCmap()
    advances = {name: metrics[0] for name, metrics in font["hmtx"].metrics.items()}
    return cmap, advances, font["head"].unitsPerEm


def text_width(text: str, size: float, font_path: str) -> float:
    """The advance width of `text` at `size` points, character by character (no kerning)."""
    cmap, advances, units = _metrics(font_path)
    fallback = advances.get(cmap.get(ord("n"), ""), units // 2)
    total = sum(advances.get(cmap.get(ord(char), ""), fallback) for char in text)
    return total * size / units


def wrap(text: str, width: float, size: float, font_path: str) -> list[str]:
    """`text` broken at spaces into lines no wider than `width` (a word longer than the width
    stays whole on its own line; the stamp then shrinks a little)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if line and text_width(candidate, size, font_path) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def format_signing_time(moment: datetime, time_zone: str = DISPLAY_TIME_ZONE) -> str:
    """ "22/11/2026 07:50:28 (GMT+7)": the day first, as Vietnamese documents write it."""
    local = moment.astimezone(ZoneInfo(time_zone))
    offset = local.utcoffset()
    hours = int(offset.total_seconds() // 3600) if offset is not None else 0
    minutes = int(abs(offset.total_seconds()) % 3600 // 60) if offset is not None else 0
    zone = f"GMT{hours:+d}" + (f":{minutes:02d}" if minutes else "")
    return f"{local.strftime(DAY)} {local:%H:%M:%S} ({zone})"


@dataclass(frozen=True)
class Stamp:
    """What pyHanko needs to draw a stamp: its style and the values for its text."""

    style: TextStampStyle
    text_params: dict
    text: str  # the text as laid out, one line per line


def _fit(
    paragraphs: list[str], optional: list[str], width: float, height: float, font_path: str
) -> tuple[list[str], int, int]:
    """The lines and (size, leading) of the most legible layout that fits width × height:
    the largest size first, with every paragraph, then without the optional ones."""
    attempts = [
        (size, leading, kept)
        for size, leading in _SIZES
        for kept in (paragraphs, [p for p in paragraphs if p not in optional])
    ]
    for size, leading, kept in attempts:
        available = width - 2 * _TEXT_MARGIN
        lines = [line for p in kept for line in wrap(p, available, size, font_path)]
        fits_across = all(text_width(line, size, font_path) <= available for line in lines)
        if fits_across and len(lines) * leading + 2 * _TEXT_MARGIN <= height:
            return lines, size, leading
    # Nothing fits: the smallest size with the required lines; pyHanko shrinks the stamp.
    size, leading, kept = attempts[-1]
    return [line for p in kept for line in wrap(p, width, size, font_path)], size, leading


def build_stamp(
    paragraphs: list[str],
    *,
    box: tuple[float, float],
    colour: tuple[float, float, float],
    qr_url: str | None = None,
    font_path: str | None = None,
    optional: tuple[str, ...] = (),
) -> Stamp:
    """A stamp for a field of `box` (width, height) points: `paragraphs` wrapped to fit,
    with a QR code of `qr_url` on the left when given. Paragraphs also in `optional` are left
    out when keeping them would take the text below the larger size."""
    font_path = font_path or default_font_path()
    width, height = box
    qr_width = _QR_SIZE + 2 * _QR_SEPARATION if qr_url else 0
    paragraphs = [unicodedata.normalize("NFC", p.strip()) for p in paragraphs if p.strip()]
    optional_lines = [unicodedata.normalize("NFC", p.strip()) for p in optional]
    lines, size, leading = _fit(
        paragraphs, optional_lines, width - 2 * _BORDER - qr_width, height - 2 * _BORDER, font_path
    )
    text = "\n".join(lines)

    text_box_style = TextBoxStyle(
        font=_GlyphAccumulatorFactory(font_path, font_size=size, bcp47_lang_code="vi"),
        font_size=size,
        leading=leading,
        text_color=colour,
        box_layout_rule=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MIN,
            y_align=AxisAlignment.ALIGN_MID,
            margins=Margins.uniform(_TEXT_MARGIN),
        ),
    )
    # Left-aligned, centred vertically; shrunk to the field only if it does not fit.
    layout = SimpleBoxLayoutRule(
        x_align=AxisAlignment.ALIGN_MIN,
        y_align=AxisAlignment.ALIGN_MID,
        margins=Margins.uniform(_BORDER),
    )
    common = {
        "border_width": _BORDER,
        "border_color": colour,
        # The text goes in as a parameter so that a "%" in a name cannot break the template.
        "stamp_text": "%(body)s",
        "text_box_style": text_box_style,
        "inner_content_layout": layout,
    }
    if qr_url:
        style = _QRStampStyle(
            **common,
            innsep=_QR_SEPARATION,
            qr_inner_size=_QR_SIZE,
            qr_position=QRPosition.LEFT_OF_TEXT,
        )
        return Stamp(style=style, text_params={"body": text, "url": qr_url}, text=text)
    return Stamp(style=TextStampStyle(**common), text_params={"body": text}, text=text)
