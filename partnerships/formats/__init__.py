"""How dates are written: dd/mm/yyyy, the way Vietnamese administrative practice writes
them, in both languages. Defined once here; Django's per-language format modules (vi/, en/,
found through settings.FORMAT_MODULE_PATH) and the code that writes or reads a date outside
a template (forms, import files, messages, exports, signature stamps) take it from here."""

from datetime import date, datetime

# For strftime/strptime, date widgets and DATE_INPUT_FORMATS.
DAY = "%d/%m/%Y"
# The same for the template `date` filter (DATE_FORMAT, SHORT_DATE_FORMAT).
DAY_TEMPLATE = "d/m/Y"
# What a form field shows as its placeholder.
DAY_HINT = "dd/mm/yyyy"


def day(value: date | datetime) -> str:
    """5 February 2026 -> "05/02/2026"."""
    return value.strftime(DAY)
