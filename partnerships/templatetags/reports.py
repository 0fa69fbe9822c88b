"""Template filters of the report pages."""

from django import template

from partnerships.core.shares import percent, ratio
from partnerships.reports.tables import lag_badge

register = template.Library()


@register.filter(name="percent")
def percent_filter(value) -> str:
    """A share (0.834) as a percentage ("83%"); "—" when there is nothing to divide by."""
    return percent(value)


@register.filter
def share_of(part, whole) -> str:
    """part / whole as a percentage, e.g. {{ row.retained_6|share_of:row.eligible_6 }}."""
    return percent(ratio(part, whole))


@register.filter
def lag(flag) -> str:
    """The "Lagging" badge for a flagged MoU, nothing otherwise."""
    return lag_badge(bool(flag))


@register.filter
def iso_day(value) -> str:
    """A date kept as ISO text (a review's figures) in the reader's date format."""
    from datetime import date

    from django.utils.formats import date_format

    try:
        return date_format(date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
    except ValueError:
        return str(value or "")
