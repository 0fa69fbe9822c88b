"""A newcomer opens the demo as the official: the province summary has figures and flags the
partner that lags behind its pledge."""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.browser.steps import vi
from tests.factories.browser import DESKTOP, outside_the_browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "demo-password-for-the-test"


def number_in(page, test_id: str, row: str) -> int:
    cells = page.locator(f'[data-testid="{test_id}"] tr', has_text=row).first.locator("td.num")
    return int(cells.last.inner_text().replace(".", "").strip())


def test_the_demo_official_sees_delivery_and_the_lagging_partner(open_browser):
    outside_the_browser(call_command, "seed_demo", password=PASSWORD, stdout=StringIO())
    page = open_browser(viewport=DESKTOP)
    page.goto("/login/")
    page.fill("#id_username", "demo_official")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)

    page.locator(".mainnav a", has_text=vi("Reports")).click()
    page.locator("a", has_text=vi("Province summary")).click()
    page.wait_for_url("**/reports/province/**")

    body = page.locator("main")
    assert number_in(page, "mous-by-state", vi("Lagging behind their term")) >= 1
    ranking = page.locator("section[aria-labelledby=ranking-title] tbody tr")
    lagging_rows = ranking.filter(has=page.locator(".badge.lagging"))
    assert lagging_rows.count() >= 1
    assert "Cơ khí Thạnh Lợi" in " ".join(lagging_rows.all_inner_texts())
    delivered = [
        int(cell.replace(".", "") or 0)
        for cell in ranking.locator("td:nth-child(5)").all_inner_texts()
    ]
    assert sum(delivered) > 0, body.inner_text()
