"""What the signer's page says: who asks, what, by when, the steps ahead, in plain words."""

from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerships.models import InvitationOutcome, SigningInvitation

READ = gettext_lazy("Read")
CONFIRM = gettext_lazy("Confirm it is you")
SIGN = gettext_lazy("Sign")


@dataclass(frozen=True)
class Step:
    number: int
    label: str
    status: str  # "done", "current" or "todo"

    @property
    def status_label(self) -> str:
        return {
            "done": _("done"),
            "current": _("you are here"),
            "todo": _("to do"),
        }[self.status]


def pledge_sentence(mou, pledges) -> str:
    """The pledges in one sentence: "Công ty X pledges 10 × Job: welders; 5 × ..."."""
    items = "; ".join(
        _("%(quantity)s × %(kind)s: %(occupation)s")
        % {
            "quantity": pledge.quantity,
            "kind": pledge.get_kind_display().lower(),
            "occupation": pledge.occupation,
        }
        for pledge in pledges
    )
    if not items:
        return ""
    return _("%(company)s pledges %(items)s, from %(start)s to %(end)s.") % {
        "company": mou.parties.partner_name,
        "items": items,
        "start": date_format(mou.term_start, "SHORT_DATE_FORMAT") if mou.term_start else "—",
        "end": date_format(mou.term_end, "SHORT_DATE_FORMAT") if mou.term_end else "—",
    }


def state_words(invitation: SigningInvitation, *, signed: bool) -> str:
    """The signer's situation, never the registry's internal state names."""
    if signed:
        return _("Signed by both parties")
    if invitation.outcome == InvitationOutcome.DECLINED:
        return _("You declined")
    return _("Waiting for your signature")


def steps(*, code_sent: bool, signed: bool) -> list[Step]:
    """Read → confirm it is you → sign, with where the signer is now."""
    if signed:
        current = 4
    elif code_sent:
        current = 2
    else:
        current = 1
    return [
        Step(
            number=number,
            label=str(label),
            status="done" if number < current else "current" if number == current else "todo",
        )
        for number, label in enumerate((READ, CONFIRM, SIGN), start=1)
    ]
