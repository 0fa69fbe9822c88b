"""The signing link and its one-time codes: wrong, expired, replaced and used links; wrong,
expired and stale codes; too many attempts; a decline."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from partnerships.models import (
    AuditEvent,
    MouState,
    PdfRevision,
    SigningCode,
    SigningInvitation,
)
from partnerships.signing.invitations import CODE_INTERVAL
from tests.factories.signing import (
    anonymous,
    confirm_code,
    invite,
    link,
    open_link,
    page_text,
    request_code,
    signer_get,
    signer_post,
)


def test_only_a_hash_of_the_token_is_stored(invited):
    _mou, invitation, _staff = invited
    stored = SigningInvitation.objects.get()
    assert invitation.token not in stored.token_hash
    assert len(stored.token_hash) == 64


def test_a_wrong_link_is_not_found(invited):
    assert anonymous().get(link("not-a-real-token-at-all")).status_code == 404


def test_guessing_links_is_stopped_after_a_while(invited):
    _mou, invitation, _staff = invited
    browser = anonymous()
    for attempt in range(20):
        assert browser.get(link(f"guess-{attempt}")).status_code == 404
    assert browser.get(link("guess-21")).status_code == 429
    # The real link still opens from that address: random links cannot lock the signer out.
    assert browser.get(link(invitation.token)).status_code == 302


def test_an_expired_link_says_so_and_signs_nothing(invited):
    _mou, invitation, _staff = invited
    SigningInvitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    browser = anonymous()

    response = open_link(browser, invitation.token)

    assert response.status_code == 410
    assert "This signing link has expired" in page_text(response)
    assert signer_post(browser, invitation.token, "invitation_code").status_code == 410
    assert signer_get(browser, invitation.token, "invitation_document").status_code == 410
    assert not SigningCode.objects.exists()


def test_a_new_invitation_replaces_the_old_link(invited):
    mou, first, staff = invited
    second = invite(staff, mou)

    response = open_link(anonymous(), first.token)

    assert response.status_code == 410
    assert "replaced by a newer invitation" in page_text(response)
    assert open_link(anonymous(), second.token).status_code == 200


def test_a_wrong_code_counts_and_says_how_many_tries_are_left(invited, settings):
    mou, invitation, _staff = invited
    browser = anonymous()
    code = request_code(browser, invitation.token)
    wrong = "000000" if code != "000000" else "111111"

    response = confirm_code(browser, invitation.token, wrong)

    assert response.status_code == 400
    assert "The code is not right. You can try 4 more time(s)." in page_text(response)
    assert SigningCode.objects.get().attempts == 1
    assert mou.pdf_revisions.count() == 1


def test_too_many_wrong_codes_block_the_code(invited, settings):
    mou, invitation, _staff = invited
    browser = anonymous()
    code = request_code(browser, invitation.token)
    wrong = "000000" if code != "000000" else "111111"
    for _attempt in range(settings.SIGNING_CODE_MAX_ATTEMPTS):
        confirm_code(browser, invitation.token, wrong)

    # Even the right code no longer works.
    response = confirm_code(browser, invitation.token, code)

    assert response.status_code == 400
    assert "Too many wrong codes were entered: ask for a new code." in page_text(response)
    assert AuditEvent.objects.filter(mou=mou, action="mou.signing_code_locked").count() == 1
    mou.refresh_from_db()
    assert mou.state == MouState.SENT
    assert mou.pdf_revisions.count() == 1


def test_an_expired_code_is_refused(invited):
    mou, invitation, _staff = invited
    browser = anonymous()
    code = request_code(browser, invitation.token)
    SigningCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = confirm_code(browser, invitation.token, code)

    assert response.status_code == 400
    assert "The code has expired: ask for a new one." in page_text(response)
    assert mou.pdf_revisions.count() == 1


def test_a_new_code_replaces_the_previous_one(invited):
    mou, invitation, _staff = invited
    browser = anonymous()
    first = request_code(browser, invitation.token)
    SigningCode.objects.update(created_at=timezone.now() - CODE_INTERVAL)
    second = request_code(browser, invitation.token)
    if first == second:
        pytest.skip("the two random codes happen to be equal")

    assert confirm_code(browser, invitation.token, first).status_code == 400
    assert confirm_code(browser, invitation.token, second).status_code == 302
    mou.refresh_from_db()
    assert mou.state == MouState.SIGNED


def test_codes_cannot_be_asked_for_in_a_burst(invited):
    _mou, invitation, _staff = invited
    browser = anonymous()
    request_code(browser, invitation.token)
    sent = len(mail.outbox)

    response = signer_post(browser, invitation.token, "invitation_code")

    assert response.status_code == 400
    assert "A code was sent less than a minute ago" in page_text(response)
    assert len(mail.outbox) == sent


def test_signing_needs_the_box_ticked(invited):
    mou, invitation, _staff = invited
    browser = anonymous()
    code = request_code(browser, invitation.token)

    response = confirm_code(browser, invitation.token, code, consent=False)

    assert response.status_code == 400
    assert "Tick the box" in page_text(response)
    assert SigningCode.objects.get().attempts == 0
    assert mou.pdf_revisions.count() == 1


def test_the_representative_declines_with_a_reason(invited):
    mou, invitation, _staff = invited
    browser = anonymous()
    assert (
        signer_post(browser, invitation.token, "invitation_decline", {"reason": " "}).status_code
        == 400
    )

    response = signer_post(
        browser, invitation.token, "invitation_decline", {"reason": "Chưa đủ nhu cầu tuyển dụng."}
    )

    assert response.status_code == 302
    mou.refresh_from_db()
    assert mou.state == MouState.DECLINED
    event = AuditEvent.objects.get(mou=mou, action="mou.declined")
    assert event.actor is None
    assert "Nguyễn Thị Hoa" in event.note and "Chưa đủ nhu cầu tuyển dụng." in event.note
    assert event.details["ip"] == "127.0.0.1"
    # The link is spent: it shows the outcome and signs nothing.
    page = page_text(signer_get(browser, invitation.token))
    assert "already been used" in page
    assert signer_post(browser, invitation.token, "invitation_code").status_code == 400
    assert PdfRevision.objects.filter(mou=mou).count() == 1


def test_a_used_link_shows_its_outcome_until_it_expires(invited):
    _mou, invitation, _staff = invited
    browser = anonymous()
    assert (
        confirm_code(browser, invitation.token, request_code(browser, invitation.token)).status_code
        == 302
    )
    assert signer_get(browser, invitation.token, "invitation_final").status_code == 200

    SigningInvitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    assert open_link(browser, invitation.token).status_code == 410
    assert signer_get(browser, invitation.token, "invitation_final").status_code == 404
