"""The province summary's figures for the yearly report and its partners proposed for
commendation, counted by hand on funnel_world (tests/reports/conftest.py)."""

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from partnerships.models import Person
from partnerships.reports import province
from partnerships.reports import tallies as tally
from partnerships.reports.yearly_figures import commendation_ranking, yearly_figures


@pytest.fixture
def long_an(funnel_world):
    from partnerships.authorities.hierarchy import AuthorityTree

    tree = AuthorityTree.load()
    return province.Area(authority_ids=tree.subtree(funnel_world.long_an.pk), name="Long An")


@pytest.mark.parametrize("recounted", [True, False])
def test_referrals_of_the_province(funnel_world, long_an, recounted):
    today = timezone.localdate()
    if recounted:
        tally.refresh(as_of=today)
    figures = yearly_figures(user=funnel_world.official, area=long_an, as_of=today)
    # Every referral of funnel_world is to a Long An line.
    assert (figures.referred, figures.interviewed, figures.referrals_hired) == (10, 5, 3)


def test_people_supported_are_the_people_its_authorities_registered(funnel_world, long_an):
    w = funnel_world
    figures = yearly_figures(user=w.official, area=long_an, as_of=timezone.localdate())
    # P1-P7 and the six people referred without a placement (A-F) are managed in Long An;
    # P8 by Kim Bảng.
    in_long_an = Person.objects.filter(owning_authority_id__in=long_an.authority_ids)
    assert figures.supported == in_long_an.count()
    assert w.p8.person not in in_long_an and w.p1.person in in_long_an
    assert figures.supported == 13


def test_a_year_counts_the_referrals_made_in_it(funnel_world, long_an):
    today = timezone.localdate()
    long_an.year = today.year - 5
    figures = yearly_figures(user=funnel_world.official, area=long_an, as_of=today)
    assert (figures.supported, figures.referred, figures.interviewed) == (0, 0, 0)


def test_commendation_weighs_retention_as_much_as_fulfilment(funnel_world):
    """Garment factory: 5 of 18 delivered (28 %), 2 of 3 still employed at 6 months (67 %):
    score 47 %. Quarry: 1 of 5 (20 %), 1 of 1 kept (100 %): score 60 %, first though it
    delivered fewer."""
    w = funnel_world
    everywhere = province.Area(authority_ids=None, name="all")
    ranking = commendation_ranking(user=w.admin, area=everywhere, as_of=timezone.localdate())
    assert [row["partner_id"] for row in ranking] == [w.quarry.pk, w.garment.pk]
    assert ranking[0]["commendation"] == pytest.approx((0.2 + 1.0) / 2)
    assert ranking[1]["commendation"] == pytest.approx((5 / 18 + 2 / 3) / 2)


def test_the_summary_page_shows_the_yearly_figures(funnel_world, client_as):
    client = client_as(funnel_world.official)
    html = client.get("/reports/province/").content.decode()
    assert 'data-yearly="referred">10<' in html
    assert 'data-yearly="referrals_hired">3<' in html
    assert 'data-yearly="supported">13<' in html
    assert 'data-testid="commended"' in html and funnel_world.garment.name in html


def test_the_summary_export_holds_the_yearly_figures_and_the_partners_to_commend(
    funnel_world, client_as
):
    """Officials copy the yearly report from the export: the same figures as the page, and
    the commendation ranking on a sheet of its own."""
    w = funnel_world
    response = client_as(w.official).get("/reports/province/?_export=xlsx")
    summary, _ranking, commended = load_workbook(
        io.BytesIO(response.content), read_only=True
    ).worksheets
    figures = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
    assert figures["Referrals to partner businesses"] == 10
    assert figures["of which ended in a hire"] == 3
    assert figures["People supported (registered with consent for referral and placement)"] == 13
    rows = list(commended.iter_rows(min_row=2, values_only=True))
    # The official's province only (the quarry is in Hà Nam): 5 of 18 delivered, 2 of 3
    # still employed at 6 months.
    assert [row[:2] for row in rows] == [(1, w.garment.name)]
    assert rows[0][-1] == pytest.approx(round((5 / 18 + 2 / 3) / 2 * 100, 1))
