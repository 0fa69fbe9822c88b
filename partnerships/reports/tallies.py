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
(GroupTally) and by quarter started (PeriodTally) is written (upserted where the counts
changed, and keys no placement has any more zeroed: no row deleted), for the reports by
target group and by quarter, and its people counts for the province summary
(DeliveryTally.sole_*). Those rows are valid exactly when the line's DeliveryTally is for the
day read; readers count the other lines live. A line whose placements have not changed
since its last count (its tally is of an earlier day, not outdated by a trigger) only has
the day move: its breakdowns take in or give back just the placements whose 6-month
eligibility the day changed, and its people counts stay. So the nightly recount reads a
day's worth of placements for them instead of every one.

PostgreSQL is told to use indexes for each batch (`_plan_for_one_batch`): a batch is about
1% of the rows, and the planner's guesses on lists of ids once chose to read the whole person
table per batch.
The funnel's counts (reports/funnel_tallies.py: referrals, 12-month retention by group,
cohort retention) are recounted for every line of the batch, referrals in the same UPDATE.

Why it cannot deadlock with a placement being confirmed: the confirmation locks the
placement, its pledge line and MoU, then (through the triggers of migration 0006) the
line's tally row. The recount locks nothing but tally rows, in pledge order, skipping any
row a writer holds (that line stays outdated and is counted at read time until the next
recount, which the writer queues); it updates rows in place, so no foreign key check takes
a pledge lock. It never waits for a lock a writer holds, so no cycle can form. Counting in
a statement after the lock sees every change committed before the lock was granted; a
change after it marks the row outdated again once the recount commits.
"""

from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Count, DateField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import ExtractQuarter, ExtractYear
from django.utils import timezone
from django_tasks import task

from partnerships.models import (
    GROUP_TALLY_COUNTS,
    PEOPLE_COUNTS,
    REFERRAL_TALLY_COUNTS,
    TALLY_COUNTS,
    DeliveryTally,
    GroupTally,
    PeriodTally,
    Placement,
    Pledge,
)
from partnerships.placements.delivery import (
    delivery_annotations,
    latest_start_for,
    people_filters,
    placed_elsewhere,
)
from partnerships.reports import funnel_tallies

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
            batch = dict(
                DeliveryTally.objects.filter(pledge_id__gt=after)
                .exclude(as_of=as_of)
                .order_by("pledge_id")
                .select_for_update(skip_locked=True)
                .values_list("pledge_id", "as_of")[:BATCH_SIZE]
            )
            if not batch:
                break
            _plan_for_one_batch()
            recounted += _recount(batch, as_of=as_of)
        after = max(batch)
    if recounted >= REANALYSE_AFTER:
        _analyse_tallies()
    return recounted


# A recount of this many lines has rewritten enough tally rows for the planner's statistics
# to mislead it (the daily recount rewrites every row).
REANALYSE_AFTER = 1000


def _analyse_tallies() -> None:
    """Fresh planner statistics for the tally tables, just rewritten. With the old ones
    PostgreSQL took the rewritten rows to still lie in line order and read the delivery
    tallies one row per page through an index, which made the period and cohort reports
    three times slower until autovacuum analysed the tables, up to minutes later. ANALYZE
    samples the tables; it takes a fraction of a second.

    Outside a transaction the tables are vacuumed too: a full recount leaves a dead copy of
    every row (some 700,000 at 1,000,000 placements), and a server whose autovacuum is off
    or behind would keep them all, the tables growing by that much every day and every page
    reading them. VACUUM frees them for the next recount (about a second at that size)."""
    if connection.vendor != "postgresql":
        return
    tables = [model._meta.db_table for model in (DeliveryTally, GroupTally, PeriodTally)]
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        cursor.execute(f"{command} " + ", ".join(connection.ops.quote_name(t) for t in tables))


def _plan_for_one_batch() -> None:
    """Tell PostgreSQL, for this transaction only, to reach a batch's rows through their
    indexes. A batch is a few hundred lines, about 1% of the rows, so index lookups are
    always the right plan; but the planner misjudges lists of a few hundred ids, more so on
    tally tables just written, and chose to read the whole person table (a million rows)
    once per batch, and the whole breakdown tables to zero a thousand of their rows: that
    made the daily recount 64 s (now a few seconds)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin"):
            cursor.execute(f"SET LOCAL {setting} = off")


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


def _recount(batch: dict[int, date], *, as_of: date) -> int:
    """Update in place the (locked) tallies of these lines ({line: the day its tally is
    for}) with their counts for `as_of`."""
    pledge_ids = list(batch)
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
    outdated = [pk for pk, counted_on in batch.items() if counted_on == OUTDATED]
    table = DeliveryTally._meta.db_table
    assignments = [f"{_column(name)} = counted.counted_{name}" for name in ["as_of", *TALLY_COUNTS]]
    # The people counts of outdated lines, in the same statement: a row updated twice in
    # one transaction has its foreign key checked at commit, which would wait for the
    # pledge line a confirmation holds while that confirmation waits for this row.
    people_select, people_params = _people_counts(outdated or [0])
    marks = ", ".join(["%s"] * len(outdated or [0]))
    assignments += [
        f"{_column(name)} = CASE WHEN {table}.{_column('pledge')} IN ({marks}) "
        f"THEN COALESCE(people.counted_{name}, 0) ELSE {table}.{_column(name)} END"
        for name in PEOPLE_COUNTS
    ]
    referrals_select, referrals_params = funnel_tallies.referral_counts(pledge_ids)
    assignments += [
        f"{_column(name)} = COALESCE(referrals.counted_{name}, 0)" for name in REFERRAL_TALLY_COUNTS
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {', '.join(assignments)} "  # noqa: S608 - names only
            f"FROM ({select}) AS counted LEFT JOIN ({people_select}) AS people "
            "ON people.counted_pledge = counted.counted_pledge "
            f"LEFT JOIN ({referrals_select}) AS referrals "
            "ON referrals.counted_pledge = counted.counted_pledge "
            f"WHERE {table}.{_column('pledge')} = counted.counted_pledge",
            [*(outdated or [0]) * len(PEOPLE_COUNTS), *params, *people_params, *referrals_params],
        )
        recounted = cursor.rowcount
    if outdated:
        _recount_breakdowns(outdated, as_of=as_of)
    by_day: dict[date, list[int]] = {}
    for pk, counted_on in batch.items():
        if counted_on != OUTDATED:
            by_day.setdefault(counted_on, []).append(pk)
    for counted_on, pledge_ids_of_day in by_day.items():
        _move_breakdowns(pledge_ids_of_day, counted_on=counted_on, as_of=as_of)
    funnel_tallies.recount(pledge_ids, as_of=as_of)
    return recounted


def _people_counts(pledge_ids: list[int]) -> tuple[str, list]:
    """The SQL of the lines' people counts (DeliveryTally.sole_*, shared_placements): the
    people each placed on that line only, by placements.delivery.people_filters(), and how
    many of its placements are of people placed on another line too. They do not move with
    the day, so only lines whose placements changed are recounted; the triggers outdate
    every line a person is placed on when any of their placements is written (migration
    0028)."""
    sole = Q(elsewhere=False)
    return (
        Placement.objects.filter(pledge_id__in=pledge_ids)
        .order_by()
        .annotate(elsewhere=placed_elsewhere())
        .values(counted_pledge=F("pledge"))
        .annotate(
            **{
                f"counted_sole_{name}": Count("person", distinct=True, filter=condition & sole)
                for name, condition in people_filters().items()
            },
            counted_shared_placements=Count("pk", filter=Q(elsewhere=True)),
        )
        .query.sql_with_params()
    )


def _recount_breakdowns(pledge_ids: list[int], *, as_of: date) -> None:
    """The same lines' GroupTally and PeriodTally rows (models.tallies), in the same
    transaction: each key counted written over its row (inserted if new) when its counts
    changed, then the rows of keys no placement has any more zeroed. No row is deleted and
    no foreign key is checked (see GroupTally). Rows whose counts did not change are not
    written: on the daily recount that is almost all of them."""
    _recount_breakdown(
        GroupTally,
        pledge_ids,
        GROUP_KEYS,
        still_placed=lambda: Placement.objects.filter(
            pledge=OuterRef("pledge"),
            person__target_group=OuterRef("target_group"),
            person__gender=OuterRef("gender"),
        ),
        as_of=as_of,
    )
    _recount_breakdown(
        PeriodTally,
        pledge_ids,
        PERIOD_KEYS,
        still_placed=lambda: Placement.objects.filter(
            pledge=OuterRef("pledge"),
            start_date__year=OuterRef("year"),
            start_date__quarter=OuterRef("quarter"),
        ),
        as_of=as_of,
    )


# How each breakdown is keyed, from a placement, and how a key's row is found again.
GROUP_KEYS = {"target_group": F("person__target_group"), "gender": F("person__gender")}
PERIOD_KEYS = {"year": ExtractYear("start_date"), "quarter": ExtractQuarter("start_date")}


def _move_breakdowns(pledge_ids: list[int], *, counted_on: date, as_of: date) -> None:
    """Lines whose placements have not changed since their tallies were counted on
    `counted_on` (the daily recount: yesterday). Their breakdowns hold delivered and the
    6-month retention counts, and of those only eligibility moves with the day: a
    confirmed placement is eligible once its start is on or before latest_start_for(6,
    day). So only the placements that started between the two days' limits are counted,
    and added (or, going back in time, taken away) - a day's worth of placements instead of
    every one. Their rows exist: each was confirmed, so counted as delivered, when the
    line was last fully recounted."""
    limits = sorted([latest_start_for(6, counted_on), latest_start_for(6, as_of)])
    if limits[0] == limits[1]:
        return
    sign = 1 if as_of > counted_on else -1
    for model, keys in ((GroupTally, GROUP_KEYS), (PeriodTally, PERIOD_KEYS)):
        _move_breakdown(model, pledge_ids, keys, limits=limits, sign=sign)


def _move_breakdown(model, pledge_ids: list[int], keys: dict, *, limits, sign: int) -> None:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    # Every placement in the window is eligible on the later day.
    annotations = delivery_annotations(as_of=max(limits) + timedelta(days=366))
    select, params = (
        Placement.objects.filter(
            pledge_id__in=pledge_ids, start_date__gt=limits[0], start_date__lte=limits[1]
        )
        .order_by()
        .values(moved_pledge=F("pledge"), **{f"moved_{name}": key for name, key in keys.items()})
        .annotate(
            moved_eligible_6=annotations["eligible_6"], moved_retained_6=annotations["retained_6"]
        )
        .query.sql_with_params()
    )
    matched = " AND ".join(
        f"{table}.{quote(model._meta.get_field(name).column)} = moved.moved_{name}"
        for name in ["pledge", *keys]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET "  # noqa: S608 - names only, values bound
            + ", ".join(
                f"{quote(name)} = {table}.{quote(name)} + %s * moved.moved_{name}"
                for name in ("eligible_6", "retained_6")
            )
            + f" FROM ({select}) AS moved WHERE {matched}",
            [sign, sign, *params],
        )


def _recount_breakdown(
    model, pledge_ids: list[int], keys: dict, *, still_placed, as_of: date
) -> None:
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
    changed = " OR ".join(f"{table}.{count} <> excluded.{count}" for count in counts)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(key_columns + counts)}) "  # noqa: S608
            f"SELECT {selected} FROM ({select}) AS counted WHERE TRUE "
            f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET "
            + ", ".join(f"{count} = excluded.{count}" for count in counts)
            + f" WHERE {changed}",
            params,
        )
    # Keys whose last placement went (deleted, moved to another line, a person's group
    # corrected): zero, unless zero already.
    model.objects.filter(pledge_id__in=pledge_ids).exclude(
        **dict.fromkeys(GROUP_TALLY_COUNTS, 0)
    ).exclude(Exists(still_placed())).update(**dict.fromkeys(GROUP_TALLY_COUNTS, 0))


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
