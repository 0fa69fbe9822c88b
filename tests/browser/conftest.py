"""A real Chromium, driven by Playwright, against the app served by pytest-django's live_server.

The browser is Debian's Chromium (`apt-get install chromium`); Playwright's own browser
downloads are never used.

Two things about Playwright's sync API shape these fixtures. It keeps an asyncio event loop
in the test's thread, so Django refuses database calls there (SynchronousOnlyOperation)
unless DJANGO_ALLOW_ASYNC_UNSAFE is set; and while that loop exists Django hands out
*other* connection objects in this thread (asgiref keeps thread-critical locals per
context when a loop is present). So Playwright runs only inside each browser test, started
after the test database is ready and stopped, with its connections closed, before the
database is emptied; no other test in the session ever sees the loop.

Browser tests need a transactional test database (the live server runs in another
thread), and a transactional test empties every table when it ends. The default target
groups and role groups come from a data migration, so these tests ask for a serialized
rollback, which restores them before each test.
"""

import os
import tempfile
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Where a failed test leaves a screenshot and the HTML of each page it had open.
FAILURE_DIR = Path(
    os.environ.get("BROWSER_FAILURE_DIR", Path(tempfile.gettempdir()) / "browser-failures")
)
# Seconds are plenty for a local server; a hang should fail fast, not stall the suite.
TIMEOUT_MS = 15_000


@pytest.fixture
def chromium(live_server, monkeypatch):
    """A headless Chromium for one test; the test database and live server come first."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # The connections opened while the loop existed are not the ones pytest-django
            # manages; close them so PostgreSQL can drop the test database at the end.
            connections.close_all()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_test_failed = report.failed
    return report


def _keep_evidence(test_name, pages):
    FAILURE_DIR.mkdir(parents=True, exist_ok=True)
    for number, page in enumerate(pages):
        stem = FAILURE_DIR / f"{test_name}-{number}"
        try:
            page.screenshot(path=f"{stem}.png", full_page=True)
            Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
        except Exception as error:  # evidence is best effort
            Path(f"{stem}.txt").write_text(f"{page.url}: {error}", encoding="utf-8")


@pytest.fixture
def open_browser(live_server, chromium, request):
    """Open a fresh browser context on the live server; call it again for a second user.

    The browser asks for Vietnamese first, as the registry's users' browsers do.
    """
    contexts = []

    def open_page(*, viewport=DESKTOP, locale="vi-VN"):
        context = chromium.new_context(
            base_url=live_server.url,
            viewport=viewport,
            locale=locale,
            accept_downloads=True,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    if getattr(request.node, "browser_test_failed", False):
        _keep_evidence(request.node.name, [p for c in contexts for p in c.pages])
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_browser):
    return open_browser()


def log_in(page, user):
    """Log in through the login form; users made by tests.factories.make_user have the
    password "pw-<username>"."""
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw-" + user.username)
    page.locator("main form button[type=submit], main form input[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login/" not in url)
