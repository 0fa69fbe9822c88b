"""The view tests' client: it checks CSRF as the site does, and submits forms the way a browser
does (open the page, post the form with the token the page gave it), so a form that lacks
`{% csrf_token %}` fails its test instead of failing in production."""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.test import Client
from django.urls import reverse

TOKEN_FIELD = "csrfmiddlewaretoken"


class CsrfRejected(AssertionError):
    pass


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW of the tests: a refused token is a broken form or a broken test,
    never a refusal a test should count as the view's own 403."""
    raise CsrfRejected(
        f"The CSRF check refused POST {request.path} ({reason}). A test posts with "
        "`submit()` (the token of the page's form) or `post_by_hand()`; if it did, the "
        "form lacks {% csrf_token %}."
    )


class _PostForms(HTMLParser):
    """The POST forms of a page: where each posts (None: to the page itself) and the CSRF
    token it carries."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._open = None
            if (attrs.get("method") or "get").lower() == "post":
                self._open = {"action": attrs.get("action"), "token": None}
                self.forms.append(self._open)
        elif tag == "input" and self._open is not None and attrs.get("name") == TOKEN_FIELD:
            self._open["token"] = attrs.get("value")

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def form_token(page_url: str, html: str, action: str) -> str:
    """The CSRF token of the form on the page that posts to `action`."""
    parser = _PostForms()
    parser.feed(html)
    wanted = urlsplit(urljoin(page_url, action)).path
    posting_there = [
        form
        for form in parser.forms
        if urlsplit(urljoin(page_url, form["action"] or page_url)).path == wanted
    ]
    assert posting_there, f"{page_url} has no form that posts to {wanted}"
    token = posting_there[0]["token"]
    assert token, f"the form of {page_url} that posts to {wanted} has no {{% csrf_token %}}"
    return token


class BrowserClient(Client):
    """A test client with the CSRF check on, as in production.

    `language="en"` acts as a reader who chose English with the language buttons (the
    language cookie); without it the pages are in the registry's default, Vietnamese.
    """

    def __init__(self, *, language: str | None = None, **defaults):
        super().__init__(enforce_csrf_checks=True, **defaults)
        if language:
            self.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    def submit(self, page: str, data=None, *, action: str | None = None, **extra):
        """Submit the form of `page` that posts to `action` (default: the page itself) as a
        browser does: open the page, then post `data` with the CSRF token of that form (the
        cookie came with the page). `extra` goes to the post (`follow=True`, headers)."""
        response = self.get(page)
        assert response.status_code == 200, f"{page} answered {response.status_code}"
        token = form_token(page, response.content.decode(), action or page)
        return self.post(action or page, {**(data or {}), TOKEN_FIELD: token}, **extra)

    def post_by_hand(self, url: str, data=None, **extra):
        """Post to `url` without opening the page of its form: a request from an old page or
        made by hand. It carries the session's valid CSRF token, so what a test sees is the
        view's own answer (a permission refused, an expired link), not the CSRF check."""
        return self.post(url, {**(data or {}), TOKEN_FIELD: self.csrf_token()}, **extra)

    def csrf_token(self) -> str:
        """The session's CSRF token, as a browser holds it after opening any page (every
        page carries the language form)."""
        if settings.CSRF_COOKIE_NAME not in self.cookies:
            self.get(reverse("verify"))
        return self.cookies[settings.CSRF_COOKIE_NAME].value
