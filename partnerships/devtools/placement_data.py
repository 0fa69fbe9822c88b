"""People and placements generated in bulk, for the benchmark and `generate_scale_data`.

A million placements must load in minutes, not hours, so this skips the ORM's per-object
work: ids are allotted here, rows are built as tuples and written with COPY on PostgreSQL
(executemany elsewhere). People still look like real ones to the code that reads them: the
identifier is the real keyed hash of a (made-up) national ID number, and the name a real
Fernet token (taken from a small pool encrypted once: encrypting a million names one by one
would take longer than everything else together).

Placements go only to pledge lines of MoUs that were signed and whose term has started,
within the term and never after today, and in proportion to the places pledged, the share
of the term elapsed and how well the partner delivers, so some partners lag.
"""

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max

from partnerships.authorities.hierarchy import AuthorityTree
from partnerships.core.privacy import encrypt_name, national_id_hash
from partnerships.devtools.names import PEOPLE
from partnerships.models import (
    AuthorityLevel,
    Confirmation,
    ConsentScope,
    ContractType,
    Gender,
    MouState,
    Person,
    Placement,
    PlacementStatus,
    Pledge,
    PledgeKind,
)

CHUNK = 20_000
NAME_POOL = 400
# MoUs whose pledges take placements: signed once, whatever happened since.
# National ID numbers of generated people start here (CCCD: 12 digits, province code 080).
FIRST_NATIONAL_ID = 80_000_000_000
PERSON_COLUMNS = [
    "id",
    "id_hash",
    "full_name_encrypted",
    "target_group",
    "gender",
    "birth_year",
    "birth_decade",
    "commune",
    "owning_authority",
    "consent_given_on",
    "consent_scope",
    "consent_withdrawn_on",
    "created_at",
]
PLACEMENT_COLUMNS = [
    "id",
    "person",
    "pledge",
    "kind",
    "start_date",
    "occupation",
    "monthly_wage",
    "contract_type",
    "status",
    "end_date",
    "end_reason",
    "confirmation",
    "decided_at",
    "rejection_reason",
    "reported_at",
]
ENDED_STATUSES = [PlacementStatus.COMPLETED, PlacementStatus.LEFT, PlacementStatus.DISMISSED]


@dataclass(frozen=True)
class _Line:
    pledge_id: int
    kind: str
    occupation: str
    min_wage: int | None
    first_day: date
    last_day: date
    owner_id: int
    commune_id: int | None
    groups: tuple[int, ...]


class PlacementGenerator:
    """Adds people and placements to whatever MoUs the database holds."""

    def __init__(self, *, seed: int = 2025, today: date):
        self.random = random.Random(seed)
        self.today = today
        self.names = [encrypt_name(PEOPLE[i % len(PEOPLE)]) for i in range(NAME_POOL)]
        self.partner_factor: dict[int, float] = {}
        self._days: dict[date, object] = {}

    def add(self, count: int) -> int:
        """Add `count` placements (each with its own person); returns how many were added."""
        lines, weights = self._lines()
        if not lines or count <= 0:
            return 0
        allotted = self._allot(count, weights)
        next_person = (Person.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        next_placement = (Placement.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        next_national_id = FIRST_NATIONAL_ID + next_person
        people, placements = [], []
        with transaction.atomic():
            for line, how_many in zip(lines, allotted, strict=True):
                for _ in range(how_many):
                    person, placement = self._pair(
                        line, next_person, next_placement, next_national_id
                    )
                    people.append(person)
                    placements.append(placement)
                    next_person += 1
                    next_placement += 1
                    next_national_id += 1
                    if len(placements) >= CHUNK:
                        self._write(people, placements)
                        people, placements = [], []
            self._write(people, placements)
            _reset_sequences()
        _analyse()
        return sum(allotted)

    # --- which pledge lines, and how many placements each ---

    def _lines(self) -> tuple[list[_Line], list[float]]:
        owners = _owners()
        groups = defaultdict(list)
        links = Pledge.target_groups.through.objects.filter(
            pledge__mou__state__in=MouState.SIGNED_ONCE
        ).values_list("pledge_id", "targetgroup_id")
        for pledge_id, group_id in links:
            groups[pledge_id].append(group_id)
        rows = (
            Pledge.objects.filter(
                mou__state__in=MouState.SIGNED_ONCE,
                mou__term_start__isnull=False,
                mou__term_end__isnull=False,
                mou__term_start__lt=self.today,
            )
            .order_by("pk")
            .values_list(
                "pk",
                "kind",
                "occupation",
                "min_monthly_wage",
                "quantity",
                "mou__term_start",
                "mou__term_end",
                "mou__authority_id",
                "mou__partner_id",
            )
        )
        lines, weights = [], []
        for pk, kind, occupation, wage, quantity, start, end, authority_id, partner in rows:
            if not groups[pk]:
                continue
            last_day = min(end, self.today)
            elapsed = (last_day - start).days / max((end - start).days, 1)
            owner_id, commune_id = owners[authority_id]
            lines.append(
                _Line(
                    pk,
                    kind,
                    occupation,
                    wage,
                    start,
                    last_day,
                    owner_id,
                    commune_id,
                    tuple(sorted(groups[pk])),
                )
            )
            weights.append(quantity * elapsed * self._factor(partner))
        return lines, weights

    def _factor(self, partner_id: int) -> float:
        """How well a partner delivers: most about as pledged, some far behind, a few ahead."""
        if partner_id not in self.partner_factor:
            self.partner_factor[partner_id] = self.random.choice(
                [0.15, 0.4, 0.7, 0.9, 1.0, 1.0, 1.1, 1.3, 1.8]
            )
        return self.partner_factor[partner_id]

    def _allot(self, count: int, weights: list[float]) -> list[int]:
        total = sum(weights) or 1.0
        shares = [count * weight / total for weight in weights]
        allotted = [int(share) for share in shares]
        remainder = count - sum(allotted)
        if remainder:
            fractions = [share - whole for share, whole in zip(shares, allotted, strict=True)]
            for index in self.random.choices(range(len(weights)), fractions, k=remainder):
                allotted[index] += 1
        return allotted

    # --- one person and their placement ---

    def _pair(self, line: _Line, person_id: int, placement_id: int, national_id: int):
        pick = self.random
        span = (line.last_day - line.first_day).days
        start = line.first_day + timedelta(days=pick.randint(0, max(span, 0)))
        is_job = line.kind == PledgeKind.JOB
        end, status = self._end(start, is_job)
        confirmation = pick.choices(
            [Confirmation.CONFIRMED, Confirmation.REPORTED, Confirmation.REJECTED], [88, 8, 4]
        )[0]
        birth_year = pick.randint(1965, 2005)
        withdrawn = pick.random() < 0.003
        consent_on = start - timedelta(days=pick.randint(0, 30))
        person = (
            person_id,
            None if withdrawn else national_id_hash(f"{national_id:012d}"),
            "" if withdrawn else pick.choice(self.names),
            pick.choice(line.groups),
            Gender.MALE if pick.random() < 0.75 else Gender.FEMALE,
            None if withdrawn else birth_year,
            birth_year - birth_year % 10,
            None if withdrawn else line.commune_id,
            line.owner_id,
            self._day(consent_on),
            ConsentScope.PLACEMENT,
            self._day(min(self.today, start + timedelta(days=200))) if withdrawn else None,
            self._moment(start),
        )
        if is_job:
            contract = pick.choices(
                [
                    ContractType.LABOUR_12_MONTHS_OR_MORE,
                    ContractType.LABOUR_UNDER_12_MONTHS,
                    ContractType.SEASONAL,
                ],
                [60, 25, 15],
            )[0]
            wage = (line.min_wage or 5_000_000) + pick.randint(0, 30) * 100_000
        else:
            contract, wage = ContractType.TRAINING_COURSE, None
        decided = confirmation != Confirmation.REPORTED
        placement = (
            placement_id,
            person_id,
            line.pledge_id,
            line.kind,
            self._day(start),
            line.occupation,
            wage,
            contract,
            status,
            self._day(end) if end else None,
            "",
            confirmation,
            self._moment(start + timedelta(days=pick.randint(1, 20))) if decided else None,
            "Không đúng người được giới thiệu" if confirmation == Confirmation.REJECTED else "",
            self._moment(start),
        )
        return person, placement

    def _end(self, start: date, is_job: bool) -> tuple[date | None, str]:
        """Most jobs last; training courses end after a few months."""
        pick = self.random
        if is_job and pick.random() < 0.55:
            return None, PlacementStatus.ACTIVE
        months = pick.randint(3, 6) if not is_job else pick.choice([1, 2, 3, 4, 5, 7, 9, 14, 20])
        end = start + timedelta(days=30 * months + pick.randint(0, 20))
        if end > self.today:
            return None, PlacementStatus.ACTIVE
        status = PlacementStatus.COMPLETED if not is_job else pick.choice(ENDED_STATUSES)
        return end, status

    # --- writing ---

    def _day(self, day: date):
        """Dates as the database takes them: objects for COPY, ISO text for SQLite."""
        if day not in self._days:
            self._days[day] = day if connection.vendor == "postgresql" else day.isoformat()
        return self._days[day]

    def _moment(self, day: date):
        moment = datetime.combine(day, time(2, 0), tzinfo=UTC)
        if connection.vendor == "postgresql":
            return moment
        return moment.replace(tzinfo=None).isoformat(" ")

    def _write(self, people: list[tuple], placements: list[tuple]) -> None:
        _insert(Person, PERSON_COLUMNS, people)
        _insert(Placement, PLACEMENT_COLUMNS, placements)


def _owners() -> dict[int, tuple[int, int | None]]:
    """For each authority: who manages the people placed under its MoUs (itself, or its
    successor when dissolved; see placements.owner_for) and the commune they live in."""
    tree = AuthorityTree.load()
    owners = {}
    for authority_id in tree.nodes:
        owner = tree.nodes[tree.in_charge(authority_id)]
        commune = owner.id if owner.level == AuthorityLevel.COMMUNE else None
        owners[authority_id] = (owner.id, commune)
    return owners


def _insert(model, names: list[str], rows: Iterable[tuple]) -> None:
    rows = list(rows)
    if not rows:
        return
    table = model._meta.db_table
    columns = [model._meta.get_field(name).column for name in names]
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({quoted}) VALUES ({marks})",  # noqa: S608
                rows,
            )


def _reset_sequences() -> None:
    """Ids were given explicitly: move PostgreSQL's sequences past them."""
    statements = connection.ops.sequence_reset_sql(no_style(), [Person, Placement])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _analyse() -> None:
    """Autovacuum would do this within minutes of such a load in production; do it now so
    the planner sees the data and index-only scans can skip the table itself. VACUUM cannot
    run inside a transaction (a test's), where ANALYZE alone has to do."""
    if connection.vendor != "postgresql":
        return
    tables = f"{Person._meta.db_table}, {Placement._meta.db_table}"
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        cursor.execute(f"{command} {tables}")
