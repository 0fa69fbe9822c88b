"""Pledged, delivered, fulfilment and retention, counted by hand (see conftest.py) and read
back from every report, as numbers from the selectors and as the pages show them."""

import re

import pytest
from django.utils import timezone

from partnerships.authorities.hierarchy import AuthorityTree
from partnerships.reports import queries
from partnerships.reports import tallies as tally
from tests.factories.reports import elapsed_share


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def pledges(report_world, today):
    tally.ensure_fresh(as_of=today)
    return queries.report_pledges(user=report_world.admin)


def test_each_pledge_line_has_its_own_figures(report_world, pledges, today):
    w = report_world
    rows = {row.pk: row for row in queries.line_rows(pledges, as_of=today)}
    line1, line2 = rows[w.line1.pk], rows[w.line2.pk]
    assert (line1.line, line1.quantity, line1.delivered) == (1, 5, 3)
    assert (line1.eligible_6, line1.retained_6) == (2, 1)
    assert line1.fulfilment == pytest.approx(0.6)
    assert line1.retention_6 == pytest.approx(0.5)
    assert (line2.line, line2.quantity, line2.delivered, line2.eligible_6, line2.retained_6) == (
        2,
        3,
        1,
        1,
        1,
    )
    assert line2.fulfilment == pytest.approx(1 / 3)
    assert line1.elapsed == pytest.approx(elapsed_share(w.active_mou, today))
    district = rows[w.district_line.pk]
    assert (district.delivered, district.eligible_6, district.retention_6) == (1, 0, None)


def test_drafts_and_sent_mous_are_not_counted(report_world, pledges):
    w = report_world
    mous = set(pledges.values_list("mou", flat=True))
    assert mous == {w.active_mou.pk, w.district_mou.pk, w.quarry_mou.pk}
    assert w.mou.pk not in mous and w.sent_mou.pk not in mous


def test_totals_are_summed_over_every_line(report_world, pledges, today):
    totals = queries.totals(pledges, as_of=today)
    assert (totals.lines, totals.mous, totals.partners) == (4, 3, 2)
    assert (totals.pledged, totals.delivered) == (23, 6)
    assert (totals.eligible_6, totals.retained_6) == (4, 3)
    assert totals.fulfilment == pytest.approx(6 / 23)
    assert totals.retention_6 == pytest.approx(0.75)


def test_per_partner(report_world, pledges, today):
    w = report_world
    rows = {row["partner_id"]: row for row in queries.partner_rows(pledges, as_of=today)}
    garment, quarry = rows[w.garment.pk], rows[w.quarry.pk]
    assert (garment["mou_count"], garment["pledged"], garment["delivered"]) == (2, 18, 5)
    assert (garment["eligible_6"], garment["retained_6"]) == (3, 2)
    assert garment["fulfilment"] == pytest.approx(5 / 18)
    assert garment["lagging_mous"] == 1  # MoU 20; MoU 10 is within the margin
    assert (quarry["mou_count"], quarry["pledged"], quarry["delivered"]) == (1, 5, 1)
    assert quarry["lagging_mous"] == 1


def test_per_authority_from_the_top_then_rolled_up_the_province(report_world, pledges, today):
    w = report_world
    tree = AuthorityTree.load()
    top = queries.authority_rows(
        pledges,
        tree=tree,
        branches=queries.authority_branches(tree, root_id=None, scope=None),
        root_id=None,
        as_of=today,
    )
    figures = {row.key: (row.pledged, row.delivered, row.eligible_6, row.retained_6) for row in top}
    assert figures == {w.long_an.pk: (18, 5, 3, 2), w.ha_nam.pk: (5, 1, 1, 1)}
    assert all(row.drill for row in top)
    # The district is inside Long An, but it was merged into Bến Lức: said there, not here.
    assert all(row.note == "" for row in top)


def test_a_dissolved_districts_mous_count_under_its_successor(report_world, pledges, today):
    w = report_world
    tree = AuthorityTree.load()
    rows = queries.authority_rows(
        pledges.filter(mou__authority_id__in=tree.subtree(w.long_an.pk)),
        tree=tree,
        branches=queries.authority_branches(tree, root_id=w.long_an.pk, scope=None),
        root_id=w.long_an.pk,
        as_of=today,
    )
    # One row: Bến Lức commune, holding its own MoU 10 and the district's MoU 20; the
    # district is no row of its own, and Thạnh Lợi has no signed MoU.
    [ben_luc] = rows
    assert ben_luc.key == w.ben_luc.pk
    assert (ben_luc.mous, ben_luc.pledged, ben_luc.delivered) == (2, 18, 5)
    assert ben_luc.note == "UBND huyện Bến Lức"


def test_per_target_group_and_gender(report_world, pledges, today):
    rows = {row.key: row for row in queries.group_rows(pledges, as_of=today)}
    prison, rehab, amnesty = rows["completed_prison"], rows["post_rehab"], rows["amnesty"]
    # Pledged: lines naming the group (MoU 20's line names two groups, so counts twice).
    assert (prison.pledged, rehab.pledged, amnesty.pledged) == (20, 3, 10)
    # Delivered: confirmed people of the group (P4 and P5 are not confirmed).
    assert (prison.delivered, prison.delivered_male, prison.delivered_female) == (3, 3, 0)
    assert (rehab.delivered, rehab.delivered_male, rehab.delivered_female) == (2, 0, 2)
    assert (amnesty.delivered, amnesty.delivered_male) == (1, 1)
    # Women: P2 left after 100 days, P6 stayed 250: one of two retained.
    assert (rehab.eligible_6_female, rehab.retained_6_female) == (2, 1)
    assert rows["drug_user"].delivered == 0
    totals = queries.totals(pledges, as_of=today, by_gender=True)
    assert (totals.delivered_female, totals.delivered_male) == (2, 4)


def test_per_year_and_quarter(report_world, pledges, today):
    w = report_world
    rows = {row.key: row for row in queries.period_rows(pledges, as_of=today)}

    def quarter(day):
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"

    confirmed = [w.p1, w.p2, w.p3, w.p6, w.p7, w.p8]
    expected = {}
    for placement in confirmed:
        expected[quarter(placement.start_date)] = expected.get(quarter(placement.start_date), 0) + 1
    for key, delivered in expected.items():
        assert rows[key].delivered == delivered, key
    # Pledges count where their MoU's term starts: all three MoUs started two years ago.
    starts = quarter(w.active_mou.term_start)
    assert rows[starts].pledged == 23 and rows[starts].mous == 3
    # Every quarter in between is there, even empty ones, in order.
    keys = list(rows)
    assert keys[0] == starts and len(keys) == len(set(keys))
    assert keys == sorted(keys, key=lambda k: (int(k[:4]), int(k[-1])))


def test_the_page_shows_the_same_figures(report_world, client_as):
    # "10/BGN" finds MoU 10 of Bến Lức (lines of 5 and 3) and MoU 10 of Kim Bảng (5).
    page = client_as(report_world.admin).get("/reports/mous/?q=10/BGN")
    assert page.status_code == 200
    html = page.content.decode()
    body = html.split("<tbody")[1].split("</tbody>")[0]
    assert "60%" in body and "50%" in body and "33.3%" in body
    footer = re.findall(r"<td[^>]*>([^<]*)</td>", html.split("<tfoot")[1].split("</tfoot>")[0])
    # Total, pledged 13, delivered 5 (3 + 1 + 1), fulfilment 38%, still employed at 6
    # months 75% (P1, P6, P8 of P1, P2, P6, P8).
    assert [cell.strip() for cell in footer if cell.strip()] == ["Total", "13", "5", "38.5%", "75%"]


def test_each_quarter_measures_the_mous_in_force_by_its_end(report_world, pledges, today):
    """All three MoUs started two years ago and run another year: every quarter since
    counts them, and their fulfilment is what they had delivered by the quarter's end, so
    a quarter after the first one is not shown at 0 % while the MoUs deliver."""
    rows = queries.period_rows(pledges, as_of=today)
    current = rows[-1]
    assert current.key == f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    assert (current.mous, current.pledged) == (3, 23)
    assert current.delivered_to_date == 6  # P1 P2 P3 P6 P7 P8, all confirmed
    assert current.fulfilment == 6 / 23
    assert all(row.mous == 3 and row.pledged == 23 for row in rows)
    first_delivery = next(row for row in rows if row.delivered)
    later = rows[rows.index(first_delivery) + 1 :]
    assert later and all(row.fulfilment for row in later)
    assert [row.delivered_to_date for row in rows] == sorted(row.delivered_to_date for row in rows)


def test_the_quarterly_page_says_what_each_column_counts(report_world, client_as):
    page = client_as(report_world.admin).get("/reports/periods/").content.decode()
    for heading in (
        "MoUs in force",
        "Places pledged by MoUs in force",
        "Placements started in the quarter (confirmed)",
        "Delivered by these MoUs by the quarter&#x27;s end",
        "Fulfilment by the quarter&#x27;s end",
    ):
        assert heading in page
    assert "26.1%" in page  # the current quarter: 6 of 23
