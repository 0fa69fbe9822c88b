"""Staff follow a signing from the dashboard: a work-queue count leads to the filtered MoU
list, the MoU page shows the signing as steps with the next action as the main button, and
each click moves the steps on, on a desktop and a phone."""

import re
from urllib.parse import urlparse

import pytest
from django.core import mail

from partnerships.models import MouState
from tests.factories import bring_to
from tests.factories.browser import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

VIEWPORTS = {
    "desktop": {"width": 1366, "height": 768},
    "phone": {"width": 390, "height": 844},
}


def step_status(page, key: str) -> str:
    return page.locator(f'[data-step="{key}"]').get_attribute("data-status")


def fits_the_width(page) -> bool:
    """Nothing sticks out sideways (wide tables scroll inside their own box)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.usefixtures("signing_settings")
@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_staff_follow_a_signing_from_the_work_queue_to_the_invitation_being_opened(
    world, open_browser, viewport
):
    mou = bring_to(world.mou, MouState.SENT)
    page = open_browser(viewport=viewport)
    log_in(page, world.staff)

    # The dashboard counts the MoU as waiting for the authority and links to the list.
    page.goto("/")
    queue = page.locator('[data-queue="awaiting_authority"] a')
    assert queue.is_visible() and fits_the_width(page)
    assert queue.locator(".count").inner_text() == "1"
    assert "Chờ cơ quan ký" in queue.inner_text()
    queue.click()
    page.wait_for_url("**/mous/?queue=awaiting_authority")
    assert page.locator("#id_queue").input_value() == "awaiting_authority"  # the filter shows
    rows = page.locator(".table-wrap table tbody tr")
    assert rows.count() == 1
    rows.first.get_by_role("link", name=mou.document_number).click()
    page.wait_for_url(f"**{mou.get_absolute_url()}")

    # The steps: sent, and the authority's signature is next, as the main button.
    progress = page.get_by_test_id("signing-progress")
    assert progress.is_visible()
    assert step_status(page, "sent") == "done"
    assert step_status(page, "authority_signed") == "current"
    assert fits_the_width(page)
    progress.get_by_test_id("next-action").locator("button.primary").click()
    page.wait_for_load_state()
    assert step_status(page, "authority_signed") == "done"
    assert step_status(page, "invitation_sent") == "current"

    # Next: the invitation, now the main button.
    invite = progress.get_by_test_id("next-action").locator("button.primary")
    assert invite.inner_text() == "Gửi lời mời ký"
    invite.click()
    page.wait_for_load_state()
    assert step_status(page, "invitation_sent") == "done"
    assert step_status(page, "invitation_opened") == "current"
    assert "Đang chờ Nguyễn Thị Hoa ký." in progress.inner_text()

    # The legal representative opens the emailed link in their own browser...
    link = re.search(r"https?://\S+/sign/[^/\s]+/", mail.outbox[-1].body).group(0)
    signer = open_browser(viewport=VIEWPORTS["phone"])
    signer.goto(urlparse(link).path)
    signer.wait_for_load_state()

    # ...and the staff's page shows it, with the business's signature as the next step.
    page.reload()
    assert step_status(page, "invitation_opened") == "done"
    assert step_status(page, "business_signed") == "current"
    assert page.locator('[aria-current="step"]').get_attribute("data-step") == "business_signed"
    assert fits_the_width(page)

    # The dashboard now counts it among the open invitations.
    page.goto("/")
    assert page.locator('[data-queue="awaiting_authority"] .count').inner_text() == "0"
    open_queue = page.locator('[data-queue="invitation_open"] a')
    assert open_queue.locator(".count").inner_text() == "1"
    open_queue.click()
    page.wait_for_url("**/mous/?queue=invitation_open")
    assert page.locator(".table-wrap table tbody tr").count() == 1
