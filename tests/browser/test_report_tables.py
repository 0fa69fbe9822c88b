"""The report tables on a laptop (1366×768) and a phone (390×844): the important columns
in view, partner names on a line or two, and when the table is wider than its box, a
visible hint and a table the keyboard can scroll.

Set BROWSER_SCREENSHOT_DIR to keep a screenshot of each table.
"""

import os
from pathlib import Path

import pytest

from tests.browser.accessibility import assert_accessible
from tests.browser.steps import VIEWPORT_IDS, VIEWPORTS
from tests.factories import bring_to, make_mou
from tests.factories.browser import DESKTOP, log_in
from tests.factories.reports import place

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOT_DIR = os.environ.get("BROWSER_SCREENSHOT_DIR")
LONG_NAME = "Công ty Trách nhiệm hữu hạn May mặc Xuất khẩu Bến Lức Long An"


@pytest.fixture
def two_authorities_one_number(world):
    """Two MoUs numbered 5/BGN-UBND, of two communes, both delivering; a long partner name."""
    from partnerships.models import MouState, Partner

    Partner.objects.filter(pk=world.garment.pk).update(name=LONG_NAME)
    world.garment.refresh_from_db()
    mous = []
    for authority in (world.ben_luc, world.thanh_loi):
        mou = bring_to(make_mou(authority, world.garment, number=5), MouState.ACTIVE)
        place(mou.pledges.get(), started_days_ago=0)
        mous.append(mou)
    return mous


def box_of(page, selector):
    return page.locator(selector).first.bounding_box()


def visible_in(cell, frame) -> bool:
    return (
        cell["x"] >= frame["x"] - 1 and cell["x"] + cell["width"] <= frame["x"] + frame["width"] + 1
    )


def lines_of(page, selector) -> float:
    """How many lines the text of the first element matching `selector` takes."""
    return page.eval_on_selector(
        selector,
        """cell => {
            const range = document.createRange();
            range.selectNodeContents(cell.querySelector('a') || cell);
            const height = range.getBoundingClientRect().height;
            return height / parseFloat(getComputedStyle(cell).lineHeight || 20);
        }""",
    )


def overflow_state(page) -> dict:
    return page.eval_on_selector(
        ".table-wrap",
        """wrap => {
            const boxes = [wrap, ...wrap.querySelectorAll('.data-table')];
            const scroller = boxes.find(b => b.scrollWidth > b.clientWidth + 1) || null;
            const hint = wrap.previousElementSibling;
            return {
                overflows: scroller !== null,
                focusable: scroller !== null && scroller.tabIndex === 0,
                hintShown: !!hint && hint.matches('[data-scroll-hint]') && !hint.hidden
                    && hint.getBoundingClientRect().height > 0,
            };
        }""",
    )


def keep_screenshot(page, name):
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEWPORT_IDS)
def test_the_per_mou_report_fits_what_matters_and_hints_at_the_rest(
    world, two_authorities_one_number, open_browser, viewport
):
    page = open_browser(viewport=viewport)
    log_in(page, world.official)
    page.goto("/reports/mous/")
    keep_screenshot(page, f"report-mous-{viewport['width']}")

    table = page.get_by_test_id("report-table")
    # The two 5/BGN-UBND tell apart: each shows its authority under the number.
    for mou in two_authorities_one_number:
        row = table.locator("tbody tr", has=page.locator(f'a[href="/mous/{mou.pk}/"]'))
        assert mou.authority.name in row.locator("td").first.inner_text()
    # The partner's long name takes a line or two, not seven.
    assert lines_of(page, "[data-testid=report-table] tbody td.name") <= 3

    state = overflow_state(page)
    if viewport == DESKTOP:
        frame = box_of(page, ".table-wrap")
        headers = table.locator("thead th")
        # MoU, partner, line, kind, occupation, pledged, delivered, fulfilment: in view.
        for index in range(8):
            assert visible_in(headers.nth(index).bounding_box(), frame), index
    # Whatever does not fit scrolls, says so, and can be scrolled from the keyboard.
    assert state["hintShown"] == state["overflows"]
    assert state["focusable"] == state["overflows"]
    if viewport != DESKTOP:
        assert state["overflows"] and state["hintShown"]
    assert_accessible(page)


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEWPORT_IDS)
def test_the_per_group_report_shows_a_hint_whenever_it_scrolls(
    world, two_authorities_one_number, open_browser, viewport
):
    page = open_browser(viewport=viewport)
    log_in(page, world.official)
    page.goto("/reports/groups/")
    keep_screenshot(page, f"report-groups-{viewport['width']}")

    state = overflow_state(page)
    if viewport == DESKTOP:
        frame = box_of(page, ".table-wrap")
        headers = page.get_by_test_id("report-table").locator("thead th")
        # Group, pledged, delivered, women, men, fulfilment, retention: in view.
        for index in range(7):
            assert visible_in(headers.nth(index).bounding_box(), frame), index
    assert state["hintShown"] == state["overflows"]
    assert state["focusable"] == state["overflows"]
    page_overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(page_overflow) <= 1


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEWPORT_IDS)
def test_the_province_page_year_filter_is_a_list_of_years(world, open_browser, viewport):
    from django.utils import timezone

    from tests.browser.steps import vi

    bring_to(make_mou(world.ben_luc, world.garment, number=7), "active")
    page = open_browser(viewport=viewport)
    log_in(page, world.staff)
    page.goto("/reports/province/")
    keep_screenshot(page, f"province-{viewport['width']}")

    year = page.locator("#summary-year")
    assert year.evaluate("element => element.tagName") == "SELECT"
    assert year.bounding_box()["height"] < 48  # one line, not a tall empty box
    this_year = str(timezone.localdate().year)
    year.select_option(this_year)
    page.locator("form.province-filters button[type=submit]").click()
    page.wait_for_url(f"**year={this_year}**")
    assert page.locator("#summary-year").input_value() == this_year
    # Staff read their own authority's figures, and the title says so.
    assert page.locator("h1").inner_text().startswith(vi("Summary of your authority"))
    assert world.ben_luc.name in page.locator("h1").inner_text()
    assert_accessible(page)


def test_an_official_clicks_from_the_per_partner_to_the_quarter_report(
    world, two_authorities_one_number, open_browser
):
    """The report tabs as an official uses them: per partner, then per year and quarter,
    each showing what the two MoUs delivered this quarter."""
    from django.utils import timezone

    page = open_browser(viewport=DESKTOP)
    log_in(page, world.official)
    page.goto("/reports/mous/")
    page.locator('a[href="/reports/partners/"]').first.click()
    page.wait_for_url("**/reports/partners/")
    row = page.get_by_test_id("report-table").locator("tbody tr", has_text=LONG_NAME)
    cells = [cell.strip() for cell in row.locator("td").all_inner_texts()]
    # Name, tax code, then two MoUs, the places their lines pledged, both delivered.
    pledged = sum(mou.pledges.get().quantity for mou in two_authorities_one_number)
    assert cells[2:5] == ["2", str(pledged), "2"], cells
    assert_accessible(page)

    page.locator('a[href="/reports/periods/"]').first.click()
    page.wait_for_url("**/reports/periods/")
    today = timezone.localdate()
    this_quarter = f"{today.year} Q{(today.month - 1) // 3 + 1}"
    row = page.get_by_test_id("report-table").locator("tbody tr", has_text=this_quarter)
    cells = [cell.strip() for cell in row.locator("td").all_inner_texts()]
    assert cells[1:4] == ["2", str(pledged), "2"], cells
    assert_accessible(page)
