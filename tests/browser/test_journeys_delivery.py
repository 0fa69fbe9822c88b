"""After signing, in a real browser: the business reports a placement under its MoU, the
authority's staff confirm it, and a provincial official reads the figures in the reports and
records a mid-term review, which keeps the figures of the day."""

import pytest
from django.utils import timezone

from partnerships.models import (
    Assessment,
    Confirmation,
    ContractType,
    MouState,
    Placement,
    ReviewKind,
    TargetGroup,
)
from tests.browser.accessibility import assert_accessible
from tests.browser.steps import VIEWPORT_IDS, VIEWPORTS, messages, one_line, submit, vi
from tests.factories import bring_to, dmy
from tests.factories.browser import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# A valid 12-digit citizen ID (province 079, a man born in 2003).
NATIONAL_ID = "079203001234"
PERSON = "Nguyễn Văn Bình"


@pytest.fixture
def active_mou(world):
    """The garment factory's MoU with Bến Lức (5 jobs as garment workers), in force."""
    return bring_to(world.mou, MouState.ACTIVE)


def open_mou_from_the_list(page, mou):
    page.locator('.mainnav a[href="/mous/"]').click()
    page.wait_for_url("**/mous/")
    with page.expect_navigation():
        page.locator(f'main a[href="/mous/{mou.pk}/"]').first.click()
    assert page.locator("h1").inner_text() == mou.title


def delivery_row(page, line: int) -> list[str]:
    row = page.get_by_test_id("pledge-delivery").locator("tbody tr").nth(line - 1)
    return [one_line(cell) for cell in row.locator("td").all_inner_texts()]


def business_reports_a_placement(page, world, mou):
    log_in(page, world.business)
    open_mou_from_the_list(page, mou)
    with page.expect_navigation():
        page.locator(f'a[href="/mous/{mou.pk}/placements/"]').click()
    assert page.locator("h1").inner_text() == vi("Pledged and delivered")
    with page.expect_navigation():
        page.locator(f'a[href="/mous/{mou.pk}/placements/new/"]').click()
    assert page.locator("h1").inner_text() == vi("Report a placement")
    assert_accessible(page)

    today = dmy(timezone.localdate())
    page.select_option("#id_pledge", str(mou.pledges.get().pk))
    page.fill("#id_start_date", today)
    page.fill("#id_monthly_wage", "6500000")
    page.select_option("#id_contract_type", ContractType.LABOUR_12_MONTHS_OR_MORE)
    page.fill("#id_national_id", NATIONAL_ID)
    page.fill("#id_full_name", PERSON)
    page.select_option("#id_gender", "male")
    page.fill("#id_birth_year", "2003")
    page.select_option("#id_target_group", str(TargetGroup.objects.get(code="completed_prison").pk))
    page.fill("#id_consent_given_on", today)
    submit(page, "main form button[type=submit].primary")

    placement = Placement.objects.get()
    assert vi("Placement %(reference)s recorded.", reference=placement.reference) in messages(page)
    # Line 1: 5 places pledged, none delivered yet, one awaiting the staff's confirmation.
    assert delivery_row(page, 1)[2:5] == ["5", "0", "1"]
    assert PERSON not in page.content()  # the business sees counts, not the person's name
    return placement


def staff_confirm_it(page, world, placement):
    log_in(page, world.staff)
    with page.expect_navigation():
        page.locator('.mainnav a[href="/placements/"]').click()
    row = page.get_by_test_id("placement-list").locator("tbody tr", has_text=placement.reference)
    assert vi(Confirmation.REPORTED.label) in row.inner_text()
    assert_accessible(page)
    with page.expect_navigation():
        row.locator(f'a[href="/placements/{placement.pk}/"]').click()
    assert page.get_by_test_id("confirmation").inner_text() == vi(Confirmation.REPORTED.label)

    submit(page, f'form[action="/placements/{placement.pk}/confirm/"] button[type=submit]')
    assert vi("Placement confirmed: it counts as delivered.") in messages(page)
    assert page.get_by_test_id("confirmation").inner_text() == vi(Confirmation.CONFIRMED.label)
    # Nothing left to decide on this placement.
    assert page.locator(f'form[action="/placements/{placement.pk}/confirm/"]').count() == 0
    placement.refresh_from_db()
    assert placement.confirmation == Confirmation.CONFIRMED
    assert placement.decided_by == world.staff


def official_reads_the_report(page, world, mou):
    log_in(page, world.official)
    with page.expect_navigation():
        page.locator('.mainnav a[href="/reports/mous/"]').click()
    assert page.get_by_test_id("report-chart").locator("svg").count() == 1
    row = page.get_by_test_id("report-table").locator("tbody tr", has_text=mou.document_number)
    assert row.count() == 1
    cells = [one_line(cell) for cell in row.locator("td").all_inner_texts()]
    # MoU (authority and year under it), partner, line, kind, occupation, pledged,
    # delivered, fulfilment…
    assert cells[0] == f"{mou.document_number} {mou.authority.name} · {mou.year}"
    assert cells[1:3] == [mou.partner.name, "1"]
    assert cells[4:8] == ["Công nhân may", "5", "1", "20%"]
    assert_accessible(page)
    with page.expect_navigation():
        row.locator(f'a[href="/mous/{mou.pk}/"]').click()
    assert page.locator("h1").inner_text() == mou.title


def official_records_a_review(page, mou):
    page.select_option("#id_kind", ReviewKind.MID_TERM)
    page.fill("#id_reviewed_on", dmy(timezone.localdate()))
    page.select_option("#id_assessment", Assessment.PARTLY_MET)
    page.fill("#id_notes", "Mới tiếp nhận 1/5 người; doanh nghiệp cam kết tuyển thêm.")
    submit(page, f'form[action="/mous/{mou.pk}/reviews/"] button[type=submit]')

    assert vi("Review recorded.") in messages(page)
    review = mou.reviews.get()
    assert review.recorded_by.username == "official"
    entry = page.locator("main li", has=page.get_by_test_id("review-figures"))
    text = one_line(entry.inner_text())
    assert text.startswith(
        f"{vi(ReviewKind.MID_TERM.label)} · {timezone.localdate():%d/%m/%Y} · "
        f"{vi(Assessment.PARTLY_MET.label)} — Mới tiếp nhận 1/5 người"
    )
    # The figures of the day, kept with the review: open them.
    page.get_by_test_id("review-figures").locator("summary").click()
    figures = page.get_by_test_id("review-figures").locator("tbody tr").first
    cells = [one_line(cell) for cell in figures.locator("td").all_inner_texts()]
    assert cells[:5] == ["1", "Công nhân may", "5", "1", "20%"]
    assert_accessible(page)


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEWPORT_IDS)
def test_a_placement_is_reported_confirmed_and_counted_in_the_reports_and_a_review(
    world, active_mou, open_browser, viewport
):
    placement = business_reports_a_placement(open_browser(viewport=viewport), world, active_mou)
    staff_confirm_it(open_browser(viewport=viewport), world, placement)
    official = open_browser(viewport=viewport)
    official_reads_the_report(official, world, active_mou)
    official_records_a_review(official, active_mou)
