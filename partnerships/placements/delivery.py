"""What was delivered against each pledge, and how long placements lasted: in SQL.

Delivered: a pledge's places delivered are its *confirmed* placements. Reported ones wait
for the authority; rejected ones never count.

Retention at N months (N = 3, 6, 12), on a given day (`as_of`, today by default):
- A placement is *eligible* when it is confirmed and at least N whole months have passed
  from its start to `as_of`; younger placements are left out of both counts, so a new
  placement never lowers the rate.
- It is *retained* when it is eligible and the person was still in place N whole months
  after the start: no end date yet, or an end date at least N whole months after the start.
  Only dates count, not why it ended: a seasonal job that completed after 4 months is
  retained at 3 months and not at 6.
- Whole months: from 15 March, one month is complete on 15 April. When the day does not
  exist in that month, the month completes on the first of the next (from 31 January, on
  1 March). `completed_months_expr()` is the rule in SQL (SQLite and PostgreSQL), so rates
  are computed by the database.

`delivery_annotations()` gives the Count expressions for annotate()/aggregate() on any
queryset that reaches placements (pledges, MoUs, partners...), so reports never loop rows.
"""

import calendar
from datetime import date

from django.db.models import Case, Count, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual
from django.utils import timezone

from partnerships.models import (
    Confirmation,
    ContractType,
    Gender,
    Placement,
    PlacementStatus,
    PledgeKind,
)

RETENTION_MONTHS = (3, 6, 12)


def latest_start_for(months: int, as_of: date) -> date:
    """The latest start date with at least `months` whole months completed by `as_of`.

    Computed once in Python, it turns eligibility into `start_date <= this`, which the
    database answers from an index.
    """
    month_index = as_of.year * 12 + (as_of.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(as_of.day, calendar.monthrange(year, month)[1]))


def completed_months_expr(start, end):
    """Whole months from `start` to `end` (the rule above), as a database expression of two
    date fields (names, F() or Value())."""
    start, end = _field(start), _field(end)
    months = (ExtractYear(end) - ExtractYear(start)) * 12 + (
        ExtractMonth(end) - ExtractMonth(start)
    )
    day_not_reached = Case(
        When(GreaterThan(ExtractDay(start), ExtractDay(end)), then=Value(1)), default=Value(0)
    )
    return months - day_not_reached


def _field(value):
    return F(value) if isinstance(value, str) else value


def confirmed_filter(prefix: str = "") -> Q:
    return Q(**{f"{prefix}confirmation": Confirmation.CONFIRMED})


def eligible_filter(months: int, *, prefix: str = "", as_of: date | None = None) -> Q:
    as_of = as_of or timezone.localdate()
    return confirmed_filter(prefix) & Q(
        **{f"{prefix}start_date__lte": latest_start_for(months, as_of)}
    )


def retained_filter(months: int, *, prefix: str = "", as_of: date | None = None) -> Q:
    kept = GreaterThanOrEqual(
        completed_months_expr(f"{prefix}start_date", f"{prefix}end_date"), months
    )
    return eligible_filter(months, prefix=prefix, as_of=as_of) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(kept)
    )


def delivery_annotations(*, prefix: str = "", as_of: date | None = None) -> dict:
    """Count expressions, by name, for a queryset that reaches placements through `prefix`
    (e.g. "placements__" on Pledge, "pledges__placements__" on Mou; "" on Placement):

    reported, delivered (confirmed), rejected, and for N in 3, 6, 12:
    eligible_N (confirmed, started N months ago or more) and retained_N (of those, still
    in place after N months). A rate is retained_N / eligible_N; None when eligible_N is 0.
    """
    as_of = as_of or timezone.localdate()
    counted = f"{prefix}pk" if prefix else "pk"

    def count(condition: Q) -> Count:
        return Count(counted, filter=condition)

    annotations = {
        "reported": count(Q(**{f"{prefix}confirmation": Confirmation.REPORTED})),
        "delivered": count(confirmed_filter(prefix)),
        "rejected": count(Q(**{f"{prefix}confirmation": Confirmation.REJECTED})),
    }
    for months in RETENTION_MONTHS:
        annotations[f"eligible_{months}"] = count(
            eligible_filter(months, prefix=prefix, as_of=as_of)
        )
        annotations[f"retained_{months}"] = count(
            retained_filter(months, prefix=prefix, as_of=as_of)
        )
    return annotations


def people_filters(prefix: str = "") -> dict[str, Q]:
    """Who the province summary counts as people (each person once, however many
    placements they have): employed (a confirmed job), employed now (one still running),
    employed on a labour contract, trained (confirmed training or apprenticeship), and
    women (anything confirmed). Conditions on placements (reached through `prefix`)."""
    confirmed = confirmed_filter(prefix)
    jobs = confirmed & Q(**{f"{prefix}kind": PledgeKind.JOB})
    return {
        "employed": jobs,
        "employed_now": jobs & Q(**{f"{prefix}status": PlacementStatus.ACTIVE}),
        "employed_on_labour_contracts": jobs
        & Q(
            **{
                f"{prefix}contract_type__in": [
                    ContractType.LABOUR_12_MONTHS_OR_MORE,
                    ContractType.LABOUR_UNDER_12_MONTHS,
                ]
            }
        ),
        "trained": confirmed
        & Q(**{f"{prefix}kind__in": [PledgeKind.VOCATIONAL_TRAINING, PledgeKind.APPRENTICESHIP]}),
        "women": confirmed & Q(**{f"{prefix}person__gender": Gender.FEMALE}),
    }


def placed_elsewhere() -> Exists:
    """For a placement: is its person placed on another pledge line too?"""
    return Exists(
        Placement.objects.filter(person=OuterRef("person")).exclude(pledge=OuterRef("pledge"))
    )
