"""The funnel's part of the tally recount (reports/tallies.py runs it for each batch of
lines, in the same transaction, after the delivery counts):

- DeliveryTally's referral columns (models.REFERRAL_TALLY_COUNTS), from the lines'
  referrals (reports/referral_counts.py): the SELECT that reports/tallies.py joins into its
  UPDATE;
- GroupTally's funnel columns: referrals by the person's target group and gender, and
  retention at 12 months of their placements;
- PeriodTally's cohort columns: retention at 3 and 12 months of the placements started in
  each quarter.

Same discipline as the rest of the recount: counted by the database (UPDATE … FROM,
INSERT … SELECT … ON CONFLICT), rows zeroed then written over, never deleted, no foreign
key checked, no lock taken but those of the tally rows the caller holds.
"""

from datetime import date

from django.db import connection
from django.db.models import F, PositiveIntegerField
from django.db.models.functions import ExtractQuarter, ExtractYear

from partnerships.models import (
    GROUP_FUNNEL_COUNTS,
    PERIOD_COHORT_COUNTS,
    GroupTally,
    PeriodTally,
    Placement,
    Referral,
)
from partnerships.placements.delivery import delivery_annotations
from partnerships.reports.referral_counts import referral_annotations

GROUP_KEYS = {"target_group": F("person__target_group"), "gender": F("person__gender")}
PERIOD_KEYS = {"year": ExtractYear("start_date"), "quarter": ExtractQuarter("start_date")}


def recount(pledge_ids: list[int], *, as_of: date) -> None:
    """The funnel's breakdown columns of these lines' tallies (locked by the caller); their
    referral counts are written by the caller's UPDATE (`referral_counts`)."""
    referrals = referral_annotations()
    placements = delivery_annotations(as_of=as_of)
    _zero(GroupTally, pledge_ids, GROUP_FUNNEL_COUNTS)
    _upsert(
        GroupTally,
        Referral.objects.filter(pledge_id__in=pledge_ids),
        GROUP_KEYS,
        {name: referrals[name] for name in ("referred", "interviewed")},
    )
    _upsert(
        GroupTally,
        Placement.objects.filter(pledge_id__in=pledge_ids),
        GROUP_KEYS,
        {name: placements[name] for name in ("eligible_12", "retained_12")},
    )
    _zero(PeriodTally, pledge_ids, PERIOD_COHORT_COUNTS)
    _upsert(
        PeriodTally,
        Placement.objects.filter(pledge_id__in=pledge_ids),
        PERIOD_KEYS,
        {name: placements[name] for name in PERIOD_COHORT_COUNTS},
    )


def _quote(model, field_name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field_name).column)


def _zero(model, pledge_ids: list[int], names) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    marks = ", ".join(["%s"] * len(pledge_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET "  # noqa: S608 - names only, values bound
            + ", ".join(f"{_quote(model, name)} = 0" for name in names)
            + f" WHERE {_quote(model, 'pledge')} IN ({marks})",
            pledge_ids,
        )


def referral_counts(pledge_ids: list[int]) -> tuple[str, list]:
    """The SELECT of these lines' referral counts (column "counted_pledge", then
    "counted_<name>" for each of models.REFERRAL_TALLY_COUNTS), with its parameters.

    reports/tallies.py joins it into its one UPDATE of DeliveryTally: a tally row updated
    twice in one transaction has its foreign key checked at commit, which would wait for
    the pledge line a confirmation holds while that confirmation waits for the row. A line
    without referrals has no row here: the UPDATE writes zeros for it."""
    return (
        Referral.objects.filter(pledge_id__in=pledge_ids)
        .order_by()
        .values(counted_pledge=F("pledge"))
        .annotate(**{f"counted_{name}": expr for name, expr in referral_annotations().items()})
        .query.sql_with_params()
    )


def _upsert(model, source, keys: dict, counts: dict) -> None:
    """Each key's counts from `source`, written over its row (inserted if new, its other
    counts 0; an existing row's other counts are left as they are)."""
    key_columns = [_quote(model, name) for name in ["pledge", *keys]]
    count_columns = [_quote(model, name) for name in counts]
    others = [
        _quote(model, f.name)
        for f in model._meta.concrete_fields
        if isinstance(f, PositiveIntegerField) and f.name not in counts and f.name not in keys
    ]
    select, params = (
        source.order_by()
        .values(
            counted_pledge=F("pledge"), **{f"counted_{name}": key for name, key in keys.items()}
        )
        .annotate(**{f"counted_{name}": expr for name, expr in counts.items()})
        .query.sql_with_params()
    )
    selected = ", ".join(
        [f"counted.counted_{name}" for name in ["pledge", *keys, *counts]] + ["0"] * len(others)
    )
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(key_columns + count_columns + others)}) "  # noqa: S608
            f"SELECT {selected} FROM ({select}) AS counted WHERE TRUE "
            f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET "
            + ", ".join(f"{column} = excluded.{column}" for column in count_columns),
            params,
        )
