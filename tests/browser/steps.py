"""Small steps the journey tests share: press a button and wait for the next page, read
what the page says, and the words the person reads in their language."""

import unicodedata

from django.utils import translation
from django.utils.translation import gettext

from tests.factories.browser import DESKTOP, PHONE

VIEWPORT_IDS = ["desktop", "phone"]
VIEWPORTS = [DESKTOP, PHONE]
# Signing (pyHanko, the test PKI's TSA and OCSP) and LibreOffice take seconds, not minutes.
SLOW_MS = 120_000


def vi(message, **values) -> str:
    """`message` (a msgid, or a lazy label such as a model choice's) as the Vietnamese page
    shows it."""
    with translation.override("vi"):
        text = gettext(message) if isinstance(message, str) else str(message)
    return text % values if values else text


def submit(page, target, *, timeout=SLOW_MS):
    """Click a submit button (a selector or a locator) and wait for the page it leads to."""
    button = page.locator(target) if isinstance(target, str) else target
    with page.expect_navigation(timeout=timeout):
        button.click()


def messages(page) -> list[str]:
    """The messages shown at the top of the page after an action."""
    return [text.strip() for text in page.locator("ul.messages li").all_inner_texts()]


def one_line(text: str) -> str:
    """Text with its line breaks and runs of spaces made single spaces, in NFC."""
    return " ".join(unicodedata.normalize("NFC", text).split())
