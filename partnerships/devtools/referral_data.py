"""Referrals generated in bulk for the placements the registry holds, for the funnel
benchmark and `generate_scale_data` (written as placement_data.py writes placements: ids
allotted here, rows as tuples, COPY on PostgreSQL).

Each placement not yet referred gets the referral that led to it (hired, linked to the
placement, made a few weeks before the start), and on average `per_placement - 1` earlier
referrals of the same person to other lines that came to nothing: not hired (with a
reason), did not come, expired, ended by withdrawn consent, or still in progress. So a
million placements make two million referrals at the default of 2, with every outcome.
"""

import random
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max

from partnerships.devtools.placement_data import _insert
from partnerships.models import (
    DeliveryTally,
    MouState,
    NotHiredReason,
    Placement,
    Pledge,
    Referral,
)
from partnerships.models import ReferralStatus as Status
from partnerships.reports.tallies import OUTDATED

CHUNK = 20_000
REFERRAL_COLUMNS = [
    "id",
    "person",
    "pledge",
    "share_consent_on",
    "referred_on",
    "expires_on",
    "status",
    "interviewed_on",
    "outcome_on",
    "not_hired_reason",
    "placement",
    "created_at",
    "updated_at",
    # Scale data holds no contacts: nobody reads them at scale.
    "contact_encrypted",
]
# The referrals that came to nothing, and how often each outcome happens.
OTHER_OUTCOMES = {
    Status.NOT_HIRED: 40,
    Status.NO_SHOW: 20,
    Status.EXPIRED: 20,
    Status.ENDED: 5,
    Status.REFERRED: 10,
    Status.INTERVIEWED: 5,
}
EXPIRY_DAYS = 30


class ReferralGenerator:
    def __init__(self, *, seed: int = 2025, today: date):
        self.random = random.Random(seed + 1)
        self.today = today
        self.lines = list(
            Pledge.objects.filter(mou__state__in=MouState.SIGNED_ONCE)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        self.outcomes, self.weights = list(OTHER_OUTCOMES), list(OTHER_OUTCOMES.values())

    def add(self, *, per_placement: float = 2.0) -> int:
        """Referrals for every placement without one; returns how many were added."""
        if per_placement < 1 or not self.lines:
            return 0
        next_id = (Referral.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        first = next_id
        placements = (
            Placement.objects.filter(referral__isnull=True)
            .order_by("pk")
            .values_list("pk", "person_id", "pledge_id", "start_date")
        )
        rows = []
        with transaction.atomic(), _lines_outdated_once():
            for placement_id, person_id, pledge_id, start in placements.iterator(chunk_size=CHUNK):
                for row in self._referrals(
                    placement_id, person_id, pledge_id, start, per_placement
                ):
                    rows.append((next_id, *row, ""))
                    next_id += 1
                if len(rows) >= CHUNK:
                    _insert(Referral, REFERRAL_COLUMNS, rows)
                    rows = []
            _insert(Referral, REFERRAL_COLUMNS, rows)
            statements = connection.ops.sequence_reset_sql(no_style(), [Referral])
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        _analyse()
        return next_id - first

    def _referrals(self, placement_id, person_id, pledge_id, start, per_placement):
        pick = self.random
        referred = start - timedelta(days=pick.randint(5, 30))
        hired = self._row(
            person_id, pledge_id, referred, Status.HIRED, referred + timedelta(days=3), start
        )
        yield (*hired, placement_id, *self._stamps(referred))
        extra = per_placement - 1
        for _ in range(int(extra) + (pick.random() < extra - int(extra))):
            outcome = pick.choices(self.outcomes, self.weights)[0]
            line = pick.choice(self.lines)
            if line == pledge_id:
                continue
            if outcome in (Status.REFERRED, Status.INTERVIEWED):
                earlier = self.today - timedelta(days=pick.randint(0, EXPIRY_DAYS - 1))
            else:
                earlier = referred - timedelta(days=pick.randint(35, 200))
            interviewed = earlier + timedelta(days=4)
            if outcome in (Status.NO_SHOW, Status.REFERRED) or (
                outcome != Status.INTERVIEWED and pick.random() < 0.4
            ):
                interviewed = None
            final = outcome not in (Status.REFERRED, Status.INTERVIEWED)
            outcome_on = earlier + timedelta(days=pick.randint(5, EXPIRY_DAYS)) if final else None
            other = self._row(person_id, line, earlier, outcome, interviewed, outcome_on)
            yield (*other, None, *self._stamps(earlier))

    def _row(self, person_id, pledge_id, referred, status, interviewed, outcome_on) -> tuple:
        reason = ""
        if status == Status.NOT_HIRED:
            reason = self.random.choice(NotHiredReason.values)
        return (
            person_id,
            pledge_id,
            _day(referred),
            _day(referred),
            _day(referred + timedelta(days=EXPIRY_DAYS)),
            status,
            _day(interviewed) if interviewed else None,
            _day(outcome_on) if outcome_on else None,
            reason,
        )

    @staticmethod
    def _stamps(day: date) -> tuple:
        moment = datetime.combine(day, time(2, 0), tzinfo=UTC)
        if connection.vendor != "postgresql":
            moment = moment.replace(tzinfo=None).isoformat(" ")
        return moment, moment


def _day(day: date):
    return day if connection.vendor == "postgresql" else day.isoformat()


# The trigger that outdates a line's tally for each statement writing its referrals.
_INSERT_TRIGGER = "partnerships_tally_after_referral_insert"


@contextmanager
def _lines_outdated_once():
    """As a bulk load does: the tally trigger off while the referrals are copied in, then
    every line with referrals outdated in one statement. With the trigger on, each batch
    of referrals (spread over every line) rewrote every tally again: 1,100,000 dead tally
    rows for 2,000,000 referrals, which a database without autovacuum kept, and which made
    the funnel pages read a table 40 times its size."""
    if connection.vendor != "postgresql":
        yield
        return
    referrals = connection.ops.quote_name(Referral._meta.db_table)
    tallies = connection.ops.quote_name(DeliveryTally._meta.db_table)
    # ALTER TABLE waits for no deferred check: the foreign keys' checks of the rows
    # written so far run first (Django's are deferred to the commit), then deferred again.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {referrals} DISABLE TRIGGER {_INSERT_TRIGGER}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {referrals} ENABLE TRIGGER {_INSERT_TRIGGER}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(
                f"UPDATE {tallies} SET as_of = %s WHERE as_of <> %s "  # noqa: S608
                f"AND pledge_id IN (SELECT DISTINCT pledge_id FROM {referrals})",
                [OUTDATED, OUTDATED],
            )


def _analyse() -> None:
    if connection.vendor != "postgresql":
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        cursor.execute(f"{command} {Referral._meta.db_table}")
