"""The province summary: the figures provinces publish, and a ranking of partners."""

import re
from datetime import timedelta

from django.utils import timezone

from partnerships.models import (
    Confirmation,
    ContractType,
    DeliveryTally,
    Partner,
    PartnerStatus,
    Placement,
    PlacementStatus,
)
from partnerships.reports import tallies as tally
from tests.factories.reports import place


def figures(page: str) -> dict[str, str]:
    import re

    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', page))


def test_an_official_sees_their_provinces_figures(report_world, client_as):
    w = report_world
    page = client_as(w.official).get("/reports/province/").content.decode()
    assert "Province summary: UBND tỉnh Long An" in page
    # Employed: P1 P2 P3 (MoU 10) and P7 (MoU 20); trained: P6; women: P2 P6.
    assert figures(page) == {"employed": "4", "employed_now": "3", "trained": "1", "women": "2"}
    by_state = page.split('data-testid="mous-by-state"')[1].split("</table>")[0]
    assert 'Active</span></td><td class="num">2<' in by_state
    assert 'Draft</span></td><td class="num">1<' in by_state  # world's MoU 1
    ranking = page.split('data-testid="ranking"')[1].split("</table>")[0]
    assert w.garment.name in ranking and w.quarry.name not in ranking


def test_an_administrator_chooses_the_province(report_world, client_as):
    w = report_world
    client = client_as(w.admin)
    every = figures(client.get("/reports/province/").content.decode())
    assert every["employed"] == "5"  # with P8 at Kim Bảng
    ha_nam = figures(client.get(f"/reports/province/?area={w.ha_nam.pk}").content.decode())
    assert ha_nam == {"employed": "1", "employed_now": "1", "trained": "0", "women": "0"}


def test_staff_see_their_own_area(report_world, client_as):
    page = client_as(report_world.other_staff).get("/reports/province/").content.decode()
    assert "UBND xã Thạnh Lợi" in page
    assert figures(page)["employed"] == "0"


def test_the_staff_page_is_titled_for_their_authority_not_the_province(report_world, client_as):
    page = client_as(report_world.staff).get("/reports/province/").content.decode()
    assert "<h1>Summary of your authority: UBND xã Bến Lức</h1>" in page
    assert "Province summary" not in page
    official = client_as(report_world.official).get("/reports/province/").content.decode()
    assert "<h1>Province summary: UBND tỉnh Long An</h1>" in official


def test_the_year_filter_offers_the_years_to_choose_from(report_world, client_as):
    from django.utils import timezone

    w = report_world
    this_year = timezone.localdate().year
    first_year = w.active_mou.term_start.year  # the MoUs started two years ago
    page = client_as(w.official).get(f"/reports/province/?year={this_year}").content.decode()
    select = page.split('<select id="summary-year" name="year">')[1].split("</select>")[0]
    offered = [int(year) for year in re.findall(r'<option value="(\d+)"', select)]
    assert offered == list(range(this_year, first_year - 1, -1))
    assert f'<option value="{this_year}" selected>' in select
    assert 'type="number" name="year"' not in page


def test_the_ranking_orders_partners_by_delivery_or_retention(report_world, client_as):
    w = report_world
    # A third partner at Bến Lức whose two people both stayed: first by retention.
    from partnerships.models import Contact, MouState
    from tests.factories import bring_to, make_mou

    bakery = Partner.objects.create(
        name="Cơ sở Bánh mì Hòa", tax_code="1100000099", registered_by=w.ben_luc
    )
    Contact.objects.create(partner=bakery, full_name="Hòa", is_legal_representative=True)
    mou = make_mou(
        w.ben_luc,
        bakery,
        number=30,
        term_start=w.active_mou.term_start,
        term_end=w.active_mou.term_end,
    )
    bring_to(mou, MouState.ACTIVE)
    line = mou.pledges.get()
    place(line, started_days_ago=300)
    place(line, started_days_ago=300)
    client = client_as(w.official)
    by_delivery = (
        client.get("/reports/province/").content.decode().split('data-testid="ranking"')[1]
    )
    assert by_delivery.index(w.garment.name) < by_delivery.index(bakery.name)
    by_retention = client.get("/reports/province/?rank_by=retention").content.decode()
    by_retention = by_retention.split('data-testid="ranking"')[1]
    assert by_retention.index(bakery.name) < by_retention.index(w.garment.name)


def test_a_year_counts_placements_started_in_it(report_world, client_as):
    w = report_world
    year = w.p3.start_date.year
    page = client_as(w.official).get(f"/reports/province/?year={year}").content.decode()
    started = [p for p in (w.p1, w.p2, w.p3, w.p7) if p.start_date.year == year]
    assert figures(page)["employed"] == str(len(started))


def test_partners_by_status(report_world, client_as):
    Partner.objects.filter(pk=report_world.garment.pk).update(status=PartnerStatus.SUSPENDED)
    page = client_as(report_world.official).get("/reports/province/").content.decode()
    table = page.split('data-testid="partners-by-status"')[1].split("</table>")[0]
    assert 'Suspended</td><td class="num">1<' in table


def test_a_person_placed_on_two_lines_counts_once_from_tallies_or_not(report_world, client_as):
    w = report_world
    today = timezone.localdate()
    client = client_as(w.official)
    tally.ensure_fresh(as_of=today)
    before = figures(client.get("/reports/province/").content.decode())
    assert before == {"employed": "4", "employed_now": "3", "trained": "1", "women": "2"}

    # P1, employed on line 1, is hired again under the district's MoU.
    Placement.objects.create(
        person=w.p1.person,
        pledge=w.district_line,
        kind=w.district_line.kind,
        start_date=today - timedelta(days=10),
        occupation="Thợ may",
        contract_type=ContractType.LABOUR_12_MONTHS_OR_MORE,
        confirmation=Confirmation.CONFIRMED,
    )
    # Line 1's own placements did not change, but who is placed only there did.
    assert DeliveryTally.objects.get(pledge=w.line1).as_of == tally.OUTDATED
    assert figures(client.get("/reports/province/").content.decode()) == before
    tally.ensure_fresh(as_of=today)
    assert DeliveryTally.objects.get(pledge=w.line1).shared_placements == 1
    assert DeliveryTally.objects.get(pledge=w.line1).sole_employed == 2  # P2 P3, not P1
    assert figures(client.get("/reports/province/").content.decode()) == before
    # Ended there, still employed under line 1: employed now stays 3.
    Placement.objects.filter(pledge=w.line1, person=w.p1.person).update(
        status=PlacementStatus.LEFT, end_date=today
    )
    tally.ensure_fresh(as_of=today)
    assert figures(client.get("/reports/province/").content.decode()) == before


def test_the_summary_counted_from_placements_equals_the_one_from_the_tallies(report_world):
    """Before the day's recount every line is counted from its placements; after it, from
    its tally: the figures, the places, the ranking and the lag flags must not move."""
    from partnerships.reports import province

    w = report_world
    today = timezone.localdate()
    everywhere = province.Area(authority_ids=None, name="")

    def summary():
        found = province.province_summary(user=w.admin, area=everywhere, as_of=today)
        ranking = [
            (row["name"], row["mou_count"], row["pledged"], row["delivered"], row["lagging_mous"])
            for row in found.ranking
        ]
        return found.people, found.pledged, ranking, found.lagging_mous

    DeliveryTally.objects.update(as_of=tally.OUTDATED)
    counted = summary()
    tally.ensure_fresh(as_of=today)
    assert not DeliveryTally.objects.exclude(as_of=today).exists()
    assert summary() == counted
    people, pledged, ranking, _lagging = counted
    # The world has jobs and training delivered, and P4 awaiting confirmation.
    assert people["delivered_jobs"] and people["delivered_training"]
    assert people["awaiting"] == 1
    assert pledged["jobs"] and pledged["training"]
    assert ranking[0][0] == w.garment.name
