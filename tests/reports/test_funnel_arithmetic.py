"""The delivery funnel counted by hand (tests/reports/conftest.py, funnel_world) and read
back from every view of it, whether the tallies were recounted today or every line is
counted live from its referrals and placements (a change since the recount)."""

import pytest
from django.utils import timezone

from partnerships.authorities.hierarchy import AuthorityTree
from partnerships.models import NOT_HIRED_REASON_COUNTS, DeliveryTally, NotHiredReason
from partnerships.reports import funnel, queries
from partnerships.reports import tallies as tally
from partnerships.reports.referral_counts import REASON_COUNTS


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture(params=["recounted", "live"])
def pledges(request, funnel_world, today):
    tally.refresh(as_of=today)
    if request.param == "live":
        DeliveryTally.objects.update(as_of=tally.OUTDATED)
    return queries.report_pledges(user=funnel_world.admin)


STAGES = ("pledged", "referred", "interviewed", "delivered")


def stages(row) -> tuple:
    return tuple(getattr(row, name) if not isinstance(row, dict) else row[name] for name in STAGES)


def test_every_not_hired_reason_has_its_tally_column():
    assert tuple(REASON_COUNTS) == NOT_HIRED_REASON_COUNTS
    assert list(REASON_COUNTS.values()) == NotHiredReason.values


def test_the_funnel_over_every_line(pledges, today):
    totals = funnel.funnel_totals(pledges, as_of=today)
    assert stages(totals) == (23, 10, 5, 6)
    # Hired through a referral: R1 R2 R9; the other outcomes add up to every referral.
    outcomes = (
        totals.referrals_hired,
        totals.not_hired,
        totals.no_show,
        totals.referrals_expired,
        totals.referrals_ended,
        totals.referrals_in_progress,
    )
    assert outcomes == (3, 2, 1, 2, 1, 1)
    assert sum(outcomes) == totals.referred
    # Retention as the other reports count it: 6 months 3 of 4; 12 months P1 and P8 of
    # P1, P2, P8 (P6 started 300 days ago: not yet 12 months).
    assert (totals.eligible_6, totals.retained_6) == (4, 3)
    assert (totals.eligible_12, totals.retained_12) == (3, 2)
    assert totals.retention_12 == pytest.approx(2 / 3)
    assert totals.lines == 4
    assert len(funnel.partner_rows(pledges, as_of=today)) == 2  # the partners' page count


def test_not_hired_reasons_are_counted(pledges, today):
    totals = funnel.funnel_totals(pledges, as_of=today)
    reasons = {reason: n for reason, _label, n in totals.reasons()}
    assert reasons == dict.fromkeys(NotHiredReason.values, 0) | {"skills": 1, "position_filled": 1}


def test_each_line(funnel_world, pledges, today):
    w = funnel_world
    rows = {row.pk: row for row in funnel.line_rows(pledges, as_of=today)}
    assert stages(rows[w.line1.pk]) == (5, 8, 4, 3)
    # R3 and R8 not hired, R4 did not come, R6 ended, R7 in progress.
    line1_outcomes = ("not_hired", "no_show", "referrals_ended", "referrals_in_progress")
    assert tuple(getattr(rows[w.line1.pk], name) for name in line1_outcomes) == (2, 1, 1, 1)
    assert stages(rows[w.line2.pk]) == (3, 1, 1, 1)
    assert stages(rows[w.district_line.pk]) == (10, 1, 0, 1)
    assert stages(rows[w.quarry_line.pk]) == (5, 0, 0, 1)
    line1 = rows[w.line1.pk]
    assert (line1.eligible_12, line1.retained_12, line1.retention_12) == (2, 1, 0.5)


def test_each_partner_with_retention_at_3_6_and_12_months(funnel_world, pledges, today):
    w = funnel_world
    rows = {row["partner_id"]: row for row in funnel.partner_rows(pledges, as_of=today)}
    garment = rows[w.garment.pk]
    assert stages(garment) == (18, 10, 5, 5)
    # 3 months: P1, P2 (100 days), P6, P7 (100 days) all stayed 3 months.
    assert (garment["eligible_3"], garment["retained_3"]) == (4, 4)
    assert (garment["eligible_6"], garment["retained_6"]) == (3, 2)
    assert (garment["eligible_12"], garment["retained_12"]) == (2, 1)
    assert stages(rows[w.quarry.pk]) == (5, 0, 0, 1)


def test_a_dissolved_districts_referrals_count_under_its_successor(funnel_world, pledges, today):
    w = funnel_world
    tree = AuthorityTree.load()
    [ben_luc], _totals = funnel.authority_rows(
        pledges.filter(mou__authority_id__in=tree.subtree(w.long_an.pk)),
        tree=tree,
        branches=queries.authority_branches(tree, root_id=w.long_an.pk, scope=None),
        as_of=today,
    )
    assert ben_luc.key == w.ben_luc.pk
    assert stages(ben_luc) == (18, 10, 5, 5)
    assert ben_luc.note == "UBND huyện Bến Lức"


def test_totals_added_up_from_the_rows_are_those_of_every_line(funnel_world, pledges, today):
    """The per-partner and per-authority pages add their rows up for the footer instead of
    reading the lines again: the sums must be the report's totals, lines outside the
    branches shown (here Hà Nam's, under a Long An root) included."""
    tree = AuthorityTree.load()
    every = funnel.funnel_totals(pledges, as_of=today).counts
    by_partner = funnel.totals_of(funnel.partner_rows(pledges, as_of=today)).counts
    branches = queries.authority_branches(tree, root_id=funnel_world.long_an.pk, scope=None)
    _rows, by_branch = funnel.authority_rows(pledges, tree=tree, branches=branches, as_of=today)

    assert every["delivered"] and every["referred"] and every["not_hired_skills"]
    for name in ("lines", *funnel.FUNNEL_COUNTS):
        assert by_partner.get(name, 0) == every.get(name, 0), name
        assert by_branch.counts.get(name, 0) == every.get(name, 0), name


def test_each_target_group_and_gender(pledges, today):
    rows = {row.key: row for row in funnel.group_rows(pledges, as_of=today)}
    # Person A (woman, post_rehab) was referred twice and interviewed once; P2 and P6 are
    # the women of that group placed, P6 referred and interviewed.
    rehab_women = rows["post_rehab-female"]
    assert (rehab_women.referred, rehab_women.interviewed, rehab_women.delivered) == (3, 2, 2)
    prison_men = rows["completed_prison-male"]
    # R1 R2 R4 R5 R6 R7 R10; interviewed R1 R2 R6; placed P1 P3 P7.
    assert (prison_men.referred, prison_men.interviewed, prison_men.delivered) == (7, 3, 3)
    assert (prison_men.eligible_12, prison_men.retained_12) == (1, 1)
    assert rows["amnesty-male"].delivered == 1
    assert "completed_prison-female" not in rows  # P4, P5: not confirmed, never referred
