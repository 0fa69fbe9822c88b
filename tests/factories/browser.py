"""The browser tests' Chromium: where it is, how it starts, the screen sizes, logging in
through the form, and the evidence a failed test leaves."""

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# Where a failed test leaves a screenshot and the HTML of each page it had open.
FAILURE_DIR = Path(
    os.environ.get("BROWSER_FAILURE_DIR", Path(tempfile.gettempdir()) / "browser-failures")
)
# Seconds are plenty for a local server; a hang should fail fast, not stall the suite.
TIMEOUT_MS = 15_000


def keep_evidence(test_name, pages):
    FAILURE_DIR.mkdir(parents=True, exist_ok=True)
    for number, page in enumerate(pages):
        stem = FAILURE_DIR / f"{test_name}-{number}"
        try:
            page.screenshot(path=f"{stem}.png", full_page=True)
            Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
        except Exception as error:  # evidence is best effort
            Path(f"{stem}.txt").write_text(f"{page.url}: {error}", encoding="utf-8")


def log_in(page, user):
    """Log in through the login form; users built by make_user have "pw-<username>"."""
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw-" + user.username)
    page.locator("main form button[type=submit], main form input[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login/" not in url)


def outside_the_browser(work, *args, **kwargs):
    """Run `work` in a thread of its own: pyHanko runs an event loop, and a browser test's
    thread already has Playwright's."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work, *args, **kwargs).result()
