"""A hostile person against the signer's pages: sessions, other invitations' forms, the
language switch, injected names, hostile bodies. Each test is an attack that must fail."""

import io
from datetime import timedelta

import pypdfium2
import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from partnerships.documents.engine import preview
from partnerships.documents.engine.errors import DocumentError
from partnerships.models import AuditEvent, MouState, SigningCode, SigningInvitation
from partnerships.signing import page_images
from partnerships.signing.signer_session import SESSION_KEY
from tests.factories.signing import (
    anonymous,
    confirm_code,
    link,
    open_link,
    page_text,
    request_code,
    signer_get,
    signer_post,
)
from tests.factories.web import CsrfRejected


def test_opening_the_link_gives_a_new_session_id(invited):
    """A session id planted in the signer's browser before the link is opened is useless."""
    _mou, invitation, _staff = invited
    browser = anonymous()
    browser.get(reverse("verify"))
    planted = browser.session.session_key
    open_link(browser, invitation.token)
    assert browser.session.session_key != planted
    assert browser.session[SESSION_KEY] == SigningInvitation.objects.get().pk


def test_a_form_naming_another_invitation_changes_nothing(invited):
    mou, invitation, _staff = invited
    browser = anonymous()
    response = signer_post(
        browser,
        invitation.token,
        "invitation_decline",
        {"reason": "not ours", "invitation": SigningInvitation.objects.get().pk + 1},
    )
    assert response.status_code == 409
    mou.refresh_from_db()
    assert mou.state == MouState.SENT


def test_without_the_link_no_signing_address_answers(invited):
    browser = anonymous()
    for name in ("signing_page", "invitation_document", "invitation_final"):
        assert browser.get(reverse(name)).status_code == 400
    image = reverse("invitation_page_image", args=[1, 1])
    assert browser.get(image).status_code == 400


def test_page_images_of_other_revisions_or_pages_are_not_found(invited):
    _mou, invitation, _staff = invited
    browser = anonymous()
    open_link(browser, invitation.token)
    assert browser.get(reverse("invitation_page_image", args=[1, 1])).status_code == 200
    assert browser.get(reverse("invitation_page_image", args=[0, 1])).status_code == 404
    assert browser.get(reverse("invitation_page_image", args=[1, 0])).status_code == 404
    assert browser.get(reverse("invitation_page_image", args=[1, 999])).status_code == 404


def test_after_expiry_the_session_reaches_no_document(invited):
    _mou, invitation, _staff = invited
    browser = anonymous()
    open_link(browser, invitation.token)
    SigningInvitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert browser.get(reverse("invitation_page_image", args=[1, 1])).status_code == 404
    document = browser.get(reverse("invitation_document"))
    assert document.status_code == 410
    assert document["Content-Type"].startswith("text/html")


def test_every_signing_response_keeps_the_token_to_itself(invited):
    _mou, invitation, _staff = invited
    browser = anonymous()
    opened = browser.get(link(invitation.token))
    assert opened["Referrer-Policy"] == "no-referrer"
    assert invitation.token not in opened["Location"]
    for name in ("signing_page", "invitation_document"):
        response = browser.get(reverse(name))
        assert response["Referrer-Policy"] in ("no-referrer", "same-origin")
        assert invitation.token.encode() not in response.content
        assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example"]
)
def test_the_language_switch_does_not_send_the_signer_away(invited, next_url):
    _mou, invitation, _staff = invited
    browser = anonymous()
    open_link(browser, invitation.token)
    response = browser.post_by_hand(reverse("set_language"), {"language": "vi", "next": next_url})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_posts_without_the_csrf_token_are_refused(invited):
    mou, invitation, _staff = invited
    browser = anonymous()
    open_link(browser, invitation.token)
    pk = browser.session[SESSION_KEY]
    for name in ("invitation_code", "invitation_seal", "invitation_upload", "invitation_decline"):
        with pytest.raises(CsrfRejected):  # the tests' CSRF failure view (a 403 in production)
            browser.post(reverse(name), {"invitation": pk, "reason": "forged"})
    mou.refresh_from_db()
    assert mou.state == MouState.SENT


def test_names_and_reasons_are_text_in_the_page_and_the_emails(invited, world):
    mou, invitation, _staff = invited
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    mou.partner.name = hostile
    mou.partner.save()
    contact = mou.partner_signatory
    contact.full_name = hostile
    contact.save()
    browser = anonymous()
    page = page_text(signer_get(browser, invitation.token))
    assert "<script>alert" not in page and "<img src=x" not in page
    with TestCase.captureOnCommitCallbacks(execute=True):
        signer_post(browser, invitation.token, "invitation_decline", {"reason": hostile})
    assert mail.outbox[-1].subject
    for message in mail.outbox[1:]:
        for html, _type in message.alternatives:
            assert "<script>alert" not in html and "<img src=x" not in html
    assert AuditEvent.objects.filter(mou=mou, action="mou.declined").exists()


def test_a_body_far_over_the_upload_limit_is_refused_before_it_is_read(invited, settings):
    """Django stores a multipart body (to a temporary file) before any view runs: the CSRF
    check reads the form. A body announced far over every upload limit is refused unread,
    so nobody fills the server's disk or memory through /signing/upload/."""
    _mou, invitation, _staff = invited
    browser = anonymous()
    open_link(browser, invitation.token)
    announced = 10 * settings.SIGNING_MAX_UPLOAD_MB * 1024 * 1024
    # The test client's body is far smaller than announced: reading it would fail the test.
    response = browser.post(
        reverse("invitation_upload"), {"invitation": "1"}, CONTENT_LENGTH=str(announced)
    )
    assert response.status_code == 413
    assert "MB" in page_text(response)


def test_a_decline_reason_too_long_to_read_is_refused(invited):
    mou, invitation, _staff = invited
    browser = anonymous()
    response = signer_post(
        browser, invitation.token, "invitation_decline", {"reason": "spam " * 100_000}
    )
    assert response.status_code == 400
    assert "characters" in page_text(response)
    mou.refresh_from_db()
    assert mou.state == MouState.SENT


def test_guessing_the_code_from_many_browsers_shares_one_count(invited, settings):
    _mou, invitation, _staff = invited
    first = anonymous()
    code = request_code(first, invitation.token)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    browsers = [anonymous() for _ in range(settings.SIGNING_CODE_MAX_ATTEMPTS)]
    for browser in browsers:
        assert confirm_code(browser, invitation.token, wrong).status_code == 400
    # The right code no longer works from yet another browser: it was locked.
    response = confirm_code(anonymous(), invitation.token, code)
    assert response.status_code == 400
    assert "Too many wrong codes" in page_text(response)
    assert SigningCode.objects.get().attempts == settings.SIGNING_CODE_MAX_ATTEMPTS


def test_the_signers_page_cannot_be_framed_by_another_site(invited):
    _mou, invitation, _staff = invited
    response = signer_get(anonymous(), invitation.token)
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("key", ["../" * 8 + "etc", "A" * 64, "0" * 63 + "/", ""])
def test_the_page_image_cache_takes_only_a_sha256_as_folder(key, settings, tmp_path):
    settings.SIGNING_PAGE_IMAGES_DIR = tmp_path / "pages"
    with pytest.raises(ValueError):
        page_images.page_image(b"%PDF-1.7", key, 1)
    assert not (tmp_path / "pages").exists()


def _pdf_with_page(width: float, height: float) -> bytes:
    document = pypdfium2.PdfDocument.new()
    document.new_page(width, height)
    buffer = io.BytesIO()
    document.save(buffer)
    document.close()
    return buffer.getvalue()


def test_a_page_far_taller_than_wide_is_not_drawn(settings, tmp_path):
    """Pages are drawn at a fixed width: a 20 × 14400 points page would be a bitmap of
    gigabytes at the signer's page width (here drawn 100 pixels wide, to stay small)."""
    settings.SIGNING_PAGE_IMAGES_DIR = tmp_path
    with pytest.raises(DocumentError):
        preview.page_png(_pdf_with_page(20, 14400), 0, width_px=100)
    assert preview.page_png(_pdf_with_page(595, 842), 0, width_px=100).startswith(b"\x89PNG")
