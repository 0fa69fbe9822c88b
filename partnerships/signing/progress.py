"""Where an MoU stands in its signing, as steps for the staff's MoU page:
sent → signed by the authority → invitation sent → invitation opened → signed by the business.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from partnerships.models import Mou, MouState, SignatureParty, SigningInvitation

DONE, CURRENT, TODO, FAILED = "done", "current", "todo", "failed"
WAITING_ON_LINK = {"invitation_opened", "business_signed"}


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    status: str
    when: datetime | None = None
    note: str = ""


def shows_progress(mou: Mou) -> bool:
    """Waiting for signatures, or signed or declined through the registry."""
    return mou.state == MouState.SENT or (
        mou.signable_document_id is not None
        and mou.state != MouState.DRAFT
        and (mou.pdf_revisions.exists() or mou.invitations.exists())
    )


def signing_steps(
    mou: Mou, *, signatures: dict[str, datetime], invitation: SigningInvitation | None
) -> list[Step]:
    """The five steps; `signatures` maps each party whose verified signature is stored to
    its time, `invitation` is the latest one sent."""
    declined = mou.state == MouState.DECLINED
    sent_done = mou.state != MouState.DRAFT
    facts = [
        ("sent", _("Sent"), sent_done, None),
        (
            "authority_signed",
            _("Signed by the authority"),
            SignatureParty.AUTHORITY in signatures,
            signatures.get(SignatureParty.AUTHORITY),
        ),
        (
            "invitation_sent",
            _("Invitation sent"),
            invitation is not None,
            invitation.created_at if invitation else None,
        ),
        (
            "invitation_opened",
            _("Invitation opened"),
            bool(invitation and invitation.opened_at),
            invitation.opened_at if invitation else None,
        ),
        (
            "business_signed",
            _("Signed by the business"),
            SignatureParty.BUSINESS in signatures,
            signatures.get(SignatureParty.BUSINESS),
        ),
    ]
    steps, current_found = [], False
    for key, label, done, when in facts:
        if done:
            status = DONE
        elif current_found:
            status = TODO
        else:
            current_found = True
            status = FAILED if declined else CURRENT
        note = ""
        if status == FAILED:
            note = _("Declined")
        elif status == CURRENT and key in WAITING_ON_LINK and invitation and not invitation.is_open:
            # Expired or replaced: the business can no longer act on it.
            status, note = FAILED, invitation.status_label()
        steps.append(Step(key=key, label=label, status=status, when=when, note=note))
    return steps
