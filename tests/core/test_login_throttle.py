"""Login throttling: after a few wrong passwords the username is locked out from that address
for a while, even with the right password; the count lives in the database, so every web
worker sees it; other people and other addresses are not affected."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone, translation

from tests.factories.web import BrowserClient

LOCKED = "Too many failed logins"


def log_in(password, *, username="staff", address="203.0.113.7", url="/login/"):
    browser = BrowserClient(language="en", REMOTE_ADDR=address)
    return browser, browser.submit(url, {"username": username, "password": password})


def is_logged_in(browser) -> bool:
    return "_auth_user_id" in browser.session


def fail(times, **where):
    for _attempt in range(times):
        _browser, response = log_in("wrong-password", **where)
        assert response.status_code in (200, 429)


def test_the_right_password_after_many_wrong_ones_is_refused(world):
    fail(settings.AXES_FAILURE_LIMIT)

    browser, response = log_in("pw-staff")

    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not is_logged_in(browser)
    assert AccessAttempt.objects.filter(username="staff").exists()  # in the database


def test_a_few_mistakes_do_not_lock_anyone_out(world):
    fail(settings.AXES_FAILURE_LIMIT - 1)

    browser, response = log_in("pw-staff")

    assert response.status_code == 302
    assert is_logged_in(browser)


def test_the_lockout_is_per_username_and_address(world):
    fail(settings.AXES_FAILURE_LIMIT)

    elsewhere, _response = log_in("pw-staff", address="198.51.100.20")
    colleague, _response = log_in("pw-official", username="official")

    assert is_logged_in(elsewhere)
    assert is_logged_in(colleague)


def test_the_admin_login_is_throttled_too(world):
    fail(settings.AXES_FAILURE_LIMIT, username="admin", url="/admin/login/")

    browser, response = log_in("pw-admin", username="admin", url="/admin/login/")

    assert response.status_code == 429
    assert not is_logged_in(browser)


def test_the_lockout_ends_after_the_cool_off(world):
    fail(settings.AXES_FAILURE_LIMIT)
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )

    browser, _response = log_in("pw-staff")

    assert is_logged_in(browser)


def test_the_lockout_page_is_translated(world):
    fail(settings.AXES_FAILURE_LIMIT)
    browser = BrowserClient(REMOTE_ADDR="203.0.113.7")
    with translation.override("vi"):
        title = translation.gettext(LOCKED)
    assert title != LOCKED

    response = browser.post_by_hand("/login/", {"username": "staff", "password": "pw-staff"})

    assert response.status_code == 429
    assert title in response.content.decode()


@pytest.mark.parametrize("minutes", [1, 30])
def test_the_page_says_how_long_to_wait(world, settings, minutes):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=minutes)
    fail(settings.AXES_FAILURE_LIMIT)

    _browser, response = log_in("pw-staff")

    expected = "the next 1 minute," if minutes == 1 else f"the next {minutes} minutes,"
    assert expected in response.content.decode()
