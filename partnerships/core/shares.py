"""A share of a whole, one rule for every page, download and report: part / whole, and
nothing (None: "—" on a page, an empty cell in a spreadsheet) when there is nothing to
divide by. The same rule in SQL is partnerships.reports.measures.share."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format


def ratio(part: int | None, whole: int | None) -> float | None:
    """part / whole; None when the whole is 0 or unknown (no share to speak of yet)."""
    return (part or 0) / whole if whole else None


def percent(share: float | None) -> str:
    """0.0889 -> "8.9%" in the reader's number format ("8,9%" in Vietnamese), 0.5 -> "50%";
    None -> "—". The same rounding as the spreadsheets' percent_number: a page and its
    download never disagree (a whole percentage drops its ".0")."""
    number = percent_number(share)
    if number is None:
        return "—"
    decimals = 0 if number == int(number) else 1
    return f"{number_format(number, decimals)}%"


def percent_number(share: float | None) -> float | None:
    """0.8333 -> 83.3 (a number of percent, for spreadsheets, one decimal); None stays
    empty. Halves round up (0.0885 -> 8.9), as people round, not to the even digit."""
    if share is None:
        return None
    return float(Decimal(repr(share * 100)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
