"""Staff record a dialogue with businesses: the attendance grid, an MoU signed there, and
the event's report with its totals; an official of the province reads the same report."""

from datetime import timedelta

import pytest

from partnerships.models import Event, TargetGroup
from tests.browser.accessibility import assert_accessible
from tests.browser.steps import messages, one_line, submit, vi
from tests.factories.browser import DESKTOP, PHONE, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def count_field(page, group_code: str, gender: str):
    group = TargetGroup.objects.get(code=group_code)
    return page.locator(f"#id_attendance_{group.pk}_{gender}")


def test_staff_record_an_event_and_read_its_report(placements_world, open_browser):
    w = placements_world
    held_on = w.today - timedelta(days=3)
    page = open_browser(viewport=DESKTOP)
    log_in(page, w.staff)

    page.locator(".mainnav a", has_text=vi("Events")).click()
    page.wait_for_url("**/events/")
    page.get_by_role("link", name=vi("Record an event")).click()
    page.wait_for_url("**/events/new/")
    page.select_option("#id_kind", "dialogue")
    page.fill("#id_title", "Đối thoại giữa chính quyền và doanh nghiệp")
    page.fill("#id_held_on", held_on.strftime("%d/%m/%Y"))
    page.fill("#id_place", "Hội trường UBND xã Bến Lức")
    page.fill("#id_organisers", "Công an xã Bến Lức")
    count_field(page, "completed_prison", "male").fill("30")
    count_field(page, "completed_prison", "female").fill("4")
    count_field(page, "post_rehab", "male").fill("12")
    count_field(page, "community_sentence", "female").fill("6")
    # The totals follow the numbers as they are typed.
    assert page.get_by_test_id("grand-total").inner_text() == "52"
    page.get_by_label(w.active_mou.document_number).check()
    assert_accessible(page)
    submit(page, page.get_by_role("button", name=vi("Save event")))

    event = Event.objects.get()
    page.wait_for_url(f"**/events/{event.pk}/")
    assert messages(page) == [
        vi("Event “%(title)s” saved.", title="Đối thoại giữa chính quyền và doanh nghiệp")
    ]
    assert page.get_by_test_id("attendance-total").inner_text() == "52"
    assert page.get_by_test_id("female-total").inner_text() == "10"
    assert page.get_by_test_id("male-total").inner_text() == "42"
    rows = page.get_by_test_id("attendance").locator("tbody tr")
    prison = rows.filter(has_text=str(TargetGroup.objects.get(code="completed_prison").name_vi))
    assert one_line(prison.inner_text()).endswith("4 30 34")
    mous = page.get_by_test_id("event-mous")
    assert w.active_mou.document_number in mous.inner_text()
    assert w.garment.name in page.get_by_test_id("event-partners").inner_text()
    assert page.get_by_test_id("referred").inner_text() == "0"
    assert_accessible(page)

    # The MoU is a link to its page.
    mous.get_by_role("link", name=w.active_mou.document_number).click()
    page.wait_for_url(f"**/mous/{w.active_mou.pk}/")


def test_a_bad_count_is_refused_beside_its_field(placements_world, open_browser):
    w = placements_world
    page = open_browser(viewport=PHONE)
    log_in(page, w.staff)
    page.goto("/events/new/")
    page.fill("#id_title", "Phiên giao dịch việc làm")
    page.select_option("#id_kind", "job_fair")
    page.fill("#id_held_on", w.today.strftime("%d/%m/%Y"))
    page.fill("#id_place", "Bến Lức")
    count_field(page, "amnesty", "male").fill("-2")
    submit(page, page.get_by_role("button", name=vi("Save event")))

    assert vi("A number of people cannot be negative.") in page.locator("main").inner_text()
    assert not Event.objects.exists()
    assert_accessible(page)


def test_the_official_of_the_province_reads_the_report_but_cannot_edit(
    placements_world, open_browser
):
    from partnerships.events import services

    w = placements_world
    event = services.create_event(
        actor=w.staff,
        details=services.EventDetails(
            authority=w.ben_luc,
            kind="dialogue",
            title="Đối thoại cuối năm",
            held_on=w.today - timedelta(days=10),
            place="Bến Lức",
            attendance={(w.completed_prison.pk, "male"): 80},
        ),
    )
    page = open_browser(viewport=PHONE)
    log_in(page, w.official)
    page.goto("/events/")
    page.get_by_role("link", name="Đối thoại cuối năm").click()
    page.wait_for_url(f"**/events/{event.pk}/")
    assert page.get_by_test_id("attendance-total").inner_text() == "80"
    assert page.get_by_role("link", name=vi("Edit")).count() == 0
    assert_accessible(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_event_pages_fit_the_screen(placements_world, open_browser, viewport):
    import os
    from pathlib import Path

    from partnerships.events import services
    from tests.browser.test_layout import PAGE_OVERFLOW

    w = placements_world
    event = services.create_event(
        actor=w.staff,
        details=services.EventDetails(
            authority=w.ben_luc,
            kind="job_fair",
            title="Phiên giao dịch việc làm cho người chấp hành xong án phạt tù và người sau "
            "cai nghiện trên địa bàn xã Bến Lức",
            held_on=w.today - timedelta(days=10),
            place="Trung tâm Văn hóa - Thể thao xã Bến Lức",
            attendance={(w.completed_prison.pk, "male"): 1200},
            mous=[w.active_mou],
        ),
    )
    page = open_browser(viewport=viewport)
    log_in(page, w.staff)
    overflowing = {}
    for name, path in {
        "event-list": "/events/",
        "event-form": "/events/new/",
        "event-edit": f"/events/{event.pk}/edit/",
        "event-report": f"/events/{event.pk}/",
    }.items():
        page.goto(path)
        if os.environ.get("BROWSER_SCREENSHOT_DIR"):
            folder = Path(os.environ["BROWSER_SCREENSHOT_DIR"])
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=folder / f"{name}-{viewport['width']}.png", full_page=True)
        if page.evaluate(PAGE_OVERFLOW) > 1:
            overflowing[name] = page.evaluate(PAGE_OVERFLOW)
    assert overflowing == {}
