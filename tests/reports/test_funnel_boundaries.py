"""Retention at 6 and 12 months on the day it becomes due and the day before, cohorts on
either side of a quarter's end, and the triggers that outdate a line's tally when its
referrals change: the same figures from the tallies and counted live."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from partnerships.models import DeliveryTally, Gender, MouState, Referral, ReferralStatus
from partnerships.placements.delivery import latest_start_for
from partnerships.reports import funnel, queries
from partnerships.reports import tallies as tally
from tests.factories import bring_to, make_mou
from tests.factories.funnel_referrals import person, refer
from tests.factories.reports import place


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def fresh_line(report_world):
    mou = bring_to(
        make_mou(
            report_world.ben_luc,
            report_world.garment,
            number=30,
            term_start=report_world.active_mou.term_start,
            term_end=report_world.active_mou.term_end,
        ),
        MouState.ACTIVE,
    )
    return mou.pledges.get()


def started(day: date, today: date, *, lasted: date | None = None, line) -> None:
    place(
        line,
        started_days_ago=(today - day).days,
        lasted_days=None if lasted is None else (lasted - day).days,
    )


@pytest.mark.parametrize("recounted", [True, False])
def test_retention_is_due_on_the_day_the_months_complete(
    report_world, fresh_line, today, recounted
):
    twelve, six = latest_start_for(12, today), latest_start_for(6, today)
    started(twelve, today, lasted=today, line=fresh_line)  # 12 whole months: kept
    started(twelve, today, lasted=twelve + timedelta(days=360), line=fresh_line)  # 11 months
    started(twelve + timedelta(days=1), today, line=fresh_line)  # 12 months due tomorrow
    started(six, today, line=fresh_line)  # 6 months today
    started(six + timedelta(days=1), today, line=fresh_line)  # 6 months due tomorrow
    tally.refresh(as_of=today)
    if not recounted:
        DeliveryTally.objects.update(as_of=tally.OUTDATED)
    pledges = queries.report_pledges(user=report_world.admin).filter(pk=fresh_line.pk)
    [row] = funnel.line_rows(pledges, as_of=today)
    assert (row.eligible_12, row.retained_12) == (2, 1)
    assert (row.eligible_6, row.retained_6) == (4, 4)
    assert row.delivered == 5


@pytest.mark.parametrize("recounted", [True, False])
def test_cohorts_split_at_the_quarters_end(report_world, fresh_line, today, recounted):
    march, april = date(2024, 3, 31), date(2024, 4, 1)
    started(march, today, lasted=march + timedelta(days=100), line=fresh_line)
    started(april, today, line=fresh_line)
    tally.refresh(as_of=today)
    if not recounted:
        DeliveryTally.objects.update(as_of=tally.OUTDATED)
    rows = {
        row.key: row
        for row in funnel.cohort_rows(queries.report_pledges(user=report_world.admin), as_of=today)
    }
    q1, q2 = rows["2024-Q1"], rows["2024-Q2"]
    # 31 March, left after 100 days: 3 months kept, 6 and 12 not.
    assert (q1.delivered, q1.retained_3, q1.retained_6, q1.retained_12) == (1, 1, 0, 0)
    assert (q1.eligible_3, q1.eligible_6, q1.eligible_12) == (1, 1, 1)
    assert (q2.delivered, q2.retained_3, q2.retained_6, q2.retained_12) == (1, 1, 1, 1)
    assert q1.retention_3 == 1.0 and q1.retention_6 == 0.0
    # Newest first.
    keys = list(rows)
    assert keys.index("2024-Q2") < keys.index("2024-Q1")


def is_current(line) -> bool:
    return DeliveryTally.objects.filter(pledge=line, as_of=timezone.localdate()).exists()


def test_a_referral_made_changed_or_deleted_outdates_its_lines_tally(report_world, today):
    w = report_world
    tally.refresh(as_of=today)
    referral = refer(w.line1, person(w.ben_luc))
    assert not is_current(w.line1) and is_current(w.line2)
    tally.refresh(as_of=today)
    Referral.objects.filter(pk=referral.pk).update(status=ReferralStatus.EXPIRED)
    assert not is_current(w.line1)
    tally.refresh(as_of=today)
    Referral.objects.filter(pk=referral.pk).delete()
    assert not is_current(w.line1)
    tally.refresh(as_of=today)
    assert DeliveryTally.objects.get(pledge=w.line1).referred == 0


def test_a_referred_persons_gender_corrected_outdates_the_line(report_world, today):
    w = report_world
    someone = person(w.ben_luc, gender=Gender.MALE)
    refer(w.line2, someone)
    tally.refresh(as_of=today)
    assert is_current(w.line2)
    type(someone).objects.filter(pk=someone.pk).update(gender=Gender.FEMALE)
    assert not is_current(w.line2)
    tally.refresh(as_of=today)
    rows = {
        row.key: row for row in funnel.group_rows(queries.report_pledges(user=w.admin), as_of=today)
    }
    assert rows["completed_prison-female"].referred == 1
