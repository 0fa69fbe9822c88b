"""The funnel pages: who sees what (officials their province, staff their authority and
what is under it, a business only its own lines, outsiders nothing of others), counts only,
exports of what the page shows, and queries that do not grow with the registry."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerships.models import Pledge
from partnerships.reports import tallies as tally
from tests.factories.funnel_referrals import person, refer
from tests.factories.reports import PERSON_NAME, add_active_mous

PAGES = ["/reports/funnel/", "/reports/cohorts/"]
VIEWS = ["partners", "lines", "authorities", "groups"]


def exported(client, query: str) -> list[list[str]]:
    response = client.get(f"/reports/funnel/?{query}&_export=csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig").split("\r\n\r\n")[0]
    return list(csv.reader(io.StringIO(text)))


def total_referred(client) -> str:
    rows = exported(client, "by=partners")
    return rows[-1][rows[0].index("Referred")]


@pytest.mark.parametrize(
    ("user", "referred"),
    [
        ("admin", "10"),
        ("official", "10"),
        ("staff", "10"),
        ("business", "10"),
        ("other_staff", "0"),
        ("other_province_official", "0"),
        ("other_business", "0"),
    ],
)
def test_each_role_counts_only_its_own_referrals(funnel_world, client_as, user, referred):
    client = client_as(getattr(funnel_world, user))
    client.cookies["django_language"] = "en"
    assert total_referred(client) == referred


def test_outsiders_see_the_quarry_not_the_garment_factory(funnel_world, client_as):
    w = funnel_world
    for user in (w.other_province_official, w.other_business):
        page = client_as(user).get("/reports/funnel/?by=partners").content.decode()
        assert w.quarry.name in page and w.garment.name not in page


@pytest.mark.parametrize("url", [*[f"/reports/funnel/?by={v}" for v in VIEWS], PAGES[1]])
@pytest.mark.parametrize("user", ["admin", "official", "staff", "business"])
def test_the_pages_hold_counts_only(funnel_world, client_as, url, user):
    client = client_as(getattr(funnel_world, user))
    page = client.get(url)
    assert page.status_code == 200
    main = page.content.decode().split("<main>")[1]
    assert PERSON_NAME not in main and "/people/" not in main and "/referrals/" not in main
    export = client.get(url + "&_export=xlsx" if "?" in url else url + "?_export=csv")
    assert export.status_code == 200
    assert PERSON_NAME.encode() not in export.content


@pytest.mark.parametrize("url", PAGES)
def test_no_role_no_funnel(funnel_world, client_as, url):
    assert client_as(funnel_world.no_role).get(url).status_code == 403
    anonymous = client_as(None).get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_staff_cannot_ask_for_an_authority_outside_their_scope(funnel_world, client_as):
    w = funnel_world
    response = client_as(w.staff).get(f"/reports/funnel/?by=authorities&authority={w.ha_nam.pk}")
    # Not a choice of theirs: the filter refuses it, and nothing of Hà Nam is counted.
    assert response.status_code in (200, 404)
    assert w.quarry.name not in response.content.decode()


def test_the_page_shows_the_hand_counted_figures(funnel_world, client_as):
    client = client_as(funnel_world.official)
    client.cookies["django_language"] = "en"
    html = client.get("/reports/funnel/").content.decode()
    assert 'data-figure="referred">10<' in html
    assert 'data-figure="interviewed">5<' in html
    assert 'data-figure="hired">5<' in html  # the official's province: no Kim Bảng
    assert 'data-reason="skills">1<' in html and 'data-reason="position_filled">1<' in html


def test_the_page_per_group_adds_up_to_the_same_figures_and_shows_only_what_groups_count(
    funnel_world, client_as
):
    """Each person is of one group and one gender: the rows add up to the report's
    referrals, interviews and hires. A group pledges no places and its referrals' outcomes
    are counted per line, so neither is shown per group (once, zeros)."""
    client = client_as(funnel_world.official)
    client.cookies["django_language"] = "en"
    html = client.get("/reports/funnel/?by=groups").content.decode()
    assert 'data-figure="referred">10<' in html
    assert 'data-figure="interviewed">5<' in html
    assert 'data-figure="hired">5<' in html
    assert 'data-figure="pledged">' in html and 'data-figure="pledged">0<' not in html
    assert 'data-testid="reasons-table"' not in html
    assert 'data-testid="groups-note"' in html
    header, *_rows, total = exported(client, "by=groups")
    assert "Not hired" not in header and "Pledged" not in header
    assert total[:5] == ["Total", "", "10", "5", "5"]


def test_the_export_lists_the_reasons_as_a_second_sheet(funnel_world, client_as):
    client = client_as(funnel_world.admin)
    client.cookies["django_language"] = "en"
    text = client.get("/reports/funnel/?_export=csv").content.decode("utf-8-sig")
    reasons = list(csv.reader(io.StringIO(text.split("\r\n\r\n")[1])))
    assert (
        dict((row[0], row[1]) for row in reasons[1:])["Skills or experience did not match"] == "1"
    )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("url", [*[f"/reports/funnel/?by={v}" for v in VIEWS], PAGES[1]])
@pytest.mark.parametrize("recounted", [True, False])
def test_queries_do_not_grow_with_lines_and_referrals(
    funnel_world, client_as, url, recounted, django_assert_max_num_queries, today
):
    """2 more lines, then 20 more, each with placements and referrals: the same number of
    queries, whether the tallies are current or every line is counted live."""
    w = funnel_world
    client = client_as(w.admin)

    def grow(how_many):
        before = set(w.ben_luc.mous.values_list("pledges", flat=True))
        add_active_mous(w, how_many, placements_each=2)
        for line_id in set(w.ben_luc.mous.values_list("pledges", flat=True)) - before:
            line = Pledge.objects.get(pk=line_id)
            refer(line, person(w.ben_luc), status="not_hired", reason="health")
            refer(line, person(w.ben_luc), status="no_show")
        if recounted:
            tally.refresh(as_of=today)

    grow(2)
    small = _queries(client, url)
    grow(20)
    with django_assert_max_num_queries(small):
        assert client.get(url).status_code == 200


@pytest.fixture
def today():
    return timezone.localdate()
