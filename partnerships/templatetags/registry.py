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


@register.filter
def action_label(code: str) -> str:
    """The translated wording of an audit action code, e.g. "mou.sent" -> "Sent for signature"."""
    from partnerships.mous.lifecycle import AUDIT_ACTION_LABELS

    return AUDIT_ACTION_LABELS.get(code, code)
