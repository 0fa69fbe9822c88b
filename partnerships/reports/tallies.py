"""Keeping the delivery tallies (models.DeliveryTally) current before a report reads them.

The counts are those of partnerships.placements.delivery.delivery_annotations(), computed by the
database in one INSERT … SELECT … GROUP BY: the rule stays in one place, and no count passes
through Python. `ensure_fresh()` costs one small query when nothing changed; after
placements changed it recomputes the lines concerned; on the first call of a day (retention
moves with the calendar) it recomputes every line, a second or two for a million
placements, which `manage.py refresh_delivery_tallies` run from cron just after midnight
spares the first reader of the day.
"""

from datetime import date

from django.db import connection, transaction
from django.db.models import DateField, F, Value

from partnerships.models import TALLY_COUNTS, DeliveryTally, Pledge
from partnerships.placements.delivery import delivery_annotations


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
    """Bring every tally to `as_of`; returns how many lines were recomputed."""
    if is_fresh(as_of=as_of):
        return 0
    return refresh(as_of=as_of)


@transaction.atomic
def refresh(*, as_of: date) -> int:
    """Recompute the tallies that are missing or not for `as_of`. Readers in other
    transactions keep seeing the previous counts until this commits."""
    DeliveryTally.objects.exclude(as_of=as_of).delete()
    names = ["tally_pledge", "tally_as_of", *(f"tally_{name}" for name in TALLY_COUNTS)]
    counts = delivery_annotations(prefix="placements__", as_of=as_of)
    missing = (
        Pledge.objects.filter(tally__isnull=True)
        .order_by()
        .annotate(
            tally_pledge=F("pk"),
            tally_as_of=Value(as_of, output_field=DateField()),
            **{f"tally_{name}": counts[name] for name in TALLY_COUNTS},
        )
        .values(*names)
    )
    select, params = missing.query.sql_with_params()
    table = DeliveryTally._meta.db_table
    columns = ", ".join(
        connection.ops.quote_name(DeliveryTally._meta.get_field(name).column)
        for name in ["pledge", "as_of", *TALLY_COUNTS]
    )
    with connection.cursor() as cursor:
        # Two readers may refresh at once: the second one's rows are the same, skip them.
        cursor.execute(
            f"INSERT INTO {table} ({columns}) {select} ON CONFLICT (pledge_id) DO NOTHING",
            params,
        )
        return cursor.rowcount
