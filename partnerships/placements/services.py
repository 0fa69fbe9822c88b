"""Services for people and placements: report, confirm or reject, end, withdraw consent,
and look at a person's identity.

Each service checks the rules and the user's permission (raising `PlacementError` with a
message the user can act on, or PermissionDenied), changes the rows inside a transaction,
and writes one audit event. Audit events carry ids only, never a name or an ID number;
nothing here logs personal data.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from partnerships.authorities.hierarchy import authority_in_charge
from partnerships.authorities.permissions import (
    can_confirm_placements_of,
    can_end_placement,
    can_report_placement,
    can_see_identity,
    can_view_mou,
    can_withdraw_consent,
    has_role,
    may_decide_placement,
    visible_people,
)
from partnerships.core.errors import RegistryError
from partnerships.core.privacy import (
    InvalidNationalId,
    decrypt_name,
    encrypt_name,
    national_id_hash,
    normalise_name,
    normalise_national_id,
)
from partnerships.formats import day
from partnerships.models import (
    Authority,
    AuthorityLevel,
    Confirmation,
    ConsentScope,
    Gender,
    IdentityConflict,
    Mou,
    Person,
    Placement,
    PlacementStatus,
    Pledge,
    Role,
    TargetGroup,
)
from partnerships.mous.lifecycle import record_event
from partnerships.placements.lookups import LookupLimitReached, count_lookups
from partnerships.placements.rules import (
    Problem,
    conflicts_with,
    mou_problems,
    person_problems,
    placement_problems,
)
from partnerships.referrals.endings import end_referrals_for_withdrawn_consent
from partnerships.reports.tallies import recount_after_commit

NAME_MAX_LENGTH = 150


class PlacementError(RegistryError):
    """A placement or person change that cannot be made; says why, in the user's language."""

    def __init__(self, problems: Problem | list[Problem]):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__(", ".join(problem.code for problem in self.problems))

    @property
    def message(self) -> str:
        return " ".join(problem.message for problem in self.problems)


@dataclass(frozen=True)
class PersonDetails:
    """Who was placed, as the reporter gives it (the ID number in clear, for hashing only)."""

    national_id: str
    full_name: str
    gender: str
    birth_year: int | None
    target_group: TargetGroup
    consent_given_on: date
    consent_scope: str = ConsentScope.PLACEMENT


@dataclass(frozen=True)
class PlacementDetails:
    pledge: Pledge
    start_date: date
    contract_type: str
    occupation: str = ""
    monthly_wage: int | None = None


def owner_for(mou: Mou) -> Authority:
    """The authority that manages people placed under an MoU: the MoU's authority, or
    whoever succeeded it if it was dissolved."""
    return authority_in_charge(mou.authority)


def commune_for(authority: Authority) -> Authority | None:
    return authority if authority.level == AuthorityLevel.COMMUNE else None


def report_rule_problems(values: dict, *, today: date) -> list[Problem]:
    """The rules of one report that can be judged from the values given so far (a form
    with other mistakes still gets these, so every error shows at once). `values` holds
    whichever of pledge, start_date, birth_year, consent_given_on, monthly_wage, full_name and
    national_id parsed."""
    problems = []
    pledge = values.get("pledge")
    if pledge is not None and values.get("start_date") is not None:
        problems += placement_problems(
            mou=pledge.mou,
            pledge=pledge,
            line=pledge.line,
            kind=pledge.kind,
            start_date=values["start_date"],
            today=today,
        )
    if values.get("consent_given_on") is not None:
        problems += person_problems(
            birth_year=values.get("birth_year"),
            consent_given_on=values["consent_given_on"],
            today=today,
        )
    if values.get("monthly_wage") is not None and values["monthly_wage"] < 0:
        problems.append(Problem("wage_negative", column="monthly_wage"))
    if "full_name" in values and not normalise_name(values["full_name"]):
        problems.append(Problem("value_missing", column="full_name"))
    if values.get("national_id") is not None:
        try:
            normalise_national_id(values["national_id"])
        except InvalidNationalId:
            problems.append(Problem("national_id_invalid", column="national_id"))
    return problems


def _check_report(actor, person: PersonDetails, details: PlacementDetails, today: date):
    """Permission and every rule of one report; returns the ID hash. Raises on a problem."""
    mou = details.pledge.mou
    if not can_report_placement(actor, mou):
        if can_view_mou(actor, mou) and mou_problems(mou):
            raise PlacementError(mou_problems(mou))
        if has_role(actor, Role.BUSINESS_REPRESENTATIVE):
            raise PlacementError(Problem("pledge_of_other_partner"))
        raise PermissionDenied
    problems = mou_problems(mou) + report_rule_problems(
        {
            "pledge": details.pledge,
            "start_date": details.start_date,
            "birth_year": person.birth_year,
            "consent_given_on": person.consent_given_on,
            "monthly_wage": details.monthly_wage,
            "full_name": person.full_name,
            "national_id": person.national_id,
        },
        today=today,
    )
    if problems:
        raise PlacementError(problems)
    return national_id_hash(person.national_id)


def report_placement(
    *, actor, person: PersonDetails, placement: PlacementDetails, today: date | None = None
) -> Placement:
    """Record that a person started under a pledge line of a signed or active MoU.

    A business representative reports for their own partner's MoUs; staff who manage the
    MoU record too, and what they record is confirmed at once (they are the ones who would
    confirm it). The person is found by the keyed hash of their ID number, or registered
    under the MoU's authority. Either the person and the placement are both saved, or
    nothing is.

    Details contradicting a registered person are refused only to staff who may see that
    person. Anyone else gets the answer a new number gets (the placement is recorded and
    awaits confirmation), so that nobody learns through this form whether a number is in
    the registry or under which name: the placement is held with an `IdentityConflict` for
    the person's managing authority to settle. Each report counts against the reporter's
    budget of ID numbers checked (partnerships.placements.lookups).
    """
    today = today or timezone.localdate()
    id_hash = _check_report(actor, person, placement, today)
    try:
        count_lookups(actor=actor, count=1, via="form", mou=placement.pledge.mou_id)
    except LookupLimitReached as exc:
        raise PlacementError(Problem("lookup_limit")) from exc
    pledge = placement.pledge
    try:
        with transaction.atomic():
            existing = Person.objects.select_for_update().filter(id_hash=id_hash).first()
            conflict = existing is not None and conflicts_with(
                existing, name=person.full_name, gender=person.gender, birth_year=person.birth_year
            )
            if conflict and can_see_identity(actor, existing):
                raise PlacementError(Problem("person_conflict", column="national_id"))
            # Only a placement on this same pledge line and day: the reporter's own records.
            if existing is not None and _already_recorded(existing, pledge, placement.start_date):
                raise PlacementError(Problem("already_recorded"))
            person_row = existing or _register_person(actor, person, id_hash, pledge.mou)
            row = Placement(
                person=person_row,
                pledge=pledge,
                kind=pledge.kind,
                start_date=placement.start_date,
                occupation=placement.occupation.strip() or pledge.occupation,
                monthly_wage=placement.monthly_wage,
                contract_type=placement.contract_type,
                reported_by=actor,
                **({} if conflict else confirmed_on_entry(actor, pledge.mou)),
            )
            row.save()
            if conflict:
                hold_for_identity_check(
                    row, name=person.full_name, gender=person.gender, birth_year=person.birth_year
                )
            recount_after_commit()
            record_event(
                action="placement.reported",
                actor=actor,
                person=person_row,
                details={
                    "placement": row.pk,
                    "mou": pledge.mou_id,
                    "confirmation": row.confirmation,
                },
            )
    except IntegrityError as exc:
        # Another request registered the same person or placement a moment ago.
        raise PlacementError(Problem("already_recorded")) from exc
    return row


def report_referred_placement(
    *, actor, person: Person, placement: PlacementDetails, today: date
) -> Placement:
    """The business hires a person referred to it: the placement of a registered person,
    reported for staff of the MoU's authority to confirm. The referral service calls this
    inside its own transaction, having checked that `actor` is the business referred to.
    No ID number is involved: the person is the one the referral names."""
    pledge = placement.pledge
    mou = pledge.mou
    if not can_report_placement(actor, mou):
        if mou_problems(mou):
            raise PlacementError(mou_problems(mou))
        raise PermissionDenied
    problems = placement_problems(
        mou=mou,
        pledge=pledge,
        line=pledge.line,
        kind=pledge.kind,
        start_date=placement.start_date,
        today=today,
    )
    if placement.monthly_wage is not None and placement.monthly_wage < 0:
        problems.append(Problem("wage_negative", column="monthly_wage"))
    if problems:
        raise PlacementError(problems)
    if _already_recorded(person, pledge, placement.start_date):
        raise PlacementError(Problem("already_recorded"))
    row = Placement.objects.create(
        person=person,
        pledge=pledge,
        kind=pledge.kind,
        start_date=placement.start_date,
        occupation=placement.occupation.strip() or pledge.occupation,
        monthly_wage=placement.monthly_wage,
        contract_type=placement.contract_type,
        reported_by=actor,
    )
    recount_after_commit()
    record_event(
        action="placement.reported",
        actor=actor,
        person=person,
        details={"placement": row.pk, "mou": mou.pk, "confirmation": row.confirmation},
    )
    return row


def hold_for_identity_check(
    placement: Placement, *, name: str, gender: str, birth_year: int | None
) -> IdentityConflict:
    """Keep what was reported about the person, for their managing authority to compare.
    Audited without the details; the placement cannot be confirmed until it is settled."""
    conflict = IdentityConflict.objects.create(
        placement=placement,
        reported_name_encrypted=encrypt_name(name),
        reported_gender=gender,
        reported_birth_year=birth_year,
    )
    record_event(
        action="person.identity_conflict",
        actor=placement.reported_by,
        person_id=placement.person_id,
        details={"placement": placement.pk},
    )
    return conflict


def confirmed_on_entry(actor, mou: Mou) -> dict:
    """Fields of a placement entered by someone who may confirm it: confirmed already."""
    if not can_confirm_placements_of(actor, mou):
        return {}
    return {
        "confirmation": Confirmation.CONFIRMED,
        "decided_by": actor,
        "decided_at": timezone.now(),
    }


def _already_recorded(person: Person, pledge: Pledge, start_date: date) -> bool:
    return (
        Placement.objects.filter(person=person, pledge=pledge, start_date=start_date)
        .exclude(confirmation=Confirmation.REJECTED)
        .exists()
    )


def _register_person(actor, details: PersonDetails, id_hash: str, mou: Mou) -> Person:
    owner = owner_for(mou)
    return Person.objects.create(
        id_hash=id_hash,
        full_name_encrypted=encrypt_name(details.full_name),
        target_group=details.target_group,
        gender=details.gender,
        birth_year=details.birth_year,
        birth_decade=Person.decade_of(details.birth_year),
        commune=commune_for(owner),
        owning_authority=owner,
        consent_given_on=details.consent_given_on,
        consent_scope=details.consent_scope,
        created_by=actor,
    )


def _decide(placement: Placement, actor, transition: str, action: str, reason: str = ""):
    """Confirm or reject: lock the row, check it is still awaiting a decision, record who."""
    with transaction.atomic():
        locked = (
            Placement.objects.select_for_update().select_related("pledge__mou").get(pk=placement.pk)
        )
        method = getattr(locked, transition)
        if locked.confirmation != placement.confirmation or not can_proceed(method):
            raise PlacementError(Problem("changed_meanwhile"))
        if not may_decide_placement(actor, locked, transition):
            raise PermissionDenied(_("You may not confirm or reject this placement."))
        method()
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.rejection_reason = reason
        locked.save(update_fields=["confirmation", "decided_by", "decided_at", "rejection_reason"])
        recount_after_commit()
        record_event(
            action=action,
            actor=actor,
            note=reason,
            person_id=locked.person_id,
            details={"placement": locked.pk, "mou": locked.pledge.mou_id},
        )
    return locked


def confirm_placement(*, placement: Placement, actor) -> Placement:
    """Staff of the MoU's authority confirm a reported placement: from now on it counts as
    delivered. Not while the person's managing authority has an identity conflict to settle."""
    if IdentityConflict.objects.filter(placement_id=placement.pk).exists():
        raise PlacementError(Problem("identity_check_pending"))
    return _decide(placement, actor, "confirm", "placement.confirmed")


def reject_placement(*, placement: Placement, actor, reason: str) -> Placement:
    """Staff of the MoU's authority reject a report (with a reason the business sees); it
    never counts, and a corrected report may be made."""
    reason = (reason or "").strip()
    if not reason:
        raise PlacementError(Problem("reason_missing", column="reason"))
    return _decide(placement, actor, "reject", "placement.rejected", reason)


def end_placement(
    *, placement: Placement, actor, status: str, end_date: date, reason: str = "", today=None
) -> Placement:
    """Record that a placement ended (completed, left or dismissed) on a date: retention
    is computed from it. An ended or rejected placement cannot be ended again."""
    today = today or timezone.localdate()
    if not can_end_placement(actor, placement):
        raise PermissionDenied
    problems = []
    if placement.is_ended or placement.confirmation == Confirmation.REJECTED:
        problems.append(Problem("not_ongoing"))
    if status not in PlacementStatus.values or status == PlacementStatus.ACTIVE:
        problems.append(Problem("value_missing", column="status"))
    if end_date < placement.start_date:
        problems.append(Problem("end_before_start", column="end_date"))
    elif end_date > today:
        problems.append(Problem("date_in_future", {"date": day(end_date)}))
    if problems:
        raise PlacementError(problems)
    with transaction.atomic():
        updated = Placement.objects.filter(pk=placement.pk, status=PlacementStatus.ACTIVE).update(
            status=status, end_date=end_date, end_reason=(reason or "").strip()
        )
        if not updated:
            raise PlacementError(Problem("changed_meanwhile"))
        recount_after_commit()
        record_event(
            action="placement.ended",
            actor=actor,
            person_id=placement.person_id,
            details={"placement": placement.pk, "status": status},
        )
    placement.refresh_from_db()
    return placement


def reveal_identity(*, person: Person, actor) -> str:
    """The person's full name, for staff of the owning authority; every call is audited.

    This is the only way the application decrypts a name for display.
    """
    if not can_see_identity(actor, person):
        raise PermissionDenied
    record_event(action="person.identity_viewed", actor=actor, person=person)
    return decrypt_name(person.full_name_encrypted)


@dataclass(frozen=True)
class ConflictingDetails:
    """What is registered and what was reported, side by side, for the managing staff."""

    registered_name: str
    registered_gender: str
    registered_birth_year: int | None
    reported_name: str
    reported_gender: str
    reported_birth_year: int | None

    @property
    def registered_gender_label(self) -> str:
        return Gender(self.registered_gender).label

    @property
    def reported_gender_label(self) -> str:
        return Gender(self.reported_gender).label


def reveal_identity_conflict(*, placement: Placement, actor) -> ConflictingDetails | None:
    """The open identity conflict of a placement, for staff of the person's managing
    authority (None for anyone else, or when there is none). Audited as a look at the
    person's identity."""
    person = placement.person
    if not can_see_identity(actor, person):
        return None
    conflict = IdentityConflict.objects.filter(placement_id=placement.pk).first()
    if conflict is None:
        return None
    return ConflictingDetails(
        registered_name=reveal_identity(person=person, actor=actor),
        registered_gender=person.gender,
        registered_birth_year=person.birth_year,
        reported_name=decrypt_name(conflict.reported_name_encrypted),
        reported_gender=conflict.reported_gender,
        reported_birth_year=conflict.reported_birth_year,
    )


def settle_identity_conflict(
    *, placement: Placement, actor, same_person: bool, reason: str = ""
) -> Placement:
    """Staff of the person's managing authority decide a report whose details differed
    from the registered person's: the same person (the registered details stand, and the
    placement awaits confirmation as any other), or not (the report is rejected, with a
    reason the business reads). Either way the reported details are erased."""
    if not can_see_identity(actor, placement.person):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not same_person and not reason:
        raise PlacementError(Problem("reason_missing", column="reason"))
    with transaction.atomic():
        locked = Placement.objects.select_for_update().get(pk=placement.pk)
        conflict = IdentityConflict.objects.select_for_update().filter(placement=locked).first()
        if conflict is None:
            raise PlacementError(Problem("changed_meanwhile"))
        if not same_person:
            if not can_proceed(locked.reject):
                raise PlacementError(Problem("changed_meanwhile"))
            locked.reject()
            locked.decided_by = actor
            locked.decided_at = timezone.now()
            locked.rejection_reason = reason
            locked.save(
                update_fields=["confirmation", "decided_by", "decided_at", "rejection_reason"]
            )
            recount_after_commit()
        conflict.delete()
        record_event(
            action="person.identity_conflict_settled",
            actor=actor,
            note=reason,
            person_id=locked.person_id,
            details={"placement": locked.pk, "same_person": same_person},
        )
    return locked


def find_person(*, national_id: str, actor) -> Person | None:
    """The person with this ID number among those the user manages (None if none).

    The lookup is audited (which person was found, never the number searched).
    """
    try:
        id_hash = national_id_hash(national_id)
    except InvalidNationalId as exc:
        raise PlacementError(Problem("national_id_invalid", column="national_id")) from exc
    person = visible_people(actor).filter(id_hash=id_hash).first()
    record_event(action="person.looked_up", actor=actor, person=person)
    return person


def withdraw_consent(*, person: Person, actor, withdrawn_on: date | None = None) -> Person:
    """The person withdrew consent: erase what identifies them, keep anonymous counts.

    Kept: target group, gender, birth decade, owning authority, consent dates, and their
    placements (dates, job, status), which still count in totals. Erased: the ID hash (the
    same person reported again is a new, anonymous-until-consent record), the encrypted
    name, birth year and commune, and free-text reasons on their placements.
    """
    withdrawn_on = withdrawn_on or timezone.localdate()
    if person.is_anonymised:
        raise PlacementError(Problem("already_withdrawn"))
    if not can_withdraw_consent(actor, person):
        raise PermissionDenied
    with transaction.atomic():
        updated = Person.objects.filter(pk=person.pk, consent_withdrawn_on__isnull=True).update(
            id_hash=None,
            full_name_encrypted="",
            birth_year=None,
            commune=None,
            consent_withdrawn_on=withdrawn_on,
        )
        if not updated:
            raise PlacementError(Problem("already_withdrawn"))
        Placement.objects.filter(person=person).update(end_reason="")
        # What others reported about them is identifying too.
        IdentityConflict.objects.filter(placement__person=person).delete()
        # No business is waiting for them any more, and none sees their name.
        end_referrals_for_withdrawn_consent(person=person, actor=actor, on=withdrawn_on)
        recount_after_commit()
        record_event(action="person.consent_withdrawn", actor=actor, person=person)
    person.refresh_from_db()
    return person
