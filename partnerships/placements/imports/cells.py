"""One cell of an import file -> a typed value, or a Problem saying what is wrong with it.

Cells come from CSV (always text) or XLSX (text, numbers, dates): both are accepted the way
people actually fill them in (dates as dd/mm/yyyy or real dates, wages with thousands
separators, coded values as codes or as their Vietnamese or English wording).
"""

import re
from datetime import date, datetime

from django.utils import translation

from partnerships.core.privacy import InvalidNationalId, normalise_national_id
from partnerships.models import DOCUMENT_TYPE_CODE
from partnerships.placements.imports.columns import header_key
from partnerships.placements.rules import EXTRA_WORDS, Problem

_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?$")
# 6500000, 6.500.000, 6,500,000, 6 500 000 (a decimal part of zeros is tolerated)
_GROUPED = re.compile(r"^-?\d{1,3}(?:[., \u00a0\u202f]\d{3})+$")
_MOU_NUMBER = re.compile(
    rf"^(?:số\s*:?\s*)?(\d+)\s*(?:/\s*{DOCUMENT_TYPE_CODE}\s*-\s*([A-ZĐ0-9-]+))?$", re.IGNORECASE
)


class CellProblem(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.code)
        self.problem = problem


def _fail(code: str, column: str, **params):
    raise CellProblem(Problem(code, params, column))


def _shown(value) -> str:
    """The value as the user typed it, shortened, for quoting in a message."""
    text = str(value).strip()
    return text if len(text) <= 40 else text[:39] + "…"


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value, column: str, *, limit: int, required: bool = True) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = " ".join(str(value).split()) if not is_blank(value) else ""
    if required and not result:
        _fail("value_missing", column)
    if len(result) > limit:
        _fail("value_too_long", column, limit=limit)
    return result


def national_id(value, column: str = "national_id") -> str:
    """The normalised number. A number cell lost its leading zeros: a CCCD always has 12
    digits and a CMND 9, so they are put back (CCCDs start with a province code 001-096)."""
    if is_blank(value):
        _fail("value_missing", column)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        digits = str(int(value))
        value = digits.zfill(12) if len(digits) > 9 else digits.zfill(9)
    try:
        return normalise_national_id(str(value))
    except InvalidNationalId:
        _fail("national_id_invalid", column)


def integer(value, column: str, *, required: bool = True) -> int | None:
    if is_blank(value):
        if required:
            _fail("value_missing", column)
        return None
    if isinstance(value, bool):
        _fail("number_invalid", column, value=_shown(value))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        _fail("number_invalid", column, value=_shown(value))
    raw = str(value).strip().removesuffix("đ").removesuffix("VND").strip()
    raw = re.sub(r"[.,]0{1,2}$", "", raw)  # 6.500.000,00
    if _GROUPED.match(raw):
        raw = re.sub(r"[., \u00a0\u202f]", "", raw)
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    _fail("number_invalid", column, value=_shown(value))


def day(value, column: str) -> date:
    if is_blank(value):
        _fail("value_missing", column)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    try:
        if match := _DATE.match(raw):
            day_, month, year = map(int, match.groups())
            return date(year, month, day_)
        if match := _ISO_DATE.match(raw):
            year, month, day_ = map(int, match.groups())
            return date(year, month, day_)
    except ValueError:
        pass  # 31/02/2025: shaped like a date, but not one
    _fail("date_invalid", column, value=_shown(value))


def choice_lookup(choices) -> dict[str, str]:
    """Accepted spellings of a TextChoices' values: the code, the label in either
    language, and the usual words (EXTRA_WORDS), compared without case or extra spaces."""
    lookup = {}
    for member in choices:
        lookup[header_key(member.value)] = member.value
        for language in ("vi", "en"):
            with translation.override(language):
                lookup[header_key(str(member.label))] = member.value
    for word, member in EXTRA_WORDS.items():
        if isinstance(member, choices):
            lookup[header_key(word)] = member.value
    return lookup


def coded(value, column: str, lookup: dict[str, str]) -> str:
    """A coded value (gender, kind, contract); the message lists the choices by the column's
    name, so that they are shown in the reader's language (see
    partnerships.placements.rules.Problem)."""
    if is_blank(value):
        _fail("value_missing", column)
    found = lookup.get(header_key(value))
    if found is None:
        _fail("choice_invalid", column, value=_shown(value), choices=column)
    return found


def mou_number(value, column: str = "mou_number") -> tuple[int, str | None]:
    """'4/BGN-UBND' (or 'Số: 4/BGN-UBND', or just '4') -> (4, 'UBND' or None)."""
    if is_blank(value):
        _fail("value_missing", column)
    raw = str(int(value)) if isinstance(value, (int, float)) else str(value).strip()
    match = _MOU_NUMBER.match(raw)
    if not match:
        _fail("number_invalid", column, value=_shown(value))
    number, code = match.groups()
    return int(number), code.upper() if code else None
