"""Recounting the delivery tallies (models.DeliveryTally) in the background.

Reports never write: a line whose tally is not for the day asked is counted from its
placements at read time (reports.measures.tallied), so figures are exact whether or not the
recount has run. The recount only makes reading cheap again. It runs in the worker, queued
after the commit of any placement change (`recount_after_commit()`), and daily from cron
(`manage.py refresh_delivery_tallies`, just after midnight: retention moves with the
calendar, so every line's tally is of yesterday then).

The counts are those of partnerships.placements.delivery.delivery_annotations(), computed by
the database (UPDATE … FROM (SELECT … GROUP BY)): the rule stays in one place, and no count
passes through Python.

With each line, in the same transaction, its delivery split by target group and gender
(GroupTally) and by quarter started (PeriodTally) is written (zeroed, then upserted: no row
deleted), for the reports by target group and by quarter. Those rows are valid exactly when
the line's DeliveryTally is for the day read; readers count the other lines live.

Why it cannot deadlock with a placement being confirmed: the confirmation locks the
placement, its pledge line and MoU, then (through the triggers of migration 0006) the
line's tally row. The recount locks nothing but tally rows, in pledge order, skipping any
row a writer holds (that line stays outdated and is counted at read time until the next
recount, which the writer queues); it updates rows in place, so no foreign key check takes
a pledge lock. It never waits for a lock a writer holds, so no cycle can form. Counting in
a statement after the lock sees every change committed before the lock was granted; a
change after it marks the row outdated again once the recount commits.
"""

from datetime import date

from django.db import connection, transaction
from django.db.models import DateField, F, Value
from django.db.models.functions import ExtractQuarter, ExtractYear
from django.utils import timezone
from django_tasks import task

from partnerships.models import (
    GROUP_TALLY_COUNTS,
    TALLY_COUNTS,
    DeliveryTally,
    GroupTally,
    PeriodTally,
    Placement,
    Pledge,
)
from partnerships.placements.delivery import delivery_annotations

# The date the triggers give a tally whose placements changed: never "today".
OUTDATED = date(1970, 1, 1)
# Lines recounted per transaction: short transactions, short waits for writers.
BATCH_SIZE = 500


def is_fresh(*, as_of: date) -> bool:
    """Does every pledge line have a tally for `as_of`? One query: two index-only counts."""
    pledges, tallies = Pledge._meta.db_table, DeliveryTally._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {pledges}) "  # noqa: S608 - table names only
            f"- (SELECT COUNT(*) FROM {tallies} WHERE as_of = %s)",
            [as_of],
        )
        return cursor.fetchone()[0] == 0


def ensure_fresh(*, as_of: date) -> int:
    """Bring every tally to `as_of`; returns how many lines were recounted."""
    if is_fresh(as_of=as_of):
        return 0
    return refresh(as_of=as_of)


def refresh(*, as_of: date) -> int:
    """Recount the tallies that are missing or not for `as_of`, a batch of lines per
    transaction; returns how many lines were recounted. Readers keep seeing the previous
    counts of a batch until it commits."""
    _add_missing_lines()
    recounted, after = 0, 0
    while True:
        with transaction.atomic():
            pledge_ids = list(
                DeliveryTally.objects.filter(pledge_id__gt=after)
                .exclude(as_of=as_of)
                .order_by("pledge_id")
                .select_for_update(skip_locked=True)
                .values_list("pledge_id", flat=True)[:BATCH_SIZE]
            )
            if not pledge_ids:
                return recounted
            recounted += _recount(pledge_ids, as_of=as_of)
        after = pledge_ids[-1]


def _add_missing_lines() -> None:
    """An outdated, empty tally for every new pledge line, in a transaction of its own
    (the only statement of the recount that checks a foreign key, so reads a pledge
    lock; it holds no lock a writer could be waiting for)."""
    table = DeliveryTally._meta.db_table
    columns = ", ".join(_column(name) for name in ["pledge", "as_of", *TALLY_COUNTS])
    zeros = ", ".join("0" for _ in TALLY_COUNTS)
    missing = (
        Pledge.objects.filter(tally__isnull=True)
        .order_by("pk")
        .annotate(missing_pledge=F("pk"))
        .values("missing_pledge")
    )
    select, params = missing.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # Two recounts may add the same line at once: the second one skips it.
        cursor.execute(
            f"INSERT INTO {table} ({columns}) "  # noqa: S608 - names only, values bound
            f"SELECT missing.missing_pledge, %s, {zeros} FROM ({select}) AS missing "
            # WHERE: SQLite would read ON as the start of a join constraint.
            "WHERE TRUE ON CONFLICT (pledge_id) DO NOTHING",
            [OUTDATED, *params],
        )


def _recount(pledge_ids: list[int], *, as_of: date) -> int:
    """Update in place the (locked) tallies of these lines with their counts for `as_of`."""
    counts = delivery_annotations(prefix="placements__", as_of=as_of)
    select, params = (
        Pledge.objects.filter(pk__in=pledge_ids)
        .order_by()
        .annotate(
            counted_as_of=Value(as_of, output_field=DateField()),
            **{f"counted_{name}": counts[name] for name in TALLY_COUNTS},
            counted_pledge=F("pk"),
        )
        .values("counted_pledge", "counted_as_of", *(f"counted_{name}" for name in TALLY_COUNTS))
        .query.sql_with_params()
    )
    table = DeliveryTally._meta.db_table
    assignments = ", ".join(
        f"{_column(name)} = counted.counted_{name}" for name in ["as_of", *TALLY_COUNTS]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} "  # noqa: S608 - names only, values bound
            f"FROM ({select}) AS counted "
            f"WHERE {table}.{_column('pledge')} = counted.counted_pledge",
            params,
        )
        recounted = cursor.rowcount
    _recount_breakdowns(pledge_ids, as_of=as_of)
    return recounted


def _recount_breakdowns(pledge_ids: list[int], *, as_of: date) -> None:
    """The same lines' GroupTally and PeriodTally rows (models.tallies), in the same
    transaction: zeroed, then each key counted written over its row (inserted if new). No
    row is deleted and no foreign key is checked (see GroupTally)."""
    _recount_breakdown(
        GroupTally,
        pledge_ids,
        {"target_group": F("person__target_group"), "gender": F("person__gender")},
        as_of=as_of,
    )
    _recount_breakdown(
        PeriodTally,
        pledge_ids,
        {"year": ExtractYear("start_date"), "quarter": ExtractQuarter("start_date")},
        as_of=as_of,
    )


def _recount_breakdown(model, pledge_ids: list[int], keys: dict, *, as_of: date) -> None:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key_columns = [quote(model._meta.get_field(name).column) for name in ["pledge", *keys]]
    counts = [quote(name) for name in GROUP_TALLY_COUNTS]
    annotations = delivery_annotations(as_of=as_of)
    select, params = (
        Placement.objects.filter(pledge_id__in=pledge_ids)
        .order_by()
        .values(
            counted_pledge=F("pledge"), **{f"counted_{name}": key for name, key in keys.items()}
        )
        .annotate(**{f"counted_{name}": annotations[name] for name in GROUP_TALLY_COUNTS})
        .query.sql_with_params()
    )
    selected = ", ".join(
        f"counted.counted_{name}" for name in ["pledge", *keys, *GROUP_TALLY_COUNTS]
    )
    marks = ", ".join(["%s"] * len(pledge_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET "  # noqa: S608 - names only, values bound
            + ", ".join(f"{count} = 0" for count in counts)
            + f" WHERE {key_columns[0]} IN ({marks})",
            pledge_ids,
        )
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(key_columns + counts)}) "  # noqa: S608
            f"SELECT {selected} FROM ({select}) AS counted WHERE TRUE "
            f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET "
            + ", ".join(f"{count} = excluded.{count}" for count in counts),
            params,
        )


def _column(field_name: str) -> str:
    return connection.ops.quote_name(DeliveryTally._meta.get_field(field_name).column)


def recount_after_commit() -> None:
    """Queue a recount for when the current transaction commits (placements changed)."""
    # Robust: the change is saved whatever happens to the queueing; the next recount (or
    # the daily one) catches up.
    transaction.on_commit(refresh_delivery_tallies.enqueue, robust=True)


@task()
def refresh_delivery_tallies() -> int:
    """Background task: recount the tallies that are outdated or of an earlier day."""
    return ensure_fresh(as_of=timezone.localdate())
