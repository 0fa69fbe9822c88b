"""How dates and money are written in MoU documents."""

from datetime import date

_EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def vietnamese_date_in_full(value: date | None) -> str:
    """'ngày 05 tháng 02 năm 2026': Decree 30 writes days 01–09 and months 01–02 with a
    leading zero, other months without."""
    if value is None:
        return "…"
    month = f"{value.month:02d}" if value.month <= 2 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def english_date_in_full(value: date | None) -> str:
    if value is None:
        return "…"
    return f"{value.day} {_EN_MONTHS[value.month - 1]} {value.year}"


def date_in_full(value: date | None, language: str) -> str:
    return vietnamese_date_in_full(value) if language == "vi" else english_date_in_full(value)


# What a table cell holds where no value applies (no wage for a training line, no due date).
NOT_APPLICABLE = "—"


def short_date(value: date | None) -> str:
    """'30/06/2026', day first as Vietnamese documents write it, for table cells."""
    return f"{value:%d/%m/%Y}" if value is not None else NOT_APPLICABLE


def money(amount: int | None, language: str) -> str:
    """VND with Vietnamese grouping (6.500.000) or English grouping (6,500,000)."""
    if amount is None:
        return NOT_APPLICABLE
    grouped = f"{amount:,}"
    return grouped.replace(",", ".") if language == "vi" else grouped
