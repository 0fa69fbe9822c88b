"""Every change of an MoU's state goes through the services in this module.

Each service follows the same four steps: check the rule (state, conditions, permission)
and raise `MouError` with a message the user can act on; change the state inside a
transaction with the row locked; write one audit event; queue side effects on commit.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, can_proceed

from partnerships.authorities.permissions import may_change_mou
from partnerships.core.errors import RegistryError
from partnerships.models import (
    AuditEvent,
    Mou,
    MouDocument,
    MouParties,
    MouState,
    sha256_hex,
)


class MouError(RegistryError):
    """A change to an MoU that cannot be made; the message says why, in the user's language."""


@dataclass(frozen=True)
class Action:
    """A transition as users see it: the method to run, its audit code and its wording."""

    name: str
    audit_code: str
    label: str
    needs_reason: bool = False
    style: str = "primary"
    # Asked on a page of its own, which says what the action does, before it is done:
    # for actions that cannot be undone and sit beside everyday ones.
    confirm_step: bool = False


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action("send", "mou.sent", _("Send for signature")),
        Action("recall", "mou.recalled", _("Take back to draft"), style="secondary"),
        Action("decline", "mou.declined", _("Decline"), needs_reason=True, style="danger"),
        Action(
            "cancel",
            "mou.cancelled",
            _("Cancel this MoU"),
            needs_reason=True,
            style="danger",
            confirm_step=True,
        ),
        Action("sign", "mou.signed", _("Mark as signed")),
        Action("activate", "mou.activated", _("Activate")),
        Action("review", "mou.reviewed", _("Close with the final review")),
        Action("terminate", "mou.terminated", _("Terminate"), needs_reason=True, style="danger"),
    )
}

_BLOCKERS = {
    "send": Mou.send_blockers,
    "recall": Mou.recall_blockers,
    "sign": Mou.sign_blockers,
    "activate": Mou.activate_blockers,
    "review": Mou.review_blockers,
}

# How each audit action code reads in the timeline.
AUDIT_ACTION_LABELS = {
    "mou.created": _("Draft created"),
    "mou.edited": _("Draft edited"),
    "mou.mid_term_review_recorded": _("Mid-term review recorded"),
    "mou.final_review_recorded": _("Final review recorded"),
    "mou.renewed": _("Renewal drafted"),
    "mou.renewal_drafted": _("Drafted as the renewal of a reviewed MoU"),
    "partner.created": _("Partner registered"),
    "partner.edited": _("Partner edited"),
    "template.version_uploaded": _("Template version uploaded"),
    "mou.sent": _("Sent for signature"),
    "mou.recalled": _("Taken back to draft"),
    "mou.declined": _("Declined by the partner"),
    "mou.cancelled": _("Cancelled"),
    "mou.signed": _("Signed by both parties"),
    "mou.activated": _("Activated"),
    "mou.reviewed": _("Closed after the final review"),
    "mou.terminated": _("Terminated"),
    "mou.authority_certified": _("Certified by the authority (digital signature)"),
    "mou.authority_signed_upload": _(
        "Signed by the authority with its own certificate (signed outside and uploaded)"
    ),
    "mou.invitation_sent": _("Signing invitation sent"),
    "mou.invitation_opened": _("Signing invitation opened"),
    "mou.signing_code_sent": _("One-time code sent"),
    "mou.signing_code_confirmed": _("One-time code confirmed"),
    "mou.signing_code_locked": _("One-time code blocked after too many wrong attempts"),
    "mou.business_sealed": _(
        "Signed for the business through the registry (electronic signature, not the "
        "business's digital signature)"
    ),
    "mou.business_signed": _("Signed by the business with its own certificate"),
    "mou.archive_timestamped": _("Archive timestamp added"),
    "mou.signed_copies_emailed": _("Signed PDF and completion certificate emailed to both parties"),
    "mou.signing_reminder_sent": _("Signing reminder sent"),
    "mou.invitation_expired": _("Signing invitation expired unanswered"),
}

CONFLICT_MESSAGE = _(
    "Someone else changed this MoU while you were working on it. "
    "Reload the page to see its current state, then try again."
)


def record_event(
    mou: Mou | None = None, *, action: str, actor, note: str = "", partner=None, **states
) -> AuditEvent:
    """Append one event to the audit trail (states: from_state=..., to_state=...)."""
    return AuditEvent.objects.create(
        mou=mou, partner=partner, actor=actor, action=action, note=note, **states
    )


def _freeze_signable_pdf(mou: Mou) -> dict:
    """Sending fixes the PDF both parties will sign: stored once, its SHA-256 recorded."""
    document = mou.ready_document()
    if document is None:
        raise MouError(_("Prepare the PDF of this version first, and wait until it is ready."))
    stored_pdf = MouDocument.objects.values_list("pdf", flat=True).get(pk=document.pk)
    if sha256_hex(bytes(stored_pdf)) != document.pdf_sha256:
        raise MouError(_("The stored PDF does not match its recorded SHA-256; prepare it again."))
    mou.signable_document = document
    mou.signable_pdf_sha256 = document.pdf_sha256
    parties = _fix_parties(mou, document)
    return {"pdf_sha256": document.pdf_sha256, "document_id": document.pk, "parties": parties}


def _fix_parties(mou: Mou, document: MouDocument) -> dict:
    """Sending fixes the parties as the PDF sent prints them, so a partner renamed or given
    another tax code later changes nothing the registry shows of this MoU. A rendering
    made before the registry recorded what it printed gets today's records."""
    printed = MouDocument.objects.values_list("parties", flat=True).get(pk=document.pk)
    if printed and printed.keys() == MouParties.FIELDS.keys():
        parties = MouParties(**printed)
    else:
        parties = mou.live_parties()
    mou.fix_parties(parties, at=timezone.now())
    return parties.as_dict()


def _release_signable_pdf(mou: Mou) -> dict:
    """Back to draft: the sent PDF stays stored, but a changed draft needs a new one, and
    the parties are read from the live records again until it is sent anew."""
    released = {"released_pdf_sha256": mou.signable_pdf_sha256}
    mou.signable_document = None
    mou.signable_pdf_sha256 = ""
    mou.release_parties()
    return released


def _record_final_pdf(mou: Mou) -> dict:
    """Signing closes the PDF: its last stored revision is the final document."""
    latest = mou.pdf_revisions.order_by("-sequence").values("sequence", "sha256").first()
    if latest is None:
        return {}
    return {"final_pdf_sha256": latest["sha256"], "revision": latest["sequence"]}


# Work that belongs to a transition, done in the same transaction; returns audit details.
_TRANSITION_EFFECTS = {
    "send": _freeze_signable_pdf,
    "recall": _release_signable_pdf,
    "sign": _record_final_pdf,
}


def available_actions(mou: Mou, user) -> list[Action]:
    """The transitions this user may perform on this MoU now (for the buttons on its page)."""
    return [
        action
        for action in ACTIONS.values()
        if can_proceed(getattr(mou, action.name)) and may_change_mou(user, mou, action.name)
    ]


def blocked_actions(mou: Mou, user) -> list[tuple[Action, list[str]]]:
    """Transitions open from this state and permitted, but whose conditions are not met yet,
    with the reasons; shown so users know what remains to do."""
    blocked = []
    for name, blockers in _BLOCKERS.items():
        method = getattr(mou, name)
        if (
            can_proceed(method, check_conditions=False)
            and not can_proceed(method)
            and may_change_mou(user, mou, name)
        ):
            blocked.append((ACTIONS[name], blockers(mou)))
    return blocked


def _check(mou: Mou, action: Action, actor) -> None:
    method = getattr(mou, action.name)
    if not can_proceed(method, check_conditions=False):
        raise MouError(
            _("An MoU in the state “%(state)s” cannot be changed this way (%(action)s).")
            % {"state": mou.get_state_display(), "action": action.label}
        )
    # No actor means the system itself (the daily activation, verified signatures).
    if actor is not None and not may_change_mou(actor, mou, action.name):
        raise PermissionDenied(_("You may not do this to this MoU."))
    if not can_proceed(method):
        reasons = _BLOCKERS[action.name](mou) if action.name in _BLOCKERS else []
        raise MouError(" ".join(str(reason) for reason in reasons) or _("Not possible now."))


def perform(
    mou: Mou, action_name: str, *, actor, note: str = "", details: dict | None = None
) -> Mou:
    """Run one transition on `mou` for `actor` (None for the system: cron, signing).

    Raises MouError when the state, the conditions or a missing reason forbid it, and
    PermissionDenied when the actor may not. On success the MoU is saved in its new
    state and exactly one audit event records who, when, from, to and why (`details`:
    facts the caller adds to it, e.g. the evidence of a decline through a signing link).
    """
    action = ACTIONS.get(action_name)
    if action is None:
        raise MouError(_("Unknown action."))
    note = (note or "").strip()
    if action.needs_reason and not note:
        raise MouError(_("Give a reason."))

    try:
        with transaction.atomic():
            # The row lock makes a second request wait, then fail the state check below
            # (PostgreSQL); on SQLite the write lock and the state filter do the same.
            current_state = (
                Mou.objects.select_for_update().filter(pk=mou.pk).values_list("state", flat=True)
            ).first()
            if current_state != mou.state:
                raise MouError(CONFLICT_MESSAGE)
            _check(mou, action, actor)
            from_state = mou.state
            effect = _TRANSITION_EFFECTS.get(action.name)
            details = (details or {}) | (effect(mou) if effect else {})
            getattr(mou, action.name)()
            if action.needs_reason:
                mou.closing_reason = note
            mou.save()
            record_event(
                mou,
                action=action.audit_code,
                actor=actor,
                note=note,
                from_state=from_state,
                to_state=mou.state,
                details=details,
            )
            if action.name == "decline":
                _tell_staff_of_decline(mou, actor=actor, reason=note)
    except ConcurrentTransition as exc:
        mou.refresh_from_db()
        raise MouError(CONFLICT_MESSAGE) from exc
    except MouError:
        mou.refresh_from_db()
        raise
    return mou


def _tell_staff_of_decline(mou: Mou, *, actor, reason: str) -> None:
    """The business declined (through its link, actor None, or logged in): the authority's
    staff are emailed once the decline is committed. Staff declining themselves are not."""
    from partnerships.authorities.permissions import can_manage_mou
    from partnerships.core.mail import send_after_commit
    from partnerships.signing.emails import declined_messages

    if actor is not None and can_manage_mou(actor, mou):
        return
    send_after_commit(declined_messages(mou, reason=reason), kind="decline")


def activate_due_mous(*, today=None) -> list[Mou]:
    """Activate every signed MoU whose term has started. Safe to run again: an MoU already
    active is no longer `signed`, and one changed meanwhile by someone else is skipped."""
    today = today or timezone.localdate()
    activated = []
    due = Mou.objects.filter(state=MouState.SIGNED, term_start__lte=today).select_related(
        "authority"
    )
    for mou in due:
        try:
            perform(mou, "activate", actor=None)
        except MouError:
            continue
        activated.append(mou)
    return activated
