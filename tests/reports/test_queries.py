"""The number of SQL queries a report page makes does not grow with its rows: the same
with 3 MoUs and placements as with 30 more of each (and at most 8 for the per-MoU and
per-partner pages, the benchmark's target)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerships.models import Placement
from partnerships.reports import tallies as tally
from tests.factories.reports import add_active_mous

PAGES = [
    "/reports/mous/",
    "/reports/mous/?state=active&kind=job&lagging=on&sort=-delivered",
    "/reports/mous/?_export=csv",
    "/reports/mous/?_export=xlsx",
    "/reports/partners/",
    "/reports/partners/?sort=-fulfilment",
    "/reports/partners/?_export=xlsx",
    "/reports/authorities/",
    "/reports/groups/",
    "/reports/periods/",
    "/reports/province/",
    "/reports/province/?year=2025&_export=xlsx",
    "/",
]
BUDGETED = {"/reports/mous/", "/reports/partners/"}


def queries_of(client, url: str) -> int:
    client.get(url)  # the first request fills the caches (the authority tree...)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


@pytest.mark.slow  # grows the registry by dozens of MoUs and placements, four times
@pytest.mark.parametrize("user", ["admin", "staff", "official", "business"])
def test_report_pages_make_as_many_queries_with_more_rows(report_world, client_as, user):
    w = report_world
    client = client_as(getattr(w, user))
    pages = [url for url in PAGES if not (user == "business" and "province" in url)]
    before = {url: queries_of(client, url) for url in pages}
    placements_before = Placement.objects.count()
    add_active_mous(w, 30, placements_each=2)
    assert Placement.objects.count() == placements_before + 60
    after = {url: queries_of(client, url) for url in pages}
    assert after == before
    for url in BUDGETED & set(pages):
        assert before[url] <= 8, (url, before[url])


def test_fresh_tallies_cost_one_query(report_world, django_assert_num_queries):
    from django.utils import timezone

    today = timezone.localdate()
    tally.ensure_fresh(as_of=today)
    with django_assert_num_queries(1):
        assert tally.ensure_fresh(as_of=today) == 0
