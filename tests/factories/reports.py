"""Report data for the tests: people and placements written directly with any start, length
and confirmation (the report arithmetic is under test, not the reporting service)."""

from datetime import timedelta
from itertools import count

from partnerships.core.privacy import encrypt_name, national_id_hash
from partnerships.models import (
    Confirmation,
    ConsentScope,
    ContractType,
    Gender,
    MouState,
    Person,
    Placement,
    PlacementStatus,
    Pledge,
    PledgeKind,
    TargetGroup,
)
from tests.factories.world import bring_to, make_mou

PERSON_NAME = "Trần Thị Bí Mật"
_national_ids = count(79_100_000_001)

# (number, authority) of report_world's MoUs, as the per-MoU export lists them.
BL10, BL20, KB10 = (
    ("10/BGN-UBND", "UBND xã Bến Lức"),
    ("20/BGN-UBND", "UBND huyện Bến Lức"),
    ("10/BGN-UBND", "UBND phường Kim Bảng"),
)


def place(
    pledge,
    *,
    started_days_ago: int,
    lasted_days: int | None = None,
    confirmation: str = Confirmation.CONFIRMED,
    gender: str = Gender.MALE,
    group: str = "completed_prison",
    contract: str | None = None,
    owner=None,
) -> Placement:
    """A person and their placement, written directly (the report arithmetic is under test,
    not the reporting service)."""
    from django.utils import timezone

    today = timezone.localdate()
    start = today - timedelta(days=started_days_ago)
    end = start + timedelta(days=lasted_days) if lasted_days is not None else None
    person = Person.objects.create(
        id_hash=national_id_hash(f"{next(_national_ids):012d}"),
        full_name_encrypted=encrypt_name(PERSON_NAME),
        target_group=TargetGroup.objects.get(code=group),
        gender=gender,
        birth_year=1990,
        birth_decade=1990,
        owning_authority=owner or pledge.mou.authority,
        consent_given_on=start,
        consent_scope=ConsentScope.PLACEMENT,
    )
    is_job = pledge.kind == PledgeKind.JOB
    return Placement.objects.create(
        person=person,
        pledge=pledge,
        kind=pledge.kind,
        start_date=start,
        occupation=pledge.occupation,
        monthly_wage=6_000_000 if is_job else None,
        contract_type=contract
        or (ContractType.LABOUR_12_MONTHS_OR_MORE if is_job else ContractType.TRAINING_COURSE),
        status=PlacementStatus.LEFT if end else PlacementStatus.ACTIVE,
        end_date=end,
        confirmation=confirmation,
    )


def elapsed_share(mou, today) -> float:
    return (today - mou.term_start).days / (mou.term_end - mou.term_start).days


def add_active_mous(w, how_many: int, *, placements_each: int = 1) -> None:
    """More active MoUs at Bến Lức, each with one line and some placements (for counting
    queries as rows grow)."""
    first = 100 + Pledge.objects.count()
    for index in range(how_many):
        mou = make_mou(
            w.ben_luc,
            w.garment,
            number=first + index,
            term_start=w.active_mou.term_start,
            term_end=w.active_mou.term_end,
        )
        bring_to(mou, MouState.ACTIVE)
        line = mou.pledges.get()
        for days in range(placements_each):
            place(line, started_days_ago=10 + days)
