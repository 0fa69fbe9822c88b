"""axe-core finds no serious or critical accessibility violation on the pages people reach
first: login, the public verification pages (empty and with a verdict), the signer's page,
the staff's MoU page and each role's dashboard; on a desktop and on a phone screen."""

import pytest
from django.core.cache import cache

from partnerships.models import MouState
from tests.browser.accessibility import assert_accessible
from tests.browser.signed_mous import final_pdf, invited, signed
from tests.factories import bring_to, make_mou
from tests.factories.browser import DESKTOP, PHONE, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def registry(world, signing_settings):
    """One MoU signed by both parties, one waiting for the business, one in force."""
    world.signed = signed(make_mou(world.ben_luc, world.garment, title="Đã ký"), staff=world.staff)
    world.waiting = invited(world.mou, staff=world.staff)
    bring_to(make_mou(world.ben_luc, world.garment, title="Đang thực hiện"), MouState.ACTIVE)
    return world


@VIEWPORTS
def test_public_pages_have_no_serious_violation(registry, open_browser, viewport):
    page = open_browser(viewport=viewport)

    page.goto("/login/")
    assert_accessible(page)

    page.goto("/verify/")
    assert_accessible(page)
    page.set_input_files(
        "input[type=file]",
        {"name": "mou.pdf", "mimeType": "application/pdf", "buffer": final_pdf(registry.signed)},
    )
    page.locator("main form button[type=submit]").click()
    page.get_by_test_id("verdict-signature").first.wait_for()
    assert_accessible(page)

    page.goto(f"/v/{registry.signed.public_id}/")
    assert_accessible(page)

    page.goto(f"/sign/{registry.waiting.token}/")
    assert_accessible(page)


@VIEWPORTS
def test_signed_in_pages_have_no_serious_violation(registry, open_browser, viewport):
    staff = open_browser(viewport=viewport)
    log_in(staff, registry.staff)
    assert_accessible(staff)  # the dashboard
    staff.goto(f"/mous/{registry.waiting.mou.pk}/")
    assert_accessible(staff)
    staff.goto(f"/mous/{registry.signed.pk}/")
    assert_accessible(staff)

    for user in (registry.official, registry.business):
        page = open_browser(viewport=viewport)
        log_in(page, user)
        assert_accessible(page)


def test_the_check_fails_listing_each_serious_violation(db, page):
    """The check itself can fail: an image without a text alternative, an unlabelled field
    and pale grey text, added to a real page, are each named."""
    page.goto("/login/")
    page.evaluate(
        """() => {
            const main = document.querySelector("main");
            main.insertAdjacentHTML("beforeend", '<img src="/static/none.png">');
            main.insertAdjacentHTML("beforeend", '<input type="text" name="unlabelled">');
            const pale = document.createElement("p");
            pale.textContent = "Chữ xám nhạt trên nền trắng";
            pale.style.color = "#c8c8c8";  // set through the DOM: the page's CSP allows it
            main.append(pale);
        }"""
    )

    with pytest.raises(AssertionError) as failure:
        assert_accessible(page)

    message = str(failure.value)
    assert "[critical] image-alt" in message
    assert "[critical] label" in message
    assert "[serious] color-contrast" in message
