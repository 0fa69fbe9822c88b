"""Pledged-versus-delivered bar charts, written as SVG markup on the server.

No library, no script and no CDN: the page embeds the SVG as it is. Colours, sizes and
fonts are SVG presentation attributes and classes styled by site.css, never style="" (the
Content-Security-Policy forbids inline styles). Every text is escaped, so a partner called
"<A & B>" draws as such. Strings in, a string out; no ORM, no HTTP.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH = 760
LABEL_WIDTH = 250
VALUE_WIDTH = 90
ROW_HEIGHT = 34
BAR_HEIGHT = 11
TOP = 46
BOTTOM = 28
LABEL_CHARACTERS = 38
PLEDGED_COLOUR = "#b9c6d8"
DELIVERED_COLOUR = "#1f5fa8"
LAGGING_COLOUR = "#b3261e"


@dataclass(frozen=True)
class Bar:
    label: str
    pledged: int
    delivered: int
    flagged: bool = False


def _text(value) -> str:
    return escape(str(value))


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"


def _scale_top(largest: int) -> int:
    """The axis's end: four equal whole steps of 1, 2, 2.5 or 5 × 10^n, reaching `largest`."""
    if largest <= 0:
        return 4
    rough = largest / 4
    magnitude = 10 ** max(math.floor(math.log10(rough)), 0) if rough >= 1 else 1
    for step in (1, 2, 2.5, 5, 10):
        tick = step * magnitude
        if rough <= tick and tick == int(tick):
            return 4 * int(tick)
    return 40 * magnitude


def pledged_vs_delivered(
    bars: Sequence[Bar], *, title: str, description: str = "", identifier: str = "chart"
) -> SafeString:
    """Horizontal bars, one pair per row: places pledged (light) and delivered (dark; red
    when the row is flagged as lagging). Returns SVG markup safe to embed in a page."""
    height = TOP + ROW_HEIGHT * max(len(bars), 1) + BOTTOM
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    top = _scale_top(max([max(bar.pledged, bar.delivered) for bar in bars] or [0]))
    title_id = f"{identifier}-title"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="{title_id}" font-family="sans-serif" font-size="12">',
        f'<title id="{title_id}">{_text(title)}</title>',
    ]
    if description:
        parts.append(f"<desc>{_text(description)}</desc>")
    parts.extend(_legend())
    for step in range(5):
        x = LABEL_WIDTH + plot * step / 4
        parts.append(
            f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{height - BOTTOM}" '
            f'stroke="#e3e7ee" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{height - BOTTOM + 16}" text-anchor="middle" '
            f'fill="#5b6475">{_text(number_format(top * step // 4))}</text>'
        )
    if not bars:
        # Translated outside the f-string: xgettext cannot see strings inside f-strings.
        nothing = _("Nothing to show.")
        parts.append(
            f'<text x="{LABEL_WIDTH}" y="{TOP + 20}" fill="#5b6475">{_text(nothing)}</text>'
        )
    for index, bar in enumerate(bars):
        parts.extend(_row(bar, index, plot, top))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape()


def _legend() -> list[str]:
    entries = [
        (PLEDGED_COLOUR, _("Pledged")),
        (DELIVERED_COLOUR, _("Delivered")),
        (LAGGING_COLOUR, _("Delivered, MoU lagging")),
    ]
    parts, x = [], LABEL_WIDTH
    for colour, label in entries:
        parts.append(f'<rect x="{x}" y="10" width="14" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 20}" y="19">{_text(label)}</text>')
        x += 30 + 7 * len(str(label))
    return parts


def _row(bar: Bar, index: int, plot: float, top: int) -> list[str]:
    y = TOP + ROW_HEIGHT * index
    pledged_width = plot * bar.pledged / top
    delivered_width = plot * bar.delivered / top
    colour = LAGGING_COLOUR if bar.flagged else DELIVERED_COLOUR
    values = f"{number_format(bar.delivered)} / {number_format(bar.pledged)}"
    label = _short(bar.label)
    delivered = _("delivered")
    return [
        "<g>",
        f"<title>{_text(bar.label)}: {_text(delivered)} {_text(values)}</title>",
        f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT + 4}" text-anchor="end">'
        f"{_text(label)}</text>",
        f'<rect x="{LABEL_WIDTH}" y="{y}" width="{pledged_width:.1f}" height="{BAR_HEIGHT}" '
        f'fill="{PLEDGED_COLOUR}"/>',
        f'<rect x="{LABEL_WIDTH}" y="{y + BAR_HEIGHT + 1}" width="{delivered_width:.1f}" '
        f'height="{BAR_HEIGHT}" fill="{colour}"/>',
        f'<text x="{LABEL_WIDTH + max(pledged_width, delivered_width) + 6:.1f}" '
        f'y="{y + BAR_HEIGHT + 4}" fill="#2b3240">{_text(values)}</text>',
        "</g>",
    ]
