"""In a real browser: the staff of the authority that manages a person find, on their
dashboard, a report that gave other details than those registered, compare them on an
accessible page, and settle it; the business's page never showed a thing."""

import pytest

from partnerships.models import Confirmation, IdentityConflict, Placement
from tests.browser.accessibility import assert_accessible
from tests.factories.browser import DESKTOP, PHONE, log_in
from tests.factories.placements import person_details, report

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_managing_staff_settle_a_report_with_other_details(
    placements_world, open_browser, viewport
):
    w = placements_world
    report(w, w.staff)  # Nguyễn Văn An, registered by the staff who manage him
    held = report(w, person=person_details(w, full_name="Lê Thị Mai"), start_date=w.today)

    business = open_browser(viewport=viewport)
    log_in(business, w.business)
    business.goto(f"/placements/{held.pk}/")
    assert business.get_by_test_id("confirmation").inner_text() == "Chờ xác nhận"
    assert "Lê Thị Mai" not in business.content() and "Nguyễn Văn An" not in business.content()

    staff = open_browser(viewport=viewport)
    log_in(staff, w.staff)
    staff.locator('a[href="/placements/?queue=identity_conflicts"]').first.click()
    staff.locator(f'a[href="/placements/{held.pk}/"]').click()
    conflict = staff.get_by_test_id("identity-conflict")
    assert "Nguyễn Văn An" in conflict.inner_text() and "Lê Thị Mai" in conflict.inner_text()
    assert_accessible(staff)
    staff.get_by_role("button", name="Cùng một người: giữ thông tin đã đăng ký").click()
    staff.get_by_role("button", name="Xác nhận", exact=True).click()
    staff.wait_for_load_state()
    held.refresh_from_db()
    assert held.confirmation == Confirmation.CONFIRMED
    assert not IdentityConflict.objects.exists()
    assert Placement.objects.filter(person=held.person).count() == 2
