"""An official opens the delivery funnel from the reports' navigation, sees the province's
figures stage by stage and the reasons people were not hired, switches the rows to
authorities, then to target groups and genders, with the form, and opens retention by
cohort."""

import pytest

from partnerships.models import MouState, ReferralStatus
from partnerships.reports import tallies as tally
from tests.browser.accessibility import assert_accessible
from tests.factories import bring_to, make_mou
from tests.factories.browser import log_in
from tests.factories.funnel_referrals import person, refer
from tests.factories.reports import place

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def delivering(world):
    """An active MoU at Bến Lức: 4 referrals (one hired, one not hired for skills, one
    no-show, one in progress) and 2 confirmed placements, one of them the hire."""
    from django.utils import timezone

    mou = bring_to(make_mou(world.ben_luc, world.garment, number=7), MouState.ACTIVE)
    line = mou.pledges.get()
    hired, other = place(line, started_days_ago=200), place(line, started_days_ago=20)
    refer(line, hired.person, status=ReferralStatus.HIRED, interviewed=True, placement=hired)
    refer(
        line,
        person(world.ben_luc),
        status=ReferralStatus.NOT_HIRED,
        reason="skills",
        interviewed=True,
    )
    refer(line, person(world.ben_luc), status=ReferralStatus.NO_SHOW)
    refer(line, person(world.ben_luc), days_ago=2)
    tally.refresh(as_of=timezone.localdate())
    return line, other


def figure(page, name) -> str:
    return page.locator(f'[data-testid=funnel-figures] [data-figure="{name}"]').inner_text()


def test_an_official_follows_the_funnel(world, delivering, open_browser):
    page = open_browser()
    log_in(page, world.official)
    page.goto("/reports/mous/")
    page.locator('nav.report-nav a[href="/reports/funnel/"]').click()
    page.wait_for_url("**/reports/funnel/")

    assert figure(page, "referred") == "4"
    assert figure(page, "interviewed") == "2"  # the hire and the refusal after an interview
    assert figure(page, "hired") == "2"  # confirmed placements, with or without a referral
    assert page.locator('[data-testid=reasons-table] [data-reason="skills"]').inner_text() == "1"
    table = page.get_by_test_id("funnel-table")
    assert world.garment.name in table.inner_text()
    assert page.get_by_test_id("funnel-chart").locator("svg[role=img]").count() == 1
    assert_accessible(page)

    page.select_option("#funnel-by", "authorities")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**by=authorities**")
    assert "Bến Lức" in page.get_by_test_id("funnel-table").inner_text()

    # Per target group and gender: the same people, and only what a group counts.
    page.select_option("#funnel-by", "groups")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**by=groups**")
    assert figure(page, "referred") == "4"
    assert figure(page, "hired") == "2"
    assert page.get_by_test_id("groups-note").is_visible()
    assert page.get_by_test_id("reasons-table").count() == 0
    assert_accessible(page)

    page.locator('nav.report-nav a[href="/reports/cohorts/"]').click()
    page.wait_for_url("**/reports/cohorts/")
    cohorts = page.get_by_test_id("cohort-table")
    assert cohorts.locator("tbody tr").count() >= 1
    assert_accessible(page)
