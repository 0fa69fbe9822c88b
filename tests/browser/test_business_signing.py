"""The business signs, in a real Chromium, from the link in its email: on a phone and on a
desktop, with a one-time code, with its own certificate, or declining; and a business
representative signs from the MoU page. Real clicks and real form posts through Django's
CSRF checks; each step asserts what the person sees, in their language (Vietnamese here).

The authority's signature and the invitation are made through the services (the staff's
journey is tested on its own); the invitation email is read from Django's locmem outbox,
which the live server shares with the test.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from partnerships.models import (
    AuditEvent,
    InvitationOutcome,
    MouState,
    PdfRevision,
    SigningInvitation,
)
from partnerships.signing import authority, invitations
from partnerships.signing.pdf import pades
from tests.factories import bring_to
from tests.factories.browser import log_in, outside_the_browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
VIEWPORTS = [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "signer-page-phone.png"

SEND_CODE = '#seal form[action$="/signing/code/#seal"] button.primary'
SIGN = '#seal form[action$="/signing/seal/#seal"] button[type=submit]'


def vi(text: str, **values) -> str:
    """What the person reads: the message in Vietnamese, as the page shows it."""
    with translation.override("vi"):
        translated = gettext(text)
    return translated % values if values else translated


@pytest.fixture
def invited(world, signing_settings):
    """The MoU signed by the authority and the invitation emailed: (mou, path of the link)."""
    mou = bring_to(world.mou, MouState.SENT)
    authority.certify(mou, actor=world.staff)
    invitations.send_invitation(mou, actor=world.staff)
    link = re.search(r"https?://\S+/sign/[^/\s]+/", mail.outbox[-1].body).group(0)
    return mou, urlsplit(link).path


class Actions:
    """Counts what the person does: each click, each text typed, each box ticked."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def click(self, selector):
        self.count += 1
        self.page.locator(selector).click()

    def type(self, selector, text):
        self.count += 1
        self.page.locator(selector).fill(text)

    def tick(self, selector):
        self.count += 1
        self.page.locator(selector).check()


def last_code() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def expect_first_screen(page, mou):
    """Who asks, what, by when, and the steps, on the first screen; the token is gone."""
    assert urlsplit(page.url).path == "/signing/"
    head = page.locator("header.signer-head")
    assert mou.title in head.inner_text()
    assert mou.document_number in head.inner_text()
    assert mou.authority.name in head.inner_text()
    assert vi("Waiting for your signature") in page.get_by_test_id("signer-state").inner_text()
    assert "Công nhân may" in page.get_by_test_id("pledge-sentence").inner_text()
    assert page.get_by_test_id("expires").is_visible()
    steps = page.locator(".steps .step")
    assert steps.count() == 3
    assert page.locator('.steps .step[aria-current="step"]').count() == 1
    # The document is readable in the page: its pages as images, the signature box marked.
    images = page.locator(".pdf-page img")
    assert images.count() >= 1
    images.first.scroll_into_view_if_needed()
    assert page.evaluate("document.querySelector('.pdf-page img').naturalWidth") > 0
    assert page.get_by_test_id("sign-here").count() == 1
    assert page.locator(".sign-here-mark rect").count() == 1


def expect_signed(page):
    assert vi("Signed by both parties") in page.get_by_test_id("signer-state").inner_text()
    assert page.get_by_test_id("signed").is_visible()
    assert page.locator("#seal").count() == 0  # nothing left to sign


def download(page, selector) -> bytes:
    with page.expect_download() as event:
        page.locator(selector).click()
    return Path(event.value.path()).read_bytes()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_business_signs_with_a_code_from_the_emailed_link(invited, open_browser, viewport):
    mou, link = invited
    page = open_browser(viewport=viewport)

    page.goto(link)
    expect_first_screen(page, mou)
    if viewport is PHONE:
        page.evaluate("window.scrollTo(0, 0)")
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))

    # Ask for the code: the page comes back to the form, saying where the code went.
    page.locator(SEND_CODE).click()
    page.wait_for_url("**/signing/#code")
    notice = page.locator("#seal").get_by_test_id("signing-notice")
    assert vi("We sent a 6-digit code to %(email)s. Type it below.", email="h***@example.com") in (
        notice.inner_text()
    )
    assert page.evaluate("document.activeElement.id") == "code"
    code = last_code()

    # A wrong code: told beside the form, what was typed and ticked is still there.
    wrong = "000000" if code != "000000" else "111111"
    page.fill("#code", wrong)
    page.check('input[name="consent"]')
    page.locator(SIGN).click()
    page.wait_for_url("**/signing/seal/#seal")
    error = page.locator("#seal").get_by_test_id("signing-error")
    assert vi("The code is not right. You can try %(count)s more time(s).", count=4) in (
        error.inner_text()
    )
    assert page.input_value("#code") == wrong
    assert page.is_checked('input[name="consent"]')

    # The right code: signed.
    page.fill("#code", code)
    page.locator(SIGN).click()
    page.wait_for_url("**/signing/#done")
    expect_signed(page)
    assert vi("Signed. The MoU is now signed by both parties.") in (
        page.get_by_test_id("signing-notice").inner_text()
    )
    mou.refresh_from_db()
    assert mou.state == MouState.SIGNED

    # The final PDF and the completion certificate.
    final = PdfRevision.objects.filter(mou=mou).order_by("-sequence").first()
    assert download(page, 'a[href="/signing/final.pdf"]') == bytes(final.pdf)
    assert download(page, 'a[href="/signing/certificate.pdf"]').startswith(b"%PDF")

    # The link used again, here and in another browser: it shows the outcome, signs nothing.
    page.goto(link)
    expect_signed(page)
    elsewhere = open_browser(viewport=viewport)
    elsewhere.goto(link)
    expect_signed(elsewhere)
    assert PdfRevision.objects.filter(mou=mou).count() == 3


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_from_the_link_to_signed_takes_four_actions(invited, open_browser, viewport):
    _mou, link = invited
    page = open_browser(viewport=viewport)
    page.goto(link)
    person = Actions(page)

    person.click(SEND_CODE)
    page.wait_for_url("**/signing/#code")
    person.type("#code", last_code())
    person.tick('input[name="consent"]')
    person.click(SIGN)
    page.wait_for_url("**/signing/#done")

    expect_signed(page)
    assert person.count <= 4


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_business_signs_with_its_own_certificate(
    invited, open_browser, viewport, signer_for, tmp_path
):
    mou, link = invited
    page = open_browser(viewport=viewport)
    page.goto(link)
    own = page.locator("#own")
    assert vi("Or sign with your own digital certificate (USB token)") in own.inner_text()

    # Download, sign outside the browser (as a USB token's software would), upload.
    prepared = download(page, '#own a[href="/signing/document.pdf"]')
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(
        outside_the_browser(pades.sign_as_business, prepared, signer_for("business"))
    )
    page.set_input_files("#pdf", str(signed))
    page.locator('#own button[type="submit"]').click()
    page.wait_for_url("**/signing/#done")

    expect_signed(page)
    assert vi("Your signed PDF was accepted. The MoU is now signed by both parties.") in (
        page.get_by_test_id("signing-notice").inner_text()
    )
    mou.refresh_from_db()
    assert mou.state == MouState.SIGNED
    assert mou.signatures.get(party="business").method == "certificate"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_an_upload_of_the_wrong_file_is_refused_beside_the_form(
    invited, open_browser, viewport, tmp_path
):
    mou, link = invited
    page = open_browser(viewport=viewport)
    page.goto(link)
    unsigned = tmp_path / "unsigned.pdf"
    unsigned.write_bytes(download(page, '#own a[href="/signing/document.pdf"]'))

    page.set_input_files("#pdf", str(unsigned))
    page.locator('#own button[type="submit"]').click()
    page.wait_for_url("**/signing/upload/#own")

    assert page.locator("#own").get_by_test_id("signing-error").is_visible()
    assert vi("Waiting for your signature") in page.get_by_test_id("signer-state").inner_text()
    mou.refresh_from_db()
    assert mou.state == MouState.SENT


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_business_declines_with_a_reason(invited, open_browser, viewport):
    mou, link = invited
    page = open_browser(viewport=viewport)
    page.goto(link)

    page.fill("#reason", "Chưa đủ nhu cầu tuyển dụng năm nay.")
    page.locator('#decline button[type="submit"]').click()
    page.wait_for_url("**/signing/#done")

    assert vi("You declined") in page.get_by_test_id("signer-state").inner_text()
    assert vi("You declined this MoU; the authority will see your reason.") in (
        page.get_by_test_id("signing-notice").inner_text()
    )
    assert page.locator("#decline").count() == 0
    mou.refresh_from_db()
    assert mou.state == MouState.DECLINED
    assert "Chưa đủ nhu cầu tuyển dụng năm nay." in (
        AuditEvent.objects.get(mou=mou, action="mou.declined").note
    )


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_language_switch_works_on_the_signers_page(invited, open_browser, viewport):
    _mou, link = invited
    page = open_browser(viewport=viewport)
    page.goto(link)

    page.locator('.session button[value="en"]').click()
    page.wait_for_load_state()

    assert urlsplit(page.url).path == "/signing/"
    assert "Waiting for your signature" in page.get_by_test_id("signer-state").inner_text()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_business_representative_signs_from_the_mou_page(world, invited, open_browser, viewport):
    mou, _link = invited
    page = open_browser(viewport=viewport)
    log_in(page, world.business)
    page.goto(mou.get_absolute_url())
    section = page.get_by_test_id("business-signing")
    assert vi("Waiting for your signature") in section.inner_text()

    section.locator('button[type="submit"]').click()
    page.wait_for_url("**/signing/")
    expect_first_screen(page, mou)
    page.locator(SEND_CODE).click()
    page.wait_for_url("**/signing/#code")
    page.fill("#code", last_code())
    page.check('input[name="consent"]')
    page.locator(SIGN).click()
    page.wait_for_url("**/signing/#done")
    expect_signed(page)

    page.goto(mou.get_absolute_url())
    assert page.locator(f'a[href="/mous/{mou.pk}/signing/final.pdf"]').is_visible()
    assert page.get_by_test_id("business-signing").count() == 0
    assert SigningInvitation.objects.get(mou=mou).outcome == InvitationOutcome.SIGNED_WITH_SEAL
