"""Referrals that end without the business deciding: the person withdrew consent, or
nothing was recorded in time. Both are conditional updates (only referrals still in
progress change), so running them twice, or at the same time, changes nothing more.

Kept apart from the referral services because withdrawing consent (in
partnerships.placements.services) ends referrals, while hiring through a referral reports a
placement: each side imports this module, not the other.
"""

from datetime import date

from django.db import transaction
from django.db.models import F

from partnerships.models import REFERRAL_IN_PROGRESS, AuditEvent, Person, Referral, ReferralStatus
from partnerships.reports.tallies import recount_after_commit


def end_referrals_for_withdrawn_consent(*, person: Person, actor, on: date) -> int:
    """End every referral in progress of a person who withdrew consent, and erase the
    contact they gave on every referral. Audited per referral; returns how many ended.
    Runs inside the caller's transaction (the withdrawal's)."""
    with transaction.atomic():
        ended = _settle(
            Referral.objects.filter(person=person),
            status=ReferralStatus.ENDED,
            on=on,
            action="referral.ended",
            actor=actor,
        )
        Referral.objects.filter(person=person).exclude(contact_encrypted="").update(
            contact_encrypted=""
        )
    return ended


def expire_overdue_referrals(*, today: date, pledge=None) -> int:
    """Referrals in progress whose `expires_on` has passed expire (the business recorded
    nothing in time, so the held place opens again), of one pledge line or all. Returns
    how many expired."""
    overdue = Referral.objects.filter(expires_on__lt=today)
    if pledge is not None:
        overdue = overdue.filter(pledge=pledge)
    with transaction.atomic():
        return _settle(
            overdue,
            status=ReferralStatus.EXPIRED,
            # The day it lapsed, however late the command runs.
            on=F("expires_on"),
            action="referral.expired",
            actor=None,
        )


def _settle(referrals, *, status: str, on, action: str, actor) -> int:
    """Move the referrals of `referrals` still in progress to `status`: lock them (others
    running the same step skip those rows), update only those still in progress, and write
    one audit event for each one changed."""
    in_progress = referrals.filter(status__in=REFERRAL_IN_PROGRESS)
    rows = list(
        in_progress.select_for_update(skip_locked=True)
        .order_by("pk")
        .values_list("pk", "person_id", "pledge__mou_id", "status")
    )
    if not rows:
        return 0
    changed = in_progress.filter(pk__in=[pk for pk, *_rest in rows]).update(
        status=status, outcome_on=on
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action=action,
            actor=actor,
            person_id=person_id,
            details={"referral": pk, "mou": mou_id, "from": from_state, "to": status},
        )
        for pk, person_id, mou_id, from_state in rows
    )
    recount_after_commit()  # the lines' funnel counts changed
    return changed
