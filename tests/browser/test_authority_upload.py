"""A commune without a signer on the server signs with its own USB token, in a real Chromium:
its staff download the sent PDF from the MoU page, sign it outside the registry (pyHanko with
the commune's certificate stands in for the signing software and the token), and upload it
through the page. A file signed with another commune's certificate is refused with its
reason and nothing moves; the commune's own is accepted and the steps move on to the
invitation."""

import json
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext

from partnerships.models import MouState, PdfRevision, Signature
from partnerships.signing.pdf import pades
from tests.factories import bring_to
from tests.factories.browser import log_in, outside_the_browser
from tests.factories.signing import AUTHORITY
from tests.factories.world import make_mou

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def step_status(page, key: str) -> str:
    return page.locator(f'[data-step="{key}"]').get_attribute("data-status")


def vi(text: str) -> str:
    with translation.override("vi"):
        return gettext(text)


def sign_with(signer, pdf: bytes, folder: Path, name: str) -> Path:
    """What the signing software does with the downloaded file and the USB token."""
    signed = outside_the_browser(
        pades.certify_as_authority, pdf, signer, **AUTHORITY | {"signer_name": signer_name(signer)}
    )
    path = folder / name
    path.write_bytes(signed)
    return path


def signer_name(signer) -> str:
    return signer.signing_cert.subject.native["common_name"]


def test_staff_download_sign_with_their_token_and_upload(
    world, signing_settings, signer_for, open_browser, tmp_path
):
    # No authority has a signer on the server, and none is shared: Thạnh Lợi signs by upload.
    authorities = tmp_path / "authorities.json"
    authorities.write_text(json.dumps({"authorities": {}}), encoding="utf-8")
    signing_settings.SIGNING_AUTHORITIES_FILE = str(authorities)
    signing_settings.SIGNING_AUTHORITY_SHARED = False
    mou = bring_to(make_mou(world.thanh_loi, world.garment), MouState.SENT)
    page = open_browser()
    log_in(page, world.other_staff)  # Thạnh Lợi's staff
    page.goto(mou.get_absolute_url())

    # No server signer: the page says so and offers the download and the upload.
    progress = page.get_by_test_id("signing-progress")
    assert step_status(page, "authority_signed") == "current"
    assert "SIGNING_AUTHORITIES_FILE" in progress.get_by_test_id("no-authority-signer").inner_text()
    assert progress.locator('button:has-text("' + vi("Sign as the authority") + '")').count() == 0
    upload = progress.get_by_test_id("authority-upload")
    assert "UBND xã Thạnh Lợi" in upload.inner_text()  # the rule its certificate must meet
    with page.expect_download() as download:
        upload.get_by_test_id("download-to-sign").click()
    sent = Path(download.value.path()).read_bytes()
    assert sent == bytes(mou.signable_document.pdf)

    # Signed with Bến Lức's certificate by mistake: refused, with the reason.
    wrong = sign_with(signer_for("authority"), sent, tmp_path, "ky-nham.pdf")
    page.set_input_files("#authority-signed-pdf", str(wrong))
    upload.locator('button[type="submit"]').click()
    page.wait_for_load_state()
    error = page.locator(".messages .message.error")
    assert "UBND xã Thạnh Lợi" in error.inner_text()
    assert "UBND xã Bến Lức" in error.inner_text()
    assert step_status(page, "authority_signed") == "current"
    assert not PdfRevision.objects.filter(mou=mou).exists()

    # Signed with Thạnh Lợi's own certificate: accepted, and the steps move on.
    right = sign_with(signer_for("authority_thanh_loi"), sent, tmp_path, "da-ky.pdf")
    page.get_by_test_id("authority-upload").locator("#authority-signed-pdf").set_input_files(
        str(right)
    )
    page.get_by_test_id("authority-upload").locator('button[type="submit"]').click()
    page.wait_for_load_state()

    success = page.locator(".messages .message.success")
    revision = PdfRevision.objects.get(mou=mou)
    assert revision.sha256 in success.inner_text()
    assert step_status(page, "authority_signed") == "done"
    assert step_status(page, "invitation_sent") == "current"
    invite = page.get_by_test_id("next-action").locator("button.primary")
    assert invite.inner_text() == vi("Send the invitation")
    assert Signature.objects.get(mou=mou).signer_name == "Trần Văn Lợi"
    assert bytes(revision.pdf) == right.read_bytes()
