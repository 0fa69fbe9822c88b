"""A person who mistypes the password too often is told, in their language, that the account
is locked out for a while, and the right password does not get in until then."""

import pytest
from django.conf import settings
from django.utils import translation

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def submit_login(page, username, password):
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def test_wrong_passwords_lock_the_login_out_and_the_page_says_so(world, page):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        page.goto("/login/")
        submit_login(page, "staff", "not-the-password")

    page.goto("/login/")
    submit_login(page, "staff", "pw-staff")

    with translation.override("vi"):
        heading = translation.gettext("Too many failed logins")
    assert page.locator("h1").inner_text() == heading
    assert page.locator('[data-testid="locked-out"]').is_visible()
    page.goto("/")
    assert "/login/" in page.url  # not logged in
