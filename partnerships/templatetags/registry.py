from django import template

from partnerships.models import MouState

register = template.Library()


@register.filter
def state_label(value: str) -> str:
    """The translated name of an MoU state code, e.g. "sent" -> "Sent for signature"."""
    try:
        return MouState(value).label
    except ValueError:
        return value
