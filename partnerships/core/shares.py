"""A share of a whole, one rule for every page, download and report: part / whole, and
nothing (None: "—" on a page, an empty cell in a spreadsheet) when there is nothing to
divide by. The same rule in SQL is partnerships.reports.measures.share."""

from django.utils.formats import number_format


def ratio(part: int | None, whole: int | None) -> float | None:
    """part / whole; None when the whole is 0 or unknown (no share to speak of yet)."""
    return (part or 0) / whole if whole else None


def percent(share: float | None) -> str:
    """0.834 -> "83%" in the reader's number format; None -> "—"."""
    if share is None:
        return "—"
    return f"{number_format(share * 100, 0)}%"


def percent_number(share: float | None) -> float | None:
    """0.8333 -> 83.3 (a number of percent, for spreadsheets); None stays empty."""
    return None if share is None else round(share * 100, 1)
