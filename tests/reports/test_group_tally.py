"""The report by target group and gender reads per-line tallies split by group and gender
(GroupTally), kept with the delivery tallies: its figures are those counted from the
placements and their people, whether the tallies are current, outdated by a change, or of
yesterday, and its queries do not grow with the registry."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerships.models import (
    DeliveryTally,
    Gender,
    GroupTally,
    PeriodTally,
    Person,
    Placement,
    PlacementStatus,
    TargetGroup,
)
from partnerships.placements.delivery import (
    confirmed_filter,
    eligible_filter,
    latest_start_for,
    retained_filter,
)
from partnerships.reports import queries
from partnerships.reports import tallies as tally
from tests.factories.reports import place


def counted_from_placements(pledges, *, as_of) -> dict:
    """The figures straight from the placements and their people (what the report read
    before the tallies), keyed by (target group code, gender)."""
    rows = (
        Placement.objects.filter(pledge__in=pledges.values("pk"))
        .values("person__target_group__code", "person__gender")
        .annotate(
            delivered=Count("pk", filter=confirmed_filter()),
            eligible_6=Count("pk", filter=eligible_filter(6, as_of=as_of)),
            retained_6=Count("pk", filter=retained_filter(6, as_of=as_of)),
        )
    )
    counted = {}
    for row in rows:
        figures = (row["delivered"], row["eligible_6"], row["retained_6"])
        if any(figures):
            counted[row["person__target_group__code"], row["person__gender"]] = figures
    return counted


def reported(pledges, *, as_of) -> dict:
    codes = dict(TargetGroup.objects.values_list("pk", "code"))
    return {
        (codes[group], gender): (counts["delivered"], counts["eligible_6"], counts["retained_6"])
        for (group, gender), counts in queries.group_gender_counts(pledges, as_of=as_of).items()
        if any(counts.values())
    }


def group_row(pledges, code, *, as_of):
    [row] = [row for row in queries.group_rows(pledges, as_of=as_of) if row.key == code]
    return row


def test_the_tallies_hold_the_hand_counted_figures(report_world):
    today = timezone.localdate()
    tally.ensure_fresh(as_of=today)
    pledges = queries.report_pledges(user=report_world.admin)

    # conftest.py: P1 P3 P7 men who completed a prison sentence (P1 kept 6 months); P2
    # (100 days) and P6 (250 days) women after rehabilitation; P8, amnesty, kept.
    expected = {
        ("completed_prison", Gender.MALE): (3, 1, 1),
        ("post_rehab", Gender.FEMALE): (2, 2, 1),
        ("amnesty", Gender.MALE): (1, 1, 1),
    }
    assert reported(pledges, as_of=today) == expected
    assert counted_from_placements(pledges, as_of=today) == expected
    # Line 1: men of completed_prison (P1 P3), a woman after rehab (P2); line 2: P6;
    # the district's line: P7; Kim Bảng's: P8.
    assert GroupTally.objects.filter(delivered__gt=0).count() == 5
    row = group_row(pledges, "post_rehab", as_of=today)
    assert (row.delivered, row.delivered_female, row.delivered_male) == (2, 2, 0)
    assert (row.eligible_6_female, row.retained_6_female) == (2, 1)
    totals = queries.totals(pledges, as_of=today, by_gender=True)
    assert (totals.delivered_male, totals.delivered_female) == (4, 2)
    assert (totals.retained_6_male, totals.retained_6_female) == (2, 1)


def test_changes_are_counted_before_and_after_the_recount(report_world):
    w = report_world
    today = timezone.localdate()
    tally.ensure_fresh(as_of=today)
    pledges = queries.report_pledges(user=w.admin)

    place(w.line1, started_days_ago=300, gender=Gender.FEMALE)  # a new woman, kept so far
    Placement.objects.filter(pk=w.p1.pk).update(
        status=PlacementStatus.LEFT, end_date=w.p1.start_date + timedelta(days=20)
    )
    # A person's gender corrected, however it is written: their line is outdated too.
    Person.objects.filter(pk=w.p8.person_id).update(gender=Gender.FEMALE)
    assert DeliveryTally.objects.get(pledge=w.quarry_line).as_of != today

    live = counted_from_placements(pledges, as_of=today)
    assert live[("amnesty", Gender.FEMALE)] == (1, 1, 1)
    assert live[("completed_prison", Gender.FEMALE)] == (1, 1, 1)
    assert live[("completed_prison", Gender.MALE)] == (3, 1, 0)
    assert reported(pledges, as_of=today) == live  # outdated lines counted live
    tally.ensure_fresh(as_of=today)
    assert reported(pledges, as_of=today) == live  # and the same once recounted
    assert not GroupTally.objects.filter(
        pledge=w.quarry_line, gender=Gender.MALE, delivered__gt=0
    ).exists()


def test_retention_moves_with_the_date_even_before_the_daily_recount(report_world):
    w = report_world
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    # Six whole months old today, not yesterday.
    started = latest_start_for(6, today)
    assert started > latest_start_for(6, yesterday)
    place(w.line2, started_days_ago=(today - started).days, gender=Gender.FEMALE)
    tally.refresh(as_of=yesterday)
    pledges = queries.report_pledges(user=w.admin)

    assert reported(pledges, as_of=yesterday) == counted_from_placements(pledges, as_of=yesterday)
    assert reported(pledges, as_of=today) == counted_from_placements(pledges, as_of=today)
    assert reported(pledges, as_of=today)[("completed_prison", Gender.FEMALE)] == (1, 1, 1)
    on_yesterday = reported(pledges, as_of=yesterday)
    assert on_yesterday.get(("completed_prison", Gender.FEMALE), (1, 0, 0)) == (1, 0, 0)


def test_an_official_counts_only_their_province(report_world):
    today = timezone.localdate()
    tally.ensure_fresh(as_of=today)
    pledges = queries.report_pledges(user=report_world.official)
    assert reported(pledges, as_of=today) == counted_from_placements(pledges, as_of=today)
    assert ("amnesty", Gender.MALE) not in reported(pledges, as_of=today)  # Kim Bảng's


@pytest.mark.parametrize("url", ["/reports/groups/", "/reports/groups/?_export=csv"])
def test_the_report_queries_do_not_grow_with_the_registry(report_world, client_as, url):
    w = report_world
    client = client_as(w.admin)
    today = timezone.localdate()
    tally.ensure_fresh(as_of=today)

    def queries_of_page():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    small = queries_of_page()
    for days in range(40, 400, 12):
        for group, gender in (("post_rehab", Gender.FEMALE), ("amnesty", Gender.MALE)):
            for line in (w.line1, w.line2, w.district_line, w.quarry_line):
                place(line, started_days_ago=days, gender=gender, group=group)
    tally.ensure_fresh(as_of=today)
    assert Placement.objects.count() > 200
    assert queries_of_page() == small
    # Outdated lines' placements are counted live, in one more query whatever their number
    # (with none outdated, that query is not made).
    place(w.line1, started_days_ago=3)
    assert queries_of_page() == small + 1
    place(w.line2, started_days_ago=3)
    place(w.quarry_line, started_days_ago=5)
    assert queries_of_page() == small + 1


def period_figures(pledges, *, as_of):
    return [
        (row.key, row.pledged, row.mous, row.delivered, row.eligible_6, row.retained_6,
         row.delivered_to_date)
        for row in queries.period_rows(pledges, as_of=as_of)
    ]  # fmt: skip


def test_the_report_per_quarter_reads_the_same_from_tallies_as_from_placements(report_world):
    w = report_world
    today = timezone.localdate()
    pledges = queries.report_pledges(user=w.admin)
    tally.ensure_fresh(as_of=today)
    assert PeriodTally.objects.filter(delivered__gt=0).exists()
    from_tallies = period_figures(pledges, as_of=today)
    # Every line outdated: all counted from the placements.
    DeliveryTally.objects.update(as_of=today - timedelta(days=1))
    assert period_figures(pledges, as_of=today) == from_tallies
    # Hand count: the quarter P3 started in (30 days ago) has it delivered, and by then
    # MoU 10 had delivered P1 P2 P3 P6; MoU 20 P7 (100 days ago); Kim Bảng P8.
    started = today - timedelta(days=30)
    key = f"{started.year}-Q{(started.month - 1) // 3 + 1}"
    [row] = [row for row in from_tallies if row[0] == key]
    assert row[3] >= 1 and row[6] == 6

    place(w.line1, started_days_ago=2)
    Placement.objects.filter(pk=w.p7.pk).delete()
    live = period_figures(pledges, as_of=today)
    tally.ensure_fresh(as_of=today)
    assert period_figures(pledges, as_of=today) == live
    assert live != from_tallies


def test_the_daily_recount_moves_the_breakdowns_to_the_new_day_and_back(report_world):
    w = report_world
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    # Six whole months old today, not yesterday: eligible only after the day moves on.
    started = latest_start_for(6, today)
    place(w.line2, started_days_ago=(today - started).days, gender=Gender.FEMALE)
    pledges = queries.report_pledges(user=w.admin)
    tally.refresh(as_of=yesterday)  # every line counted from its placements

    for day in (today, yesterday, today):
        # Unchanged lines: only the placements whose eligibility the day moved are read.
        assert tally.refresh(as_of=day) == DeliveryTally.objects.count()
        assert not DeliveryTally.objects.exclude(as_of=day).exists()
        assert reported(pledges, as_of=day) == counted_from_placements(pledges, as_of=day)
        from_tallies = period_figures(pledges, as_of=day)
        DeliveryTally.objects.update(as_of=tally.OUTDATED)  # read every line live
        assert period_figures(pledges, as_of=day) == from_tallies
        DeliveryTally.objects.update(as_of=day)
    assert reported(pledges, as_of=today)[("completed_prison", Gender.FEMALE)] == (1, 1, 1)
