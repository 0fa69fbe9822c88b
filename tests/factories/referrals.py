"""Referrals for the tests: people managed by an authority, written directly, and referrals
made through the service."""

from itertools import count

from django.utils import timezone

from partnerships.core.privacy import encrypt_name, national_id_hash
from partnerships.models import ConsentScope, Gender, Person, TargetGroup
from partnerships.referrals import services as referrals

PERSON_NAME = "Phạm Văn Được Giới Thiệu"
CONTACT = "0912 345 678"
_national_ids = count(79_200_000_001)


def a_person(owner, *, group: str = "completed_prison", name: str = PERSON_NAME) -> Person:
    """A person managed by `owner`, who consented to placement follow-up a year ago."""
    today = timezone.localdate()
    return Person.objects.create(
        id_hash=national_id_hash(f"{next(_national_ids):012d}"),
        full_name_encrypted=encrypt_name(name),
        target_group=TargetGroup.objects.get(code=group),
        gender=Gender.MALE,
        birth_year=1990,
        birth_decade=1990,
        owning_authority=owner,
        consent_given_on=today.replace(year=today.year - 1, day=1),
        consent_scope=ConsentScope.PLACEMENT,
    )


def refer(w, person=None, *, actor=None, pledge=None, **overrides):
    """Refer (by Bến Lức's staff unless told otherwise) a person to the garment job line."""
    values = {
        "actor": actor or w.staff,
        "person": person or a_person(w.ben_luc),
        "pledge": pledge or w.job_pledge,
        "contact": CONTACT,
        "share_consent": True,
        "share_consent_on": overrides.get("today") or timezone.localdate(),
    } | overrides
    return referrals.refer_person(**values)
