"""The measures every report shows, as SQL expressions: places pledged and delivered,
fulfilment, retention at 6 months, the share of the term elapsed, and the lag flag.

- Pledged places: the sum of the pledge lines' quantities.
- Delivered: confirmed placements; retention at 6 months: retained_6 / eligible_6 (the rule
  of partnerships.placements.delivery, read from the per-line tallies of reports/tallies.py,
  counted live for a line whose tally is not for the day).
- Fulfilment: delivered / pledged (may pass 100 %).
- Share of the term elapsed: days from the term's start to `as_of` over the term's days,
  between 0 and 1.
- Lagging: an MoU in force (signed or active) whose elapsed share exceeds its fulfilment
  (counted up to 100 %) by more than settings.DELIVERY_LAG_MARGIN.
"""

from datetime import date

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    DateField,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Least
from django.db.models.lookups import GreaterThan, LessThan

from partnerships.models import MouState, Placement
from partnerships.mous.selectors import pledge_total
from partnerships.placements.delivery import delivery_annotations

RETENTION_MONTHS = 6


def lag_margin() -> float:
    return settings.DELIVERY_LAG_MARGIN


class DaysBetween(Func):
    """Whole days from `start` to `end` (date expressions). PostgreSQL subtracts dates into
    days; SQLite through julianday()."""

    output_field = IntegerField()
    arity = 2

    def __init__(self, start, end):
        super().__init__(end, start)

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


def elapsed_share(*, as_of: date, prefix: str = "") -> Case:
    """Share of the term elapsed on `as_of`, 0 to 1; None without a term."""
    start, end = F(f"{prefix}term_start"), F(f"{prefix}term_end")
    today = Cast(Value(as_of), output_field=DateField())
    return Case(
        When(
            Q(**{f"{prefix}term_start__isnull": True}) | Q(**{f"{prefix}term_end__isnull": True}),
            then=Value(None),
        ),
        When(**{f"{prefix}term_start__gte": as_of}, then=Value(0.0)),
        When(**{f"{prefix}term_end__lte": as_of}, then=Value(1.0)),
        default=Cast(DaysBetween(start, today), FloatField())
        / Cast(DaysBetween(start, end), FloatField()),
        output_field=FloatField(),
    )


def share(part, whole) -> Case:
    """part / whole as a float; None when whole is 0."""
    return Case(
        When(GreaterThan(whole, 0), then=Cast(part, FloatField()) / Cast(whole, FloatField())),
        default=Value(None),
        output_field=FloatField(),
    )


def is_lagging(*, as_of: date, delivered, pledged, prefix: str = "") -> Case:
    """True for an MoU in force whose delivery lags the time elapsed by more than the margin.
    `prefix` reaches the MoU ("" on Mou rows, "mou__" on Pledge rows).

    elapsed − min(delivered / pledged, 1) > margin is written delivered < pledged ×
    (elapsed − margin): the same (elapsed − margin never exceeds 1, and nothing pledged
    never lags), with each count in the SQL once."""
    threshold = elapsed_share(as_of=as_of, prefix=prefix) - Value(lag_margin())
    return Case(
        When(
            Q(**{f"{prefix}state__in": MouState.IN_FORCE})
            & Q(LessThan(Cast(delivered, FloatField()), Cast(pledged, FloatField()) * threshold)),
            then=Value(True),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )


def lag_gap(*, as_of: date, delivered, pledged, prefix: str = ""):
    """How far delivery trails the time elapsed (elapsed share minus fulfilment, capped)."""
    return elapsed_share(as_of=as_of, prefix=prefix) - Least(
        Coalesce(share(delivered, pledged), Value(0.0)), Value(1.0)
    )


def tallied(name: str, *, as_of: date, prefix: str = "") -> Case:
    """A pledge line's count on `as_of` (`prefix` reaches the line): from its tally when the
    tally is for that day, else counted from the line's placements now. Reports never write
    (reports/tallies.py recounts in the background), so a line changed a moment ago, or
    every line before the day's recount, is counted here, and the figures stay exact."""
    live = Subquery(
        Placement.objects.filter(pledge=OuterRef(f"{prefix}pk"))
        .order_by()
        .values("pledge")
        .annotate(count=delivery_annotations(as_of=as_of)[name])
        .values("count"),
        output_field=IntegerField(),
    )
    return Case(
        When(**{f"{prefix}tally__as_of": as_of}, then=F(f"{prefix}tally__{name}")),
        default=Coalesce(live, 0),
        output_field=IntegerField(),
    )


def summed(name: str, *, as_of: date, prefix: str = "") -> Coalesce:
    """The sum of the lines' counts, for an aggregate over lines (`prefix` reaches them)."""
    return Coalesce(Sum(tallied(name, as_of=as_of, prefix=prefix)), 0)


def line_measures(*, as_of: date) -> dict:
    """For Pledge rows: the line's delivery, the share of the MoU's term elapsed, and the
    MoU's lag flag (weighing all its lines). Subqueries run only for the rows of the page shown."""
    return {
        "delivered": tallied("delivered", as_of=as_of),
        "eligible_6": tallied("eligible_6", as_of=as_of),
        "retained_6": tallied("retained_6", as_of=as_of),
        "elapsed": elapsed_share(as_of=as_of, prefix="mou__"),
        "mou_lagging": is_lagging(
            as_of=as_of,
            delivered=pledge_total(summed("delivered", as_of=as_of), mou=OuterRef("mou")),
            pledged=pledge_total(mou=OuterRef("mou")),
            prefix="mou__",
        ),
    }


def mou_measures(*, as_of: date) -> dict:
    """For Mou rows (GROUP BY the MoU, over its lines and their tallies): pledged places,
    delivered, retention at 6 months, the elapsed share, the lag flag and `gap`, how far
    delivery trails the time elapsed."""
    pledged = Coalesce(Sum("pledges__quantity"), 0)
    delivered = summed("delivered", as_of=as_of, prefix="pledges__")
    return {
        "pledged": pledged,
        "delivered": delivered,
        "eligible_6": summed("eligible_6", as_of=as_of, prefix="pledges__"),
        "retained_6": summed("retained_6", as_of=as_of, prefix="pledges__"),
        "elapsed": elapsed_share(as_of=as_of),
        "lagging": is_lagging(as_of=as_of, delivered=delivered, pledged=pledged),
        "gap": lag_gap(as_of=as_of, delivered=delivered, pledged=pledged),
    }
