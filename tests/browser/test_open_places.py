"""Staff find the places still open to send people to; a business sees its own, on a phone."""

import pytest

from partnerships.models import Confirmation, PledgeKind
from tests.browser.accessibility import assert_accessible
from tests.browser.steps import submit, vi
from tests.factories.browser import DESKTOP, PHONE, log_in
from tests.factories.referrals import refer
from tests.factories.reports import place

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def open_places_rows(page):
    return page.locator('[data-testid="open-places"] tbody tr')


def test_staff_find_open_places_and_narrow_them_to_jobs(placements_world, open_browser):
    w = placements_world
    place(w.job_pledge, started_days_ago=20)
    place(w.job_pledge, started_days_ago=5, confirmation=Confirmation.REPORTED)
    refer(w)
    page = open_browser(viewport=DESKTOP)
    log_in(page, w.staff)

    page.locator(".mainnav a", has_text=vi("Open places")).click()
    page.wait_for_url("**/placements/open/")
    assert open_places_rows(page).count() == 2  # the job line and the training line
    page.select_option("#id_kind", PledgeKind.JOB)
    submit(page, "form.filters button[type=submit]")

    rows = open_places_rows(page)
    assert rows.count() == 1
    cells = rows.first.locator("td").all_inner_texts()
    # 5 pledged, 1 confirmed, 1 awaiting confirmation, 1 referred (in progress): 2 open.
    assert cells[-5:] == ["5", "1", "1", "1", "2"]
    assert_accessible(page)


def test_a_business_sees_only_its_own_open_places_on_a_phone(placements_world, open_browser):
    w = placements_world
    page = open_browser(viewport=PHONE)
    log_in(page, w.business)

    page.goto("/placements/open/")
    texts = " ".join(open_places_rows(page).all_inner_texts())
    assert w.active_mou.document_number in texts
    assert w.quarry.name not in texts
    assert_accessible(page)
