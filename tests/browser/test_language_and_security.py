"""Pages come in Vietnamese first, switch to English, and load nothing the CSP blocks."""

from pathlib import Path

import pytest
from django.conf import settings

from tests.factories.browser import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Records every CSP violation the page reports, however the browser words its console.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def vietnamese_catalogue_compiled():
    return any(
        (Path(path) / "vi" / "LC_MESSAGES" / "django.mo").exists() for path in settings.LOCALE_PATHS
    )


def test_pages_are_vietnamese_by_default_and_switch_to_english(world, page):
    log_in(page, world.staff)
    dashboard_link = page.locator('.mainnav a[href="/"]')
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator('button[name="language"][value="vi"]').get_attribute("class") == (
        "link current"
    )
    if vietnamese_catalogue_compiled():
        assert dashboard_link.inner_text() != "Dashboard"

    page.locator('button[name="language"][value="en"]').click()
    page.wait_for_function("document.documentElement.lang === 'en'")

    assert page.url.endswith("/")
    assert dashboard_link.inner_text() == "Dashboard"
    assert page.locator("h1").inner_text() == "Dashboard"

    page.goto("/mous/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "MoUs"


def test_a_browser_set_to_english_gets_vietnamese_until_the_reader_chooses_english(
    world, open_browser
):
    page = open_browser(locale="en-US")
    page.goto("/login/")
    assert page.locator("html").get_attribute("lang") == "vi"
    if vietnamese_catalogue_compiled():
        assert page.locator("h1").inner_text() != "Log in"

    page.locator('button[name="language"][value="en"]').click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    log_in(page, world.staff)

    # The choice is kept: a page opened later in the same browser is still in English.
    later = page.context.new_page()
    later.goto("/mous/")
    assert later.locator("html").get_attribute("lang") == "en"
    assert later.locator("h1").inner_text() == "MoUs"


def test_the_content_security_policy_blocks_nothing_the_pages_need(world, page):
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    console_violations = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and console_violations.append(message.text)
        ),
    )
    page_errors = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    failed_assets = []
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and "/static/" in response.url
            and failed_assets.append(response.url)
        ),
    )

    log_in(page, world.staff)
    for path in ("/", "/partners/", "/mous/", f"/mous/{world.mou.pk}/", "/mous/new/"):
        response = page.goto(path)
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert page.evaluate("window.__cspViolations") == [], path
    # The script runs (it adds a pledge row) and the stylesheet applies (the brand colour).
    page.locator("button.formset-add").click()
    assert page.locator(".formset .formset-row").count() == 2
    assert page.evaluate("window.__cspViolations") == []
    topbar_colour = page.evaluate(
        "getComputedStyle(document.querySelector('.topbar')).backgroundColor"
    )
    assert topbar_colour == "rgb(164, 22, 26)"

    assert console_violations == []
    assert page_errors == []
    assert failed_assets == []
