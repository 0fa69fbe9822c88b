"""Referrals in the demo: Bến Lức's staff refer people of the finished 2024–2025 programme
(the dissolved district's reviewed MoU, whose people the commune now manages) to the job
line of the garment company's active MoU, and the company records what happened.

Everything goes through the services the pages use (refer, interview, hire, not hired,
did not come, expiry, consent withdrawal), with the dates a few weeks back, so the demo has
a referral in every outcome: in progress (referred, interviewed), hired (the placement
confirmed by staff), not hired for two reasons, did not come, expired, and ended because the
person withdrew consent. Runs once: nothing is added when the MoU already has referrals.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model

from partnerships.models import (
    ContractType,
    Mou,
    NotHiredReason,
    Person,
    Referral,
)
from partnerships.placements import services as placements
from partnerships.referrals import services as referrals
from partnerships.referrals.endings import expire_overdue_referrals


@dataclass(frozen=True)
class Step:
    """One referral: made `referred_days_ago`, then what the business recorded (days ago)."""

    outcome: str
    referred_days_ago: int
    interviewed_days_ago: int | None = None
    outcome_days_ago: int | None = None
    reason: str = ""


# In the order they are made: each takes a place while in progress, so those that end
# come first and leave room for the next (the line has three places open).
STEPS = [
    Step("expired", referred_days_ago=60),
    Step("no_show", referred_days_ago=50, outcome_days_ago=45),
    Step("not_hired", 45, 40, 38, reason=NotHiredReason.SKILLS),
    Step("not_hired", 30, 28, 27, reason=NotHiredReason.DECLINED_OFFER),
    Step("hired", referred_days_ago=40, interviewed_days_ago=35, outcome_days_ago=30),
    Step("ended", referred_days_ago=10),
    Step("interviewed", referred_days_ago=8, interviewed_days_ago=3),
    Step("referred", referred_days_ago=2),
]


def refer_demo_people(*, mou: Mou, programme: Mou, today: date) -> tuple[int, int]:
    """Make the demo's referrals to `mou`'s job line, of people placed under `programme`.
    Returns (referrals made, placements reported through a hire)."""
    if Referral.objects.filter(pledge__mou=mou).exists():
        return 0, 0
    users = get_user_model().objects
    staff, business = users.get(username="demo_staff"), users.get(username="demo_business")
    line = mou.pledges.get(line=1)
    people = list(
        Person.objects.filter(placements__pledge__mou=programme, consent_withdrawn_on__isnull=True)
        .distinct()
        .order_by("pk")[: len(STEPS)]
    )
    hired = 0
    for index, (step, person) in enumerate(zip(STEPS, people, strict=False)):
        referred_on = today - timedelta(days=step.referred_days_ago)
        referral = referrals.refer_person(
            actor=staff,
            person=person,
            pledge=line,
            contact=f"0900 000 {100 + index} (DEMO)",
            share_consent=True,
            share_consent_on=referred_on,
            today=referred_on,
        )
        hired += _record(step, referral, staff=staff, business=business, today=today)
        if step.outcome == "expired":
            # Its time ran out before the later referrals were made.
            expire_overdue_referrals(today=today)
    return len(people), hired


def _record(step: Step, referral: Referral, *, staff, business, today: date) -> int:
    def ago(days):
        return today - timedelta(days=days)

    # Each step is recorded on its own day, as the business would have (a referral past its
    # last day takes no outcome).
    if step.interviewed_days_ago is not None:
        referral = referrals.record_interview(
            referral=referral,
            actor=business,
            interviewed_on=ago(step.interviewed_days_ago),
            today=ago(step.interviewed_days_ago),
        )
    if step.outcome == "no_show":
        referrals.record_no_show(
            referral=referral,
            actor=business,
            on=ago(step.outcome_days_ago),
            today=ago(step.outcome_days_ago),
        )
    elif step.outcome == "not_hired":
        referrals.record_not_hired(
            referral=referral,
            actor=business,
            reason=step.reason,
            decided_on=ago(step.outcome_days_ago),
            today=ago(step.outcome_days_ago),
        )
    elif step.outcome == "hired":
        referral = referrals.record_hire(
            referral=referral,
            actor=business,
            start_date=ago(step.outcome_days_ago),
            contract_type=ContractType.LABOUR_12_MONTHS_OR_MORE,
            monthly_wage=referral.pledge.min_monthly_wage,
            today=ago(step.outcome_days_ago),
        )
        placements.confirm_placement(placement=referral.placement, actor=staff)
        return 1
    elif step.outcome == "ended":
        placements.withdraw_consent(person=referral.person, actor=staff, withdrawn_on=today)
    return 0
