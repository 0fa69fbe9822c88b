"""Anyone, without an account, checks a signed MoU in a real browser: the final PDF and a
tampered copy on /verify/, then the MoU's public page reached from its QR code's address.

The MoU is signed beforehand with the project's signing services (real pyHanko over the
test PKI), its QR code pointing at the live server.
"""

import os
from pathlib import Path

import pytest
import qrcode
from django.conf import settings
from django.core.cache import cache

from partnerships.models import MouState
from partnerships.signing.setup import SigningSetup
from tests.browser.accessibility import assert_accessible
from tests.browser.signed_mous import final_pdf, signed
from tests.browser.steps import VIEWPORT_IDS, VIEWPORTS, one_line, submit, vi
from tests.signing.pdf import tampering
from tests.signing.pdf.test_stamps import qr_modules_in_stamp

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The phone screenshot of a verdict shown in the README; written when this is set to a
# true value, so an ordinary test run leaves the work tree alone.
README_SCREENSHOTS = os.environ.get("README_SCREENSHOTS", "") not in ("", "0")
VERIFY_SCREENSHOT = Path(settings.BASE_DIR) / "docs" / "verify-phone.png"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def signed_mou(world, signing_settings, live_server):
    signing_settings.PUBLIC_BASE_URL = live_server.url
    return signed(world.mou, staff=world.staff)


def qr_modules(text: str) -> set[tuple[int, int]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make()
    return {
        (row, column)
        for row, line in enumerate(code.modules)
        for column, dark in enumerate(line)
        if dark
    }


def upload(page, pdf: bytes, name="mou.pdf"):
    page.set_input_files("#pdf", {"name": name, "mimeType": "application/pdf", "buffer": pdf})
    submit(page, "main form button[type=submit]")


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEWPORT_IDS)
def test_anyone_checks_the_signed_pdf_a_tampered_copy_and_the_qr_codes_page(
    signed_mou, open_browser, viewport
):
    mou = signed_mou
    signed_pdf = final_pdf(mou)
    final_sha256 = mou.pdf_revisions.order_by("-sequence").first().sha256
    page = open_browser(viewport=viewport)

    # From any page, the header's link leads to the check.
    page.goto("/login/")
    with page.expect_navigation():
        page.locator("a.verify-link").click()
    assert page.url.endswith("/verify/")
    assert page.locator("h1").inner_text() == vi("Check a signed PDF")

    upload(page, signed_pdf)
    verdict = page.get_by_test_id("verdict")
    assert verdict.locator("h2").inner_text() == "✔ " + vi("Valid")
    assert page.get_by_test_id("verdict-summary").inner_text() == vi(
        "Every signature is intact, valid and trusted, and the document was not changed "
        "after its last signature."
    )
    assert page.get_by_test_id("verdict-sha256").inner_text() == final_sha256
    signatures = page.get_by_test_id("verdict-signature")
    assert signatures.count() == 3  # the authority, the registry's seal, the archive timestamp
    for index in range(3):
        assert signatures.nth(index).locator("h3").inner_text().startswith("✔")
    assert vi("This is the certification signature (the first, by the authority).") in (
        signatures.first.inner_text()
    )
    registered = page.get_by_test_id("stored-match")
    assert one_line(registered.inner_text()).startswith(
        one_line(
            vi(
                "This file is the final signed PDF of MoU %(number)s, exactly as the registry"
                " stores it (same SHA-256).",
                number=mou.document_number,
            )
        )
    )
    checked_at = page.get_by_test_id("verdict-checked-at").inner_text()
    assert checked_at.startswith(vi("Checked at %(time)s.", time="").rstrip("."))
    assert_accessible(page)
    if README_SCREENSHOTS and viewport["width"] < 500:
        page.screenshot(path=str(VERIFY_SCREENSHOT), full_page=True)

    # Checked again a moment later: the same verdict, from the same check, says so.
    upload(page, signed_pdf)
    assert verdict.locator("h2").inner_text() == "✔ " + vi("Valid")
    assert page.get_by_test_id("verdict-checked-at").inner_text() == checked_at

    # A copy changed after its last signature (a forger drew on the first page).
    upload(page, tampering.append_page_content(signed_pdf), name="mou-sua.pdf")
    assert verdict.locator("h2").inner_text() == "✘ " + vi("Not valid")
    assert page.get_by_test_id("verdict-summary").inner_text() == vi(
        "This document does not pass verification."
    )
    problems = [one_line(text) for text in verdict.locator(".error-box").all_inner_texts()]
    assert vi("The document was changed after its last signature.") in problems
    assert page.get_by_test_id("verdict-sha256").inner_text() != final_sha256
    assert page.locator("main p.card", has_text=mou.document_number).count() == 0
    assert_accessible(page)

    # The QR code on the authority's stamp encodes the MoU's public page: open that address.
    address = SigningSetup.from_settings().verification_url(mou)
    assert address.startswith(page.url.split("/verify/")[0])
    assert qr_modules_in_stamp(signed_pdf, "Sig_Authority") == qr_modules(address)
    page.goto(address)
    assert page.locator("h1").inner_text() == f"{vi('MoU')} {mou.document_number} · {mou.year}"
    assert page.get_by_test_id("mou-state").inner_text() == vi(MouState.SIGNED.label)
    details = one_line(page.locator("main dl").inner_text())
    assert mou.authority.name in details and mou.partner.name in details
    assert page.get_by_test_id("final-sha256").inner_text() == final_sha256
    assert_accessible(page)

    # "Is my copy this document?": the final PDF is; the tampered one is not.
    upload(page, signed_pdf)
    assert page.get_by_test_id("comparison").inner_text() == "✔ " + vi(
        "This file is the final signed PDF of this MoU."
    )
    upload(page, tampering.append_page_content(signed_pdf))
    assert page.get_by_test_id("comparison").inner_text() == "✘ " + vi(
        "This file is not this MoU's document: its SHA-256 is different."
    )
    assert_accessible(page)
