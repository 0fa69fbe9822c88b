"""The figures a review keeps: what was pledged and delivered on the day it was recorded.

Stored as plain data on the Review (Review.figures) and never recomputed, so a review reads
the same years later, whatever placements are confirmed, ended or rejected since.
"""

from datetime import date

from django.db.models import Sum

from partnerships.models import Mou, Placement
from partnerships.placements.delivery import RETENTION_MONTHS, delivery_annotations
from partnerships.placements.selectors import pledge_delivery
from partnerships.reports.measures import lag_margin

COUNTS = ["reported", "delivered", "rejected"] + [
    f"{name}_{months}" for months in RETENTION_MONTHS for name in ("eligible", "retained")
]


def review_figures(mou: Mou, *, as_of: date) -> dict:
    """Each pledge line's figures and the MoU's totals (three queries, all counts in SQL)."""
    lines = [
        {
            "line": pledge.line,
            "pledge": pledge.pk,
            "kind": pledge.kind,
            "occupation": pledge.occupation,
            "pledged": pledge.quantity,
            **{name: getattr(pledge, name) for name in COUNTS},
        }
        for pledge in pledge_delivery(mou, as_of=as_of)
    ]
    totals = Placement.objects.filter(pledge__mou=mou).aggregate(
        **delivery_annotations(as_of=as_of)
    )
    totals["pledged"] = mou.pledges.aggregate(total=Sum("quantity"))["total"] or 0
    return {
        "as_of": as_of.isoformat(),
        "term_start": mou.term_start.isoformat() if mou.term_start else None,
        "term_end": mou.term_end.isoformat() if mou.term_end else None,
        "term_elapsed": _elapsed(mou, as_of),
        "lag_margin": lag_margin(),
        "lines": lines,
        "totals": totals,
    }


def _elapsed(mou: Mou, as_of: date) -> float | None:
    """The share of the term past on `as_of` (the rule of reports.measures.elapsed_share)."""
    if not (mou.term_start and mou.term_end):
        return None
    days = (mou.term_end - mou.term_start).days
    return round(min(max((as_of - mou.term_start).days / days, 0.0), 1.0), 4)
