"""Checking every row of an import file, with every lookup done in bulk.

The rows are first read cell by cell (cells.py); then the MoUs, pledges, target groups,
people and placements they refer to are fetched in a handful of queries; then each row is
checked against the same rules as the report form (partnerships.placements.rules). The
result: the rows ready to save (ID numbers already hashed, new people's names already
encrypted), every problem by row number, and how many rows are already in the registry.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from partnerships.authorities.permissions import (
    can_report_placement,
    can_see_identity,
    visible_mous,
)
from partnerships.core.privacy import encrypt_name, name_fingerprint, national_id_hash
from partnerships.models import (
    ContractType,
    Gender,
    Mou,
    Person,
    Placement,
    Pledge,
    PledgeKind,
    TargetGroup,
)
from partnerships.placements.imports import cells
from partnerships.placements.imports.reading import Table
from partnerships.placements.lookups import count_lookups
from partnerships.placements.rules import (
    Problem,
    conflicts_with,
    mou_problems,
    person_problems,
    placement_problems,
)
from partnerships.placements.services import NAME_MAX_LENGTH, commune_for, owner_for

PROGRESS_EVERY = 500
QUERY_CHUNK = 900  # below SQLite's limit on query parameters, with room to spare


@dataclass
class ParsedRow:
    """One row's values, as read from its cells; `problems` lists what could not be read."""

    number: int
    values: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Outcome:
    rows: list[dict]
    errors: list[dict]
    already_recorded: int


class RowChecker:
    """Checks the rows of one file for one user (whose scope decides which MoUs exist)."""

    def __init__(
        self,
        *,
        user,
        today: date,
        on_progress: Callable[[int], None] | None = None,
        audit_details: dict | None = None,
    ):
        self.user = user
        self.audit_details = audit_details or {}
        self.today = today
        self.on_progress = on_progress or (lambda done: None)
        self.lookups = {
            "gender": cells.choice_lookup(Gender),
            "kind": cells.choice_lookup(PledgeKind),
            "contract_type": cells.choice_lookup(ContractType),
        }

    def check(self, table: Table) -> Outcome:
        parsed = []
        for index, (number, row) in enumerate(table.rows, start=1):
            parsed.append(self._read(number, row, table.columns))
            if index % PROGRESS_EVERY == 0:
                self.on_progress(index)
        # Every distinct number is a question asked of the registry: counted against the
        # user's and the business's budget, and audited, before anything is looked up.
        numbers = len({row.values["id_hash"] for row in parsed if "id_hash" in row.values})
        count_lookups(actor=self.user, count=numbers, via="import", **self.audit_details)
        context = _Context.load(self.user, parsed)
        outcome = Outcome(rows=[], errors=[], already_recorded=0)
        for row in parsed:
            self._judge(row, context, outcome)
        self.on_progress(len(parsed))
        return outcome

    # --- reading the cells of one row ---

    def _read(self, number: int, row: list, columns: dict[str, int]) -> ParsedRow:
        parsed = ParsedRow(number)

        def cell(key):
            index = columns.get(key)
            return row[index] if index is not None and index < len(row) else None

        readers = {
            "mou": lambda: cells.mou_number(cell("mou_number")),
            "mou_year": lambda: cells.integer(cell("mou_year"), "mou_year"),
            "line": lambda: cells.integer(cell("pledge_line"), "pledge_line"),
            "id_hash": lambda: national_id_hash(cells.national_id(cell("national_id"))),
            "full_name": lambda: cells.text(cell("full_name"), "full_name", limit=NAME_MAX_LENGTH),
            "gender": lambda: self._coded(cell("gender"), "gender"),
            "birth_year": lambda: cells.integer(cell("birth_year"), "birth_year", required=False),
            "target_group": lambda: cells.text(cell("target_group"), "target_group", limit=40),
            "kind": lambda: self._coded(cell("kind"), "kind"),
            "start_date": lambda: cells.day(cell("start_date"), "start_date"),
            "occupation": lambda: cells.text(
                cell("occupation"), "occupation", limit=200, required=False
            ),
            "monthly_wage": lambda: cells.integer(
                cell("monthly_wage"), "monthly_wage", required=False
            ),
            "contract_type": lambda: self._coded(cell("contract_type"), "contract_type"),
            "consent_given_on": lambda: cells.day(cell("consent_given_on"), "consent_given_on"),
        }
        for name, read in readers.items():
            try:
                parsed.values[name] = read()
            except cells.CellProblem as problem:
                parsed.problems.append(problem.problem)
        return parsed

    def _coded(self, value, column: str) -> str:
        return cells.coded(value, column, self.lookups[column])

    # --- judging one row against the registry ---

    def _judge(self, row: ParsedRow, context: "_Context", outcome: Outcome) -> None:
        values, problems = row.values, list(row.problems)
        mou, pledge, mou_problem = context.pledge_for(values)
        if mou_problem:
            problems.append(mou_problem)
        if pledge is not None and {"kind", "start_date"} <= values.keys():
            problems += placement_problems(
                mou=mou,
                pledge=pledge,
                line=values["line"],
                kind=values["kind"],
                start_date=values["start_date"],
                today=self.today,
            )
        if "consent_given_on" in values and "birth_year" in values:
            problems += person_problems(
                birth_year=values["birth_year"],
                consent_given_on=values["consent_given_on"],
                today=self.today,
            )
        if (values.get("monthly_wage") or 0) < 0:
            problems.append(Problem("wage_negative", column="monthly_wage"))
        group_id = context.target_groups.get((values.get("target_group") or "").casefold())
        if "target_group" in values and group_id is None:
            problems.append(context.unknown_target_group(values["target_group"]))
        if not problems:
            problems += context.person_problems(row)
        if not problems and (duplicate := context.duplicate_of(row, pledge)):
            problems.append(duplicate)
        if problems:
            outcome.errors.append(
                {"row": row.number, "problems": [problem.as_dict() for problem in problems]}
            )
            return
        if context.already_recorded(values, pledge):
            outcome.already_recorded += 1
            return
        outcome.rows.append(context.prepare(row, mou, pledge, group_id))


def _same_person(first: tuple, other: tuple) -> bool:
    """Same name (without tone marks) and gender; same birth year where both give one."""
    (name, gender, year), (other_name, other_gender, other_year) = first, other
    return (name, gender) == (other_name, other_gender) and (
        year is None or other_year is None or year == other_year
    )


class _Context:
    """Everything the rows refer to, fetched once."""

    def __init__(self, user):
        self.user = user
        self.mous: dict[tuple[int, int], list[Mou]] = defaultdict(list)
        self.pledges: dict[tuple[int, int], Pledge] = {}
        self.target_groups: dict[str, int] = {}
        self.active_codes: list[str] = []
        self.people: dict[str, Person] = {}
        self.recorded: set[tuple[int, int, date]] = set()
        self.first_seen: dict = {}  # (hash, pledge id, start) -> first row number
        self.person_in_file: dict = {}  # hash -> (first row number, (name, gender, year))
        self.named: set[str] = set()  # new people's hashes whose name is already prepared
        # Per MoU, judged once for the whole file: may the user report on it, who manages
        # its people and where they live.
        self.open_for_user: dict[int, bool] = {}
        self.owners: dict[int, tuple] = {}

    @classmethod
    def load(cls, user, parsed: list[ParsedRow]) -> "_Context":
        context = cls(user)
        context._load_mous(parsed)
        for group in TargetGroup.objects.all():
            context.target_groups[group.code.casefold()] = group.pk
            if group.is_active:
                context.active_codes.append(group.code)
        hashes = list({row.values["id_hash"] for row in parsed if "id_hash" in row.values})
        for start in range(0, len(hashes), QUERY_CHUNK):
            chunk = hashes[start : start + QUERY_CHUNK]
            for person in Person.objects.filter(id_hash__in=chunk).only(
                "id",
                "id_hash",
                "gender",
                "birth_year",
                "full_name_encrypted",
                "owning_authority_id",
                "consent_withdrawn_on",
            ):
                context.people[person.id_hash] = person
        person_ids = [person.pk for person in context.people.values()]
        for start in range(0, len(person_ids), QUERY_CHUNK):
            context.recorded.update(
                Placement.objects.filter(person_id__in=person_ids[start : start + QUERY_CHUNK])
                .exclude(confirmation="rejected")
                .values_list("person_id", "pledge_id", "start_date")
            )
        return context

    def _load_mous(self, parsed: list[ParsedRow]) -> None:
        wanted = {
            (row.values["mou_year"], row.values["mou"][0])
            for row in parsed
            if "mou" in row.values and "mou_year" in row.values
        }
        if not wanted:
            return
        candidates = (
            visible_mous(self.user)
            .filter(year__in={year for year, _n in wanted}, number__in={n for _y, n in wanted})
            .select_related("authority__successor", "partner")
        )
        for mou in candidates:
            self.mous[(mou.year, mou.number)].append(mou)
        mou_ids = [mou.pk for group in self.mous.values() for mou in group]
        for pledge in Pledge.objects.filter(mou_id__in=mou_ids):
            self.pledges[pledge.mou_id, pledge.line] = pledge

    def pledge_for(self, values: dict):
        """(mou, pledge, problem): the pledge line a row points at, or why it cannot."""
        if not {"mou", "mou_year", "line"} <= values.keys():
            return None, None, None
        (number, code), year, line = values["mou"], values["mou_year"], values["line"]
        shown = f"{number}/BGN-{code}" if code else str(number)
        # The code as the signed document prints it (Mou.document_number), or as it is now.
        matching = [
            mou
            for mou in self.mous.get((year, number), [])
            if code in (None, mou.authority.code, mou.sent_authority_code or None)
        ]
        open_ones = [mou for mou in matching if self._open(mou)]
        if len(open_ones) > 1:
            return (
                None,
                None,
                Problem("mou_ambiguous", {"number": shown, "year": year}, "mou_number"),
            )
        if not open_ones:
            closed = [mou for mou in matching if mou_problems(mou)]
            if closed:
                return None, None, mou_problems(closed[0])[0]
            return None, None, Problem("mou_unknown", {"number": shown, "year": year}, "mou_number")
        mou = open_ones[0]
        pledge = self.pledges.get((mou.pk, line))
        if pledge is None:
            params = {"number": mou.document_number, "line": line}
            return mou, None, Problem("pledge_unknown", params, "pledge_line")
        return mou, pledge, None

    def _open(self, mou: Mou) -> bool:
        if mou.pk not in self.open_for_user:
            self.open_for_user[mou.pk] = can_report_placement(self.user, mou)
        return self.open_for_user[mou.pk]

    def _owner(self, mou: Mou) -> tuple:
        if mou.pk not in self.owners:
            owner = owner_for(mou)
            self.owners[mou.pk] = (owner, commune_for(owner))
        return self.owners[mou.pk]

    def unknown_target_group(self, value: str) -> Problem:
        return Problem(
            "choice_invalid",
            {"value": value, "choices": ", ".join(self.active_codes)},
            "target_group",
        )

    def person_problems(self, row: ParsedRow) -> list[Problem]:
        """The same number must mean the same person, in the file and in the registry; the
        same placement must not be given twice in the file."""
        values = row.values
        id_hash, name = values["id_hash"], values["full_name"]
        gender, birth_year = values["gender"], values["birth_year"]
        details = (name_fingerprint(name), gender, birth_year)
        first_number, first_details = self.person_in_file.setdefault(id_hash, (row.number, details))
        if not _same_person(first_details, details):
            return [Problem("person_conflict_in_file", {"row": first_number}, "national_id")]
        existing = self.people.get(id_hash)
        # Told only to those who may see the person; for anyone else the row is prepared as
        # for a new number, and the import holds it for the managing authority to settle.
        if (
            existing is not None
            and can_see_identity(self.user, existing)
            and conflicts_with(existing, name=name, gender=gender, birth_year=birth_year)
        ):
            return [Problem("person_conflict", column="national_id")]
        return []

    def duplicate_of(self, row: ParsedRow, pledge) -> Problem | None:
        key = (row.values["id_hash"], pledge.pk, row.values["start_date"])
        first = self.first_seen.setdefault(key, row.number)
        return None if first == row.number else Problem("duplicate_row", {"row": first})

    def already_recorded(self, values: dict, pledge) -> bool:
        person = self.people.get(values["id_hash"])
        return person is not None and (person.pk, pledge.pk, values["start_date"]) in self.recorded

    def prepare(self, row: ParsedRow, mou: Mou, pledge, group_id: int) -> dict:
        """The row as it will be saved: JSON-safe, nothing in clear but job details.

        The person's details go with the first row of each number whether or not the
        number is registered: the preview is the same either way, and the import compares
        them with the registered person's (see service._people_for)."""
        values = row.values
        id_hash = values["id_hash"]
        new_person = id_hash not in self.named
        owner, commune = self._owner(mou)
        prepared = {
            "row": row.number,
            "mou": mou.pk,
            "pledge": pledge.pk,
            "kind": pledge.kind,
            "id_hash": id_hash,
            "start_date": values["start_date"].isoformat(),
            "occupation": values["occupation"] or pledge.occupation,
            "monthly_wage": values["monthly_wage"],
            "contract_type": values["contract_type"],
        }
        if new_person:
            self.named.add(id_hash)
            prepared["person"] = {
                "name": encrypt_name(values["full_name"]),
                "gender": values["gender"],
                "birth_year": values["birth_year"],
                "target_group": group_id,
                "consent_given_on": values["consent_given_on"].isoformat(),
                "owner": owner.pk,
                "commune": commune.pk if commune else None,
            }
        return prepared
