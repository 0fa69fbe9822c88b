"""The demo's dialogue with businesses: a meeting at Bến Lức like the one in Long An that
brought some eighty people re-entering society and several businesses together, where the
garment company signed its MoU.

Recorded through the same service as the event form, by the demo staff of Bến Lức, with
counts by target group and gender (never names), the businesses present and the MoUs
signed there. Looked up by its authority and title first, so a second run adds nothing.
"""

from datetime import date, timedelta

from django.contrib.auth import get_user_model

from partnerships.events import services
from partnerships.models import Authority, Event, EventKind, Gender, Mou, Partner, TargetGroup

TITLE = "Đối thoại giữa chính quyền, doanh nghiệp và người tái hòa nhập cộng đồng (DEMO)"
# 80 people: (target group code, women, men).
ATTENDANCE = [
    ("completed_prison", 4, 24),
    ("amnesty", 1, 5),
    ("conditional_release", 0, 6),
    ("community_sentence", 3, 10),
    ("post_rehab", 3, 17),
    ("drug_user", 1, 6),
]
# The MoUs signed there, by (authority name, number): the commune's active one, and the one
# the district signed before it was dissolved (now followed by the commune).
MOUS_SIGNED = [("UBND xã Bến Lức", 4), ("UBND huyện Bến Lức", 5)]
# Present without signing that day: the mechanics branch of Thạnh Lợi.
OTHERS_PRESENT = ["0399000303-001"]


def seed(*, today: date) -> int:
    """Record the demo dialogue unless it exists; returns how many events were created."""
    holder = Authority.objects.get(name="UBND xã Bến Lức")
    if Event.objects.filter(authority=holder, title=TITLE).exists():
        return 0
    groups = {group.code: group.pk for group in TargetGroup.objects.all()}
    attendance = {}
    for code, women, men in ATTENDANCE:
        attendance[(groups[code], Gender.FEMALE)] = women
        attendance[(groups[code], Gender.MALE)] = men
    mous = [
        Mou.objects.filter(authority__name=name, number=number).order_by("-year").first()
        for name, number in MOUS_SIGNED
    ]
    services.create_event(
        actor=get_user_model().objects.get(username="demo_staff"),
        details=services.EventDetails(
            authority=holder,
            kind=EventKind.DIALOGUE,
            title=TITLE,
            # Before the MoUs' terms began (400 days ago): they were signed there.
            held_on=today - timedelta(days=410),
            place="Hội trường UBND xã Bến Lức",
            organisers="Công an xã Bến Lức; Đoàn Thanh niên xã; Trung tâm Dịch vụ việc làm",
            notes="Dữ liệu minh họa (DEMO).",
            attendance=attendance,
            partners=list(Partner.objects.filter(tax_code__in=OTHERS_PRESENT)),
            mous=[mou for mou in mous if mou is not None],
        ),
        today=today,
    )
    return 1
