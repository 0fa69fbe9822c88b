"""The rules a reported placement must meet, shared by the report form and the bulk import.

A broken rule is a `Problem`: a code, its parameters and the input it concerns. Problems are
stored as codes (an import's preview is read later, maybe by someone using the other
language) and turned into words only when shown, in the reader's language.
"""

import contextlib
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext_lazy as _

from partnerships import formats
from partnerships.core.privacy import decrypt_name, name_fingerprint
from partnerships.models import (
    ContractType,
    Gender,
    Mou,
    MouState,
    Person,
    Pledge,
    PledgeKind,
)

OLDEST_BIRTH_YEAR = 1940
# Vietnamese labour law: work from 15 (younger only in listed light jobs).
YOUNGEST_WORKING_AGE = 15

MESSAGES = {
    "mou_unknown": _("There is no MoU %(number)s of %(year)s on which you may report placements."),
    "mou_ambiguous": _(
        "Several MoUs you manage are numbered %(number)s in %(year)s: report these "
        "placements from the page of the MoU concerned."
    ),
    "mou_not_open": _(
        "MoU %(number)s is “%(state)s”: placements can be reported only on a signed or active MoU."
    ),
    "pledge_unknown": _("MoU %(number)s has no pledge line %(line)s."),
    "pledge_of_other_partner": _("This pledge belongs to another partner's MoU."),
    "kind_mismatch": _("Pledge line %(line)s is for “%(pledge_kind)s”, not “%(kind)s”."),
    "start_outside_term": _(
        "The start date %(date)s is outside the MoU's term (%(term_start)s – %(term_end)s)."
    ),
    "date_in_future": _("The date %(date)s is in the future."),
    "date_invalid": _("“%(value)s” is not a date: write it as dd/mm/yyyy."),
    "national_id_invalid": _("A national ID number has 12 digits (or 9 for an old identity card)."),
    "birth_year_invalid": _("The birth year must be between %(oldest)s and %(youngest)s."),
    "wage_negative": _("The monthly wage cannot be negative."),
    "number_invalid": _("“%(value)s” is not a whole number."),
    "choice_invalid": _("“%(value)s” is not one of: %(choices)s."),
    "value_missing": _("This value is missing."),
    "value_too_long": _("This value is longer than %(limit)s characters."),
    "duplicate_row": _("The same person, pledge line and start date as row %(row)s."),
    "person_conflict": _(
        "This national ID number is already registered with a different name, gender or "
        "birth year. Check the number and the details."
    ),
    "person_conflict_in_file": _(
        "Row %(row)s gives the same national ID number with a different name, gender or birth year."
    ),
    "already_recorded": _("This placement is already recorded."),
    "identity_check_pending": _(
        "The details reported for this person differ from those registered: the authority "
        "that manages the person checks them first; the placement can be confirmed after that."
    ),
    "lookup_limit": _(
        "Too many national ID numbers were checked from your account or your business in the "
        "last 24 hours. Nothing was saved. Try again tomorrow, or ask the authority's staff to "
        "record these placements."
    ),
    "changed_meanwhile": _(
        "Someone else changed this record at the same moment. Reload the page and try again."
    ),
    "reason_missing": _("Give a reason."),
    "already_withdrawn": _("This person's consent was already withdrawn."),
    "not_ongoing": _("Only an ongoing placement can be ended."),
    "end_before_start": _("The end date cannot be before the start date."),
}

# Parameters holding a code that is shown as its translated label.
_LABELLED_PARAMS = {
    "state": MouState,
    "kind": PledgeKind,
    "pledge_kind": PledgeKind,
}


# A "choices" parameter naming one of these lists the labels, in the reader's language.
_CHOICE_SETS = {"gender": Gender, "kind": PledgeKind, "contract_type": ContractType}


@dataclass(frozen=True)
class Problem:
    """One broken rule: `code` (a key of MESSAGES), its parameters, and the input (form
    field or import column) it concerns, if any."""

    code: str
    params: dict = field(default_factory=dict)
    column: str = ""

    @property
    def message(self) -> str:
        params = dict(self.params)
        for name, choices in _LABELLED_PARAMS.items():
            if name in params:
                with contextlib.suppress(ValueError):
                    params[name] = choices(params[name]).label
        if params.get("choices") in _CHOICE_SETS:
            params["choices"] = ", ".join(str(m.label) for m in _CHOICE_SETS[params["choices"]])
        return str(MESSAGES[self.code]) % params

    def as_dict(self) -> dict:
        return {"code": self.code, "params": self.params, "column": self.column}

    @classmethod
    def from_dict(cls, data: dict) -> "Problem":
        return cls(data["code"], data.get("params") or {}, data.get("column") or "")


def dmy(day: date | None) -> str:
    return formats.day(day) if day else "…"


def wage_below_minimum(pledge: Pledge, wage: int | None) -> bool:
    """A wage under the pledge's minimum: allowed (a part-time start, a typo's fix later),
    but worth a second look before it is recorded."""
    return wage is not None and bool(pledge.min_monthly_wage) and wage < pledge.min_monthly_wage


def youngest_birth_year(today: date) -> int:
    return today.year - YOUNGEST_WORKING_AGE


def mou_problems(mou: Mou) -> list[Problem]:
    if mou.state not in MouState.IN_FORCE:
        return [Problem("mou_not_open", {"number": mou.document_number, "state": mou.state})]
    return []


def placement_problems(
    *, mou: Mou, pledge: Pledge, line: int, kind: str, start_date: date, today: date
) -> list[Problem]:
    """Rules of the placement itself, given its MoU and pledge line."""
    problems = []
    if kind != pledge.kind:
        problems.append(
            Problem(
                "kind_mismatch",
                {"line": line, "pledge_kind": pledge.kind, "kind": kind},
                column="kind",
            )
        )
    if start_date > today:
        problems.append(Problem("date_in_future", {"date": dmy(start_date)}, column="start_date"))
    elif not (mou.term_start and mou.term_end and mou.term_start <= start_date <= mou.term_end):
        problems.append(
            Problem(
                "start_outside_term",
                {
                    "date": dmy(start_date),
                    "term_start": dmy(mou.term_start),
                    "term_end": dmy(mou.term_end),
                },
                column="start_date",
            )
        )
    return problems


def person_problems(
    *, birth_year: int | None, consent_given_on: date, today: date
) -> list[Problem]:
    problems = []
    youngest = youngest_birth_year(today)
    if birth_year is not None and not OLDEST_BIRTH_YEAR <= birth_year <= youngest:
        problems.append(
            Problem(
                "birth_year_invalid",
                {"oldest": OLDEST_BIRTH_YEAR, "youngest": youngest},
                column="birth_year",
            )
        )
    if consent_given_on > today:
        problems.append(
            Problem("date_in_future", {"date": dmy(consent_given_on)}, column="consent_given_on")
        )
    return problems


def conflicts_with(person: Person, *, name: str, gender: str, birth_year: int | None) -> bool:
    """Does what was reported contradict the person registered under the same number?

    Names compare without case or tone marks: lists are often typed without diacritics.
    """
    if person.gender != gender:
        return True
    if birth_year is not None and person.birth_year not in (None, birth_year):
        return True
    stored = decrypt_name(person.full_name_encrypted) if person.full_name_encrypted else ""
    return bool(stored) and name_fingerprint(stored) != name_fingerprint(name)


# Words people write for the coded values, besides the codes and the labels in either
# language (see partnerships.placements.imports.cells.choice_lookup).
EXTRA_WORDS = {
    "nam": Gender.MALE,
    "nữ": Gender.FEMALE,
    "nu": Gender.FEMALE,
    "hđlđ từ 12 tháng trở lên": ContractType.LABOUR_12_MONTHS_OR_MORE,
    "hđlđ dưới 12 tháng": ContractType.LABOUR_UNDER_12_MONTHS,
    "thời vụ": ContractType.SEASONAL,
    "khóa đào tạo": ContractType.TRAINING_COURSE,
    "việc làm": PledgeKind.JOB,
    "đào tạo nghề": PledgeKind.VOCATIONAL_TRAINING,
    "học nghề": PledgeKind.APPRENTICESHIP,
    "tập nghề": PledgeKind.APPRENTICESHIP,
    "học việc": PledgeKind.APPRENTICESHIP,
}
