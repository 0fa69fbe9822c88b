"""Referral services: staff refer a person they manage to an open pledge line; the business
referred to records the interview and the outcome, and looks up who it is meeting.

Each service checks the actor's permission (PermissionDenied) and the rules (ReferralError,
with a message the user can act on), changes the rows inside one transaction, and writes
one audit event. Audit events carry ids and states only, never a name or a contact.
Ending referrals (consent withdrawn, expiry) is in partnerships.referrals.endings.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from partnerships.authorities.permissions import (
    authority_scope,
    can_record_referral_outcome,
    can_refer,
    can_see_referred_identity,
    visible_mous,
    visible_people,
)
from partnerships.core.errors import RegistryError
from partnerships.core.privacy import decrypt_name, encrypt_name
from partnerships.formats import day
from partnerships.models import (
    REFERRAL_IN_PROGRESS,
    Event,
    MouState,
    NotHiredReason,
    Person,
    Pledge,
    Referral,
    ReferralStatus,
)
from partnerships.mous.lifecycle import record_event
from partnerships.placements import services as placements
from partnerships.placements.open_places import open_places_on
from partnerships.referrals.endings import expire_overdue_referrals
from partnerships.reports.tallies import recount_after_commit

CONTACT_MAX_LENGTH = 100

MESSAGES = {
    "line_closed": _(
        "Pledge line %(line)s of MoU %(number)s is not open for referrals: its MoU must be "
        "signed or active."
    ),
    "line_full": _("Pledge line %(line)s of MoU %(number)s has no open place left."),
    "person_not_managed": _("You may refer only people your authority manages."),
    "consent_withdrawn": _("This person withdrew their consent: they cannot be referred."),
    "share_consent_missing": _(
        "Tick the box once the person has agreed to their name and contact going to this "
        "business. Nothing was saved."
    ),
    "share_consent_date_missing": _("Give the day the person agreed to share their details."),
    "date_in_future": _("The date %(date)s is in the future."),
    "contact_missing": _("Give a phone number or other contact the business can use."),
    "contact_too_long": _("The contact is longer than %(limit)s characters."),
    "already_referred": _(
        "This person is already referred to this line and that referral is still in progress."
    ),
    "target_group_mismatch": _(
        "Pledge line %(line)s is for %(groups)s; this person's group (%(group)s) is not among them."
    ),
    "not_in_progress": _(
        "This referral is no longer in progress (%(status)s): nothing was changed."
    ),
    "date_before_referral": _("The date %(date)s is before the referral (%(referred_on)s)."),
    "hire_before_referral": _(
        "The start date %(date)s is before the referral (%(referred_on)s): a hire through this "
        "referral cannot start earlier."
    ),
    "reason_missing": _("Choose a reason from the list."),
    "date_missing": _("Give the date."),
    "event_unknown": _("Choose an event held by your authority."),
    "changed_meanwhile": _(
        "Someone else changed this record at the same moment. Reload the page and try again."
    ),
}


class ReferralError(RegistryError):
    """A referral, or an outcome, that cannot be recorded; says why in the reader's language.
    `field` names the form field it concerns, if any."""

    def __init__(self, code: str, params: dict | None = None, *, field: str | None = None):
        self.code = code
        self.params = params or {}
        self.field = field
        super().__init__(code)

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code]) % self.params


@dataclass(frozen=True)
class ReferredPerson:
    """What the business may know about the person referred to it."""

    full_name: str
    contact: str


def expiry_for(referred_on: date) -> date:
    return referred_on + timedelta(days=settings.REFERRAL_EXPIRY_DAYS)


def _line_params(pledge: Pledge) -> dict:
    return {"line": pledge.line, "number": pledge.mou.document_number}


def _check_person(actor, person: Person) -> None:
    # Whether someone else's person withdrew consent is theirs to know: outsiders all get
    # the same answer.
    if not visible_people(actor).filter(pk=person.pk).exists():
        raise ReferralError("person_not_managed")
    if person.is_anonymised:
        raise ReferralError("consent_withdrawn")
    if not can_refer(actor, person):
        raise ReferralError("person_not_managed")


def _check_line(actor, person: Person, pledge: Pledge) -> None:
    mou = pledge.mou
    if mou.state not in MouState.IN_FORCE or not visible_mous(actor).filter(pk=mou.pk).exists():
        raise ReferralError("line_closed", _line_params(pledge), field="pledge")
    groups = list(pledge.target_groups.all())
    # A line naming no target group is open to every group.
    if groups and person.target_group_id not in {group.pk for group in groups}:
        raise ReferralError(
            "target_group_mismatch",
            {
                "line": pledge.line,
                "groups": ", ".join(str(group) for group in groups),
                "group": person.target_group,
            },
            field="pledge",
        )


def _check_consent(share_consent: bool, share_consent_on: date | None, today: date) -> None:
    if not share_consent:
        raise ReferralError("share_consent_missing", field="share_consent")
    if share_consent_on is None:
        raise ReferralError("share_consent_date_missing", field="share_consent_on")
    if share_consent_on > today:
        raise ReferralError(
            "date_in_future", {"date": day(share_consent_on)}, field="share_consent_on"
        )


def _clean_contact(contact: str) -> str:
    contact = " ".join((contact or "").split())
    if not contact:
        raise ReferralError("contact_missing", field="contact")
    if len(contact) > CONTACT_MAX_LENGTH:
        raise ReferralError("contact_too_long", {"limit": CONTACT_MAX_LENGTH}, field="contact")
    return contact


def refer_person(
    *,
    actor,
    person: Person,
    pledge: Pledge,
    contact: str,
    share_consent: bool,
    share_consent_on: date | None,
    event: Event | None = None,
    today: date | None = None,
) -> Referral:
    """Refer a person the actor's authority manages to an open pledge line, with their
    consent to share their name and contact with that one business.

    Refused (nothing saved): a person of another authority or who withdrew consent; no
    consent to share; a line of an MoU that is not signed or active, or with no open place
    (pledged − delivered − awaiting confirmation − referrals in progress); a line whose target
    groups do not include the person's; the same person already in progress on the line.
    The referral expires REFERRAL_EXPIRY_DAYS after today unless the business records
    something. The line is locked while its open places are counted, so two staff members
    cannot both take its last place.
    """
    today = today or timezone.localdate()
    _check_person(actor, person)
    _check_line(actor, person, pledge)
    _check_consent(share_consent, share_consent_on, today)
    contact = _clean_contact(contact)
    if event is not None and event.authority_id not in (authority_scope(actor) or set()):
        # Only an event held by the staff's own authorities (or those under them).
        raise ReferralError("event_unknown", field="event")
    try:
        with transaction.atomic():
            Pledge.objects.select_for_update().filter(pk=pledge.pk).first()
            # A referral past its last day holds no place, and must not block this one as
            # "already referred": expire it now rather than wait for the sweeper.
            expire_overdue_referrals(today=today, pledge=pledge)
            if Referral.objects.filter(
                person=person, pledge=pledge, status__in=REFERRAL_IN_PROGRESS
            ).exists():
                raise ReferralError("already_referred", field="pledge")
            if open_places_on(pledge) <= 0:
                raise ReferralError("line_full", _line_params(pledge), field="pledge")
            referral = Referral.objects.create(
                person=person,
                pledge=pledge,
                contact_encrypted=encrypt_name(contact),
                share_consent_on=share_consent_on,
                referred_on=today,
                expires_on=expiry_for(today),
                event=event,
                referred_by=actor,
            )
            _audit(referral, "referral.created", actor, to_state=referral.status)
            # The line's funnel counts changed: the triggers outdate its tally, and the
            # recount makes reading it cheap again.
            recount_after_commit()
    except IntegrityError as exc:
        # The same referral made by another request a moment ago.
        raise ReferralError("already_referred", field="pledge") from exc
    return referral


def _audit(referral: Referral, action: str, actor, *, from_state="", to_state="", **details):
    """One audit event about the person, with ids and states only. The referral's states go
    in the details: the event's own from/to fields tell an MoU's lifecycle, and the MoU's
    trail is not where a person's referral belongs."""
    states = {"from": from_state, "to": to_state} if from_state else {"to": to_state}
    record_event(
        action=action,
        actor=actor,
        person_id=referral.person_id,
        details={
            "referral": referral.pk,
            "pledge": referral.pledge_id,
            "mou": referral.pledge.mou_id,
            **states,
            **details,
        },
    )


def _check_outcome_date(referral: Referral, on: date | None, today: date, field: str) -> None:
    if on is None:
        raise ReferralError("date_missing", field=field)
    if on > today:
        raise ReferralError("date_in_future", {"date": day(on)}, field=field)
    if on < referral.referred_on:
        code = "hire_before_referral" if field == "start_date" else "date_before_referral"
        raise ReferralError(code, _dates(referral, on), field=field)


def _dates(referral: Referral, on: date | None) -> dict:
    return {"date": day(on) if on else "…", "referred_on": day(referral.referred_on)}


def _outcome(referral: Referral, actor, transition: str, action: str, change, *, today: date):
    """Lock the referral, check it is still in progress (and not past its last day) and the
    actor is the business referred to, run the transition, let `change(locked)` set the
    rest, save and audit."""
    if not can_record_referral_outcome(actor, referral):
        raise PermissionDenied
    with transaction.atomic():
        locked = (
            Referral.objects.select_for_update()
            .select_related("pledge__mou", "person")
            .get(pk=referral.pk)
        )
        if locked.has_lapsed(today):
            # Expired by the calendar, the sweeper not having run yet: the place it held is
            # about to open again, so nothing more is recorded on it.
            raise ReferralError("not_in_progress", {"status": ReferralStatus.EXPIRED.label})
        method = getattr(locked, transition)
        if locked.status != referral.status or not can_proceed(method):
            raise ReferralError("not_in_progress", {"status": ReferralStatus(locked.status).label})
        from_state = locked.status
        method()
        details = change(locked) or {}
        locked.outcome_recorded_by = actor
        locked.save()
        _audit(locked, action, actor, from_state=from_state, to_state=locked.status, **details)
        recount_after_commit()
    return locked


def record_interview(
    *, referral: Referral, actor, interviewed_on: date | None, today: date | None = None
) -> Referral:
    """The business met the person on `interviewed_on` (not before the referral, not in the
    future). The referral stays in progress until the outcome."""
    today = today or timezone.localdate()
    if not can_record_referral_outcome(actor, referral):
        raise PermissionDenied
    _check_outcome_date(referral, interviewed_on, today, "interviewed_on")

    def change(locked):
        locked.interviewed_on = interviewed_on

    return _outcome(
        referral, actor, "record_interview", "referral.interviewed", change, today=today
    )


def record_hire(
    *,
    referral: Referral,
    actor,
    start_date: date | None,
    contract_type: str,
    monthly_wage: int | None = None,
    occupation: str = "",
    today: date | None = None,
) -> Referral:
    """The business hired the person: the placement is reported through the placement
    service (awaiting confirmation by staff of the MoU's authority) and linked to the
    referral. A start before the referral is refused, and so is anything the placement
    rules refuse (outside the MoU's term, in the future): then nothing is saved."""
    today = today or timezone.localdate()
    if not can_record_referral_outcome(actor, referral):
        raise PermissionDenied
    _check_outcome_date(referral, start_date, today, "start_date")

    def change(locked):
        placement = placements.report_referred_placement(
            actor=actor,
            person=locked.person,
            placement=placements.PlacementDetails(
                pledge=locked.pledge,
                start_date=start_date,
                contract_type=contract_type,
                occupation=occupation or "",
                monthly_wage=monthly_wage,
            ),
            today=today,
        )
        locked.placement = placement
        locked.outcome_on = start_date
        if locked.interviewed_on is None:
            # Nobody is hired unseen: the hire is the day they met at the latest.
            locked.interviewed_on = start_date
        return {"placement": placement.pk}

    return _outcome(referral, actor, "record_hire", "referral.hired", change, today=today)


def record_not_hired(
    *,
    referral: Referral,
    actor,
    reason: str,
    decided_on: date | None,
    today: date | None = None,
) -> Referral:
    """The business did not hire the person, for a reason from the list (no free text: it
    could carry the person's name or offence)."""
    today = today or timezone.localdate()
    if not can_record_referral_outcome(actor, referral):
        raise PermissionDenied
    if reason not in NotHiredReason.values:
        raise ReferralError("reason_missing", field="reason")
    _check_outcome_date(referral, decided_on, today, "decided_on")

    def change(locked):
        locked.not_hired_reason = reason
        locked.outcome_on = decided_on
        return {"reason": reason}

    return _outcome(referral, actor, "record_not_hired", "referral.not_hired", change, today=today)


def record_no_show(
    *, referral: Referral, actor, on: date | None, today: date | None = None
) -> Referral:
    """The person did not come (only before an interview was recorded)."""
    today = today or timezone.localdate()
    if not can_record_referral_outcome(actor, referral):
        raise PermissionDenied
    _check_outcome_date(referral, on, today, "on")

    def change(locked):
        locked.outcome_on = on

    return _outcome(referral, actor, "record_no_show", "referral.no_show", change, today=today)


def reveal_referred_person(*, referral: Referral, actor) -> ReferredPerson:
    """The name and contact of the person referred, for the business referred to while the
    referral is in progress or ended in a hire, and while the person's consent stands. Every
    call is audited, as staff looking at a name are."""
    if not can_see_referred_identity(actor, referral):
        raise PermissionDenied
    person = referral.person
    record_event(
        action="referral.identity_viewed",
        actor=actor,
        person=person,
        details={"referral": referral.pk, "mou": referral.pledge.mou_id},
    )
    return ReferredPerson(
        full_name=decrypt_name(person.full_name_encrypted),
        contact=decrypt_name(referral.contact_encrypted) if referral.contact_encrypted else "",
    )
