"""Reading numbers from query strings and forms.

`str.isdigit()` is true for "²" and "١٢", which `int()` then refuses (or reads as a number
the user never typed): a search for "²" was a server error. Numbers in addresses are ASCII
digits, and small enough for a database integer column.
"""

import re

_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")
DATABASE_INT_MAX = 2_147_483_647


def whole_number(text: str | None, *, maximum: int = DATABASE_INT_MAX) -> int | None:
    """ "12" -> 12; anything else ("²", "-1", "1e3", "", too large) -> None."""
    if text is None or not _ASCII_DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if number <= maximum else None
