"""Referrals written directly with any outcome and dates (the funnel's arithmetic is under
test, not the referral services)."""

from datetime import timedelta
from itertools import count

from django.utils import timezone

from partnerships.core.privacy import encrypt_name, national_id_hash
from partnerships.models import ConsentScope, Gender, Person, Referral, ReferralStatus, TargetGroup
from tests.factories.reports import PERSON_NAME

_national_ids = count(79_200_000_001)


def person(
    authority, *, gender: str = Gender.MALE, group: str = "completed_prison", days_ago: int = 60
) -> Person:
    """A person managed by `authority`, with consent, and no placement."""
    return Person.objects.create(
        id_hash=national_id_hash(f"{next(_national_ids):012d}"),
        full_name_encrypted=encrypt_name(PERSON_NAME),
        target_group=TargetGroup.objects.get(code=group),
        gender=gender,
        birth_year=1990,
        birth_decade=1990,
        owning_authority=authority,
        consent_given_on=timezone.localdate() - timedelta(days=days_ago),
        consent_scope=ConsentScope.PLACEMENT,
    )


def refer(
    pledge,
    who: Person,
    *,
    status: str = ReferralStatus.REFERRED,
    days_ago: int = 30,
    interviewed: bool = False,
    reason: str = "",
    placement=None,
) -> Referral:
    """A referral of `who` to `pledge` that reached `status` (interviewed on the way if
    `interviewed`)."""
    today = timezone.localdate()
    referred_on = today - timedelta(days=days_ago)
    final = status not in (ReferralStatus.REFERRED, ReferralStatus.INTERVIEWED)
    return Referral.objects.create(
        person=who,
        pledge=pledge,
        share_consent_on=referred_on,
        referred_on=referred_on,
        expires_on=referred_on + timedelta(days=30),
        status=status,
        interviewed_on=referred_on + timedelta(days=3)
        if interviewed or status == ReferralStatus.INTERVIEWED
        else None,
        outcome_on=referred_on + timedelta(days=10) if final else None,
        not_hired_reason=reason,
        placement=placement,
    )
