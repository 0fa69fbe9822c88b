"""The funnel as a bar chart, written as SVG on the server like reports/charts.py (no
script, no inline style, every text escaped): one bar per stage, from the places pledged to
the people still employed after 12 months, each with its count written beside it, so the
chart reads the same to a screen reader (its title and description) and on paper."""

from collections.abc import Sequence
from xml.sax.saxutils import escape

from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe

from partnerships.reports.charts import _scale_top

WIDTH = 760
LABEL_WIDTH = 260
VALUE_WIDTH = 90
ROW_HEIGHT = 30
BAR_HEIGHT = 18
TOP = 12
BOTTOM = 26
COLOURS = ("#b9c6d8", "#6f93c4", "#4377b6", "#1f5fa8", "#17497f", "#0f335a")


def funnel_chart(
    stages: Sequence[tuple[str, int]], *, title: str, description: str = ""
) -> SafeString:
    """Horizontal bars, one per (label, count), on one scale."""
    height = TOP + ROW_HEIGHT * max(len(stages), 1) + BOTTOM
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    top = _scale_top(max([count for _label, count in stages] or [0]))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="funnel-title funnel-desc" font-family="sans-serif" font-size="12">',
        f'<title id="funnel-title">{escape(title)}</title>',
        f'<desc id="funnel-desc">{escape(description)}</desc>',
    ]
    for step in range(5):
        x = LABEL_WIDTH + plot * step / 4
        parts.append(
            f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{height - BOTTOM}" '
            f'stroke="#e3e7ee" stroke-width="1"/>'
            f'<text x="{x:.1f}" y="{height - BOTTOM + 16}" text-anchor="middle" '
            f'fill="#5b6475">{escape(number_format(top * step // 4))}</text>'
        )
    for index, (label, count) in enumerate(stages):
        y = TOP + ROW_HEIGHT * index
        width = plot * count / top
        colour = COLOURS[min(index, len(COLOURS) - 1)]
        parts.append(
            f'<g><text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT - 5}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{colour}"/>'
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + BAR_HEIGHT - 5}" '
            f'fill="#2b3240">{escape(number_format(count))}</text></g>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape()
