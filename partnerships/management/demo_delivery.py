"""What the demo partners delivered: people placed under the demo MoUs' pledge lines.

seed_demo calls `deliver()` while an MoU is active, before any review or termination, and
everything goes through the services the pages use: the business representative reports,
the authority's staff confirm, reject or record an end; staff of an authority with no
business user on the demo record placements themselves (confirmed at once). The plans give
a commune's scale (tens of people), placements old enough for retention at 3, 6 and 12
months, one report awaiting confirmation, one rejected, people who left, and one partner
in each province (the mechanics branch, the quarry) far behind its pledge so the lag flag
shows.

The people are invented: names from common Vietnamese names, ID numbers in a range no real
card uses ("999" where the province code goes).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model

from partnerships.models import (
    ContractType,
    Gender,
    Mou,
    Placement,
    PlacementStatus,
    PledgeKind,
    TargetGroup,
)
from partnerships.placements import services

FAMILY_NAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ"]
MIDDLE_NAMES = {Gender.MALE: ["Văn", "Hữu", "Minh", "Quốc"], Gender.FEMALE: ["Thị", "Ngọc"]}
GIVEN_NAMES = {
    Gender.MALE: ["An", "Bình", "Cường", "Dũng", "Hải", "Khoa", "Long", "Phúc", "Tâm", "Tuấn"],
    Gender.FEMALE: ["Hoa", "Lan", "Mai", "Ngân", "Thảo", "Trang", "Vy", "Yến"],
}
TARGET_GROUPS = ["completed_prison", "post_rehab"]


@dataclass(frozen=True)
class Plan:
    """Placements for one demo MoU: who reports, who confirms, and the start dates (in
    days before today) of job and training placements."""

    reporter: str
    confirmer: str | None
    job_days_ago: tuple[int, ...]
    training_days_ago: tuple[int, ...] = ()
    # Indexes (into the job placements) left awaiting confirmation, rejected, or ended.
    awaiting: tuple[int, ...] = ()
    rejected: tuple[int, ...] = ()
    left_after_days: dict[int, int] | None = None


# By (authority key, MoU number).
PLANS = {
    # The garment company keeps up with its pledge in Bến Lức; three of its ten jobs are
    # left for the people referred to it (partnerships.management.demo_referrals).
    ("la-benluc", 4): Plan(
        reporter="demo_business",
        confirmer="demo_staff",
        job_days_ago=(390, 380, 350, 300, 260, 90, 40, 12),
        training_days_ago=(320, 320, 240, 60),
        awaiting=(7,),
        rejected=(6,),
        left_after_days={2: 120, 4: 70},
    ),
    # The dissolved district's MoU, now followed by the commune that succeeded it.
    ("la-h-benluc", 5): Plan(
        reporter="demo_business",
        confirmer="demo_staff",
        job_days_ago=(395, 370, 330, 280, 210, 160, 100, 45),
        training_days_ago=(300, 150),
        left_after_days={1: 200},
    ),
    # The mechanics branch has placed one person of the fifteen it pledged in Thạnh Lợi: the
    # lagging partner officials of Long An see flagged.
    ("la-thanhloi", 3): Plan(reporter="demo_staff_thanhloi", confirmer=None, job_days_ago=(250,)),
    # The quarry has placed two people of the fifteen it pledged: the lagging partner.
    ("hn-kimbang", 1): Plan(reporter="demo_staff_hanam", confirmer=None, job_days_ago=(330, 120)),
}


def plan_for(authority_key: str, mou: Mou) -> Plan | None:
    return PLANS.get((authority_key, mou.number))


def deliver(mou: Mou, plan: Plan, *, today: date) -> int:
    """Record the plan's placements for `mou`; returns how many were reported."""
    users = get_user_model().objects
    reporter = users.get(username=plan.reporter)
    confirmer = users.get(username=plan.confirmer) if plan.confirmer else None
    pledges = {pledge.kind: pledge for pledge in mou.pledges.all()}
    groups = {group.code: group for group in TargetGroup.objects.filter(code__in=TARGET_GROUPS)}
    lines = [(PledgeKind.JOB, days) for days in plan.job_days_ago] + [
        (PledgeKind.VOCATIONAL_TRAINING, days) for days in plan.training_days_ago
    ]
    for index, (kind, days_ago) in enumerate(lines):
        is_job = kind == PledgeKind.JOB
        start = today - timedelta(days=days_ago)
        placement = services.report_placement(
            actor=reporter,
            person=_person(mou, index, groups, consent_on=start - timedelta(days=7)),
            placement=services.PlacementDetails(
                pledge=pledges[kind],
                start_date=start,
                contract_type=(
                    ContractType.LABOUR_12_MONTHS_OR_MORE
                    if is_job
                    else ContractType.TRAINING_COURSE
                ),
                monthly_wage=pledges[kind].min_monthly_wage,
            ),
            today=today,
        )
        if confirmer is None:
            continue
        if is_job and index in plan.rejected:
            services.reject_placement(
                placement=placement,
                actor=confirmer,
                reason="Người này đã được báo cáo ở dòng cam kết khác (DEMO).",
            )
        elif not (is_job and index in plan.awaiting):
            services.confirm_placement(placement=placement, actor=confirmer)
        if is_job and index in (plan.left_after_days or {}):
            _record_leaving(placement, confirmer, plan.left_after_days[index], today)
    return len(lines)


def _record_leaving(placement: Placement, actor, after_days: int, today: date) -> None:
    services.end_placement(
        placement=placement,
        actor=actor,
        status=PlacementStatus.LEFT,
        end_date=placement.start_date + timedelta(days=after_days),
        reason="Chuyển về quê làm việc (DEMO).",
        today=today,
    )


def _person(mou: Mou, index: int, groups, *, consent_on: date) -> services.PersonDetails:
    """An invented person, the same for the same MoU and index on every run."""
    seed = mou.pk * 37 + index
    gender = Gender.FEMALE if seed % 3 == 0 else Gender.MALE
    full_name = " ".join(
        [
            FAMILY_NAMES[seed % len(FAMILY_NAMES)],
            MIDDLE_NAMES[gender][seed % len(MIDDLE_NAMES[gender])],
            GIVEN_NAMES[gender][(seed // 3) % len(GIVEN_NAMES[gender])],
        ]
    )
    return services.PersonDetails(
        national_id=f"999{mou.pk:05d}{index:04d}",
        full_name=full_name,
        gender=gender,
        birth_year=1975 + seed % 25,
        target_group=groups[TARGET_GROUPS[seed % len(TARGET_GROUPS)]],
        consent_given_on=consent_on,
    )
