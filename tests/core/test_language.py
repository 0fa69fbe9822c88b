"""Vietnamese first, whatever the browser asks for; English once the reader chooses it."""

import pytest
from django.urls import reverse

from tests.factories.web import BrowserClient

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")


def page_language(response) -> str:
    return response.headers["Content-Language"]


@pytest.mark.parametrize("browser_languages", ["en", "en-US,en;q=0.9", "fr, en", ""])
def test_the_first_visit_is_in_vietnamese_whatever_the_browser_prefers(browser_languages):
    browser = BrowserClient(HTTP_ACCEPT_LANGUAGE=browser_languages)

    response = browser.get(LOGIN)

    assert page_language(response) == "vi"
    assert '<html lang="vi"' in response.content.decode()


def test_choosing_english_is_kept_for_the_following_pages():
    browser = BrowserClient(HTTP_ACCEPT_LANGUAGE="vi")

    browser.submit(LOGIN, {"language": "en", "next": LOGIN}, action=reverse("set_language"))

    response = browser.get(LOGIN)
    assert page_language(response) == "en"
    assert "Log in" in response.content.decode()
    assert page_language(browser.get(reverse("verify"))) == "en"


def test_choosing_vietnamese_again_wins_over_an_english_browser():
    browser = BrowserClient(language="en", HTTP_ACCEPT_LANGUAGE="en")

    browser.submit(LOGIN, {"language": "vi", "next": LOGIN}, action=reverse("set_language"))

    assert page_language(browser.get(LOGIN)) == "vi"


@pytest.mark.parametrize("cookie", ["de", "xx-YY", "en\\x00", "' OR 1=1"])
def test_a_language_cookie_the_registry_does_not_offer_gives_vietnamese(cookie):
    browser = BrowserClient(language=cookie)

    assert page_language(browser.get(LOGIN)) == "vi"


def test_pages_tell_caches_that_the_language_depends_on_the_cookie():
    response = BrowserClient().get(LOGIN)

    assert "Cookie" in response.headers["Vary"]
