"""The signer's page and bad input on it: the token kept out of every page after the link;
a second browser, a double click, a stale page, a page of another link, an ended session:
each answered on the signer's page, in words the person can act on, with what they typed
still in the form, and nothing signed twice or lost."""

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from partnerships.models import MouState, PdfRevision, Signature, SigningCode
from partnerships.signing import business
from partnerships.signing.invitation_views import ALREADY_SIGNED, OTHER_LINK, SESSION_ENDED
from partnerships.signing.signer_session import SESSION_KEY
from tests.factories import make_user
from tests.factories.signing import (
    anonymous,
    certify,
    confirm_code,
    invite,
    link,
    open_link,
    page_text,
    request_code,
    signer_post,
)
from tests.factories.web import BrowserClient


def text(response) -> str:
    return page_text(response).replace("&#x27;", "'")


def section(response, anchor: str) -> str:
    """The HTML of the page's <section id=anchor>: where a message beside a form belongs."""
    match = re.search(rf'<section[^>]*id="{anchor}".*?</section>', text(response), re.S)
    assert match, f"no section #{anchor}"
    return match.group(0)


def business_signatures(mou) -> int:
    return Signature.objects.filter(mou=mou, party="business").count()


def test_the_link_moves_to_a_token_free_page(invited):
    _mou, invitation, _staff = invited
    browser = anonymous()

    opened = browser.get(link(invitation.token))

    assert opened.status_code == 302
    assert opened["Location"] == reverse("signing_page")
    page = browser.get(opened["Location"])
    assert page.status_code == 200
    assert invitation.token not in text(page)
    assert page["Referrer-Policy"] == "same-origin"
    for action in re.findall(r'action="([^"]+)"', text(page)):
        assert invitation.token not in action
    assert "Waiting for your signature" in text(page)
    assert 'data-testid="sign-here"' in text(page)


def test_the_first_screen_says_who_asks_what_and_by_when(invited):
    mou, invitation, _staff = invited
    page = text(open_link(anonymous(), invitation.token))

    assert "UBND xã Bến Lức asks you to sign" in page
    assert mou.document_number in page and mou.title in page
    assert "Công ty May Bến Lức pledges" in page and "Công nhân may" in page
    assert 'data-testid="expires"' in page
    assert page.count('class="step ') == 3 and 'aria-current="step"' in page


def test_the_document_is_shown_as_page_images_cached_by_its_sha256(invited, settings):
    mou, invitation, _staff = invited
    browser = anonymous()
    open_link(browser, invitation.token)
    certified = PdfRevision.objects.get(mou=mou, sequence=1)

    image = browser.get(reverse("invitation_page_image", args=[1, 1]))

    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert (settings.SIGNING_PAGE_IMAGES_DIR / certified.sha256 / "page-1.png").exists()
    # A page loaded before a newer revision, a page that does not exist, another browser.
    assert browser.get(reverse("invitation_page_image", args=[0, 1])).status_code == 404
    assert browser.get(reverse("invitation_page_image", args=[1, 99])).status_code == 404
    assert anonymous().get(reverse("invitation_page_image", args=[1, 1])).status_code == 400


def test_a_second_browser_gets_its_own_session_and_the_code_is_used_once(invited):
    mou, invitation, _staff = invited
    first, second = anonymous(), anonymous()
    assert open_link(first, invitation.token).status_code == 200
    assert open_link(second, invitation.token).status_code == 200
    assert first.session.session_key != second.session.session_key

    first_code = request_code(first, invitation.token)
    SigningCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    second_code = request_code(second, invitation.token)
    if first_code != second_code:
        # Only the latest code works, whichever browser asked for it.
        refused = confirm_code(first, invitation.token, first_code)
        assert refused.status_code == 400
        assert "The code is not right" in section(refused, "seal")

    assert confirm_code(second, invitation.token, second_code).status_code == 302
    again = confirm_code(first, invitation.token, second_code, from_the_page=False)

    assert again.status_code == 409
    assert str(ALREADY_SIGNED) in section(again, "done")
    assert business_signatures(mou) == 1
    assert PdfRevision.chain_problems(mou) == []


def test_a_double_click_on_sign_signs_once(invited):
    mou, invitation, _staff = invited
    browser = anonymous()
    code = request_code(browser, invitation.token)

    assert confirm_code(browser, invitation.token, code).status_code == 302
    second = confirm_code(browser, invitation.token, code, from_the_page=False)

    assert second.status_code == 409
    assert str(ALREADY_SIGNED) in section(second, "done")
    assert "Download the signed PDF" in text(second)
    assert business_signatures(mou) == 1


def test_a_stale_page_is_told_beside_the_form_and_keeps_what_was_typed(invited):
    mou, invitation, _staff = invited
    browser = anonymous()
    code = request_code(browser, invitation.token)

    response = confirm_code(browser, invitation.token, code, expected_revision=0)

    assert response.status_code == 409
    seal = section(response, "seal")
    assert "at the same moment" in seal
    assert f'value="{code}"' in seal
    assert 'name="consent" required checked' in seal
    assert business_signatures(mou) == 0


def test_an_error_on_decline_keeps_the_reason(invited):
    mou, invitation, _staff = invited
    browser = anonymous()
    open_link(browser, invitation.token)
    response = signer_post(browser, invitation.token, "invitation_decline", {"reason": "   "})

    assert response.status_code == 400
    assert "Give a reason." in section(response, "decline")
    mou.refresh_from_db()
    assert mou.state == MouState.SENT


def test_a_page_of_another_link_is_not_applied(invited):
    mou, first, staff = invited
    browser = anonymous()
    open_link(browser, first.token)
    old_page_invitation = browser.session[SESSION_KEY]
    code = request_code(browser, first.token)
    # Staff send a new invitation; the person opens it in another tab of the same browser.
    second = invite(staff, mou)
    open_link(browser, second.token)

    response = browser.post_by_hand(
        reverse("invitation_seal"),
        {
            "invitation": old_page_invitation,
            "code": code,
            "consent": "on",
            "expected_revision": 1,
        },
    )

    assert response.status_code == 409
    assert str(OTHER_LINK) in text(response)
    assert business_signatures(mou) == 0


def test_an_ended_session_says_to_open_the_link_again(invited):
    _mou, invitation, _staff = invited
    browser = anonymous()
    open_link(browser, invitation.token)
    browser.session.flush()
    browser.cookies.clear()

    page = browser.get(reverse("signing_page"))
    post = browser.post_by_hand(reverse("invitation_seal"), {"code": "123456", "consent": "on"})

    for response in (page, post):
        assert response.status_code == 400
        assert str(SESSION_ENDED) in text(response)
    # Opening the link again carries on where the person was.
    assert open_link(browser, invitation.token).status_code == 200


def test_a_link_closed_while_the_page_was_open_says_so(invited):
    mou, invitation, _staff = invited
    browser = anonymous()
    code = request_code(browser, invitation.token)
    mou.invitations.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = confirm_code(browser, invitation.token, code, from_the_page=False)

    assert response.status_code == 410
    assert "This signing link has expired" in text(response)
    assert business_signatures(mou) == 0


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lacks row locks (SELECT ... FOR UPDATE); the real race runs on PostgreSQL",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_code_entered_twice_at_once_signs_once(world, signing_settings, monkeypatch):
    staff_user = make_user("twice_staff", "authority_staff", authority=world.ben_luc)
    staff = BrowserClient()
    staff.force_login(staff_user)
    from tests.factories import bring_to

    mou = bring_to(world.mou, MouState.SENT)
    assert certify(staff, mou).status_code == 302
    invitation = invite(staff, mou)
    browsers = [anonymous(), anonymous()]
    code = request_code(browsers[0], invitation.token)
    open_link(browsers[1], invitation.token)

    barrier = threading.Barrier(2)
    original = business.locked_for_signing

    def together(locked_mou, *, expected_sequence):
        barrier.wait(timeout=60)  # both sealed and verified; now both store at once
        return original(locked_mou, expected_sequence=expected_sequence)

    monkeypatch.setattr(business, "locked_for_signing", together)
    responses = {}

    def enter(number):
        try:
            responses[number] = confirm_code(browsers[number], invitation.token, code)
        finally:
            connection.close()

    threads = [threading.Thread(target=enter, args=(number,)) for number in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(response.status_code for response in responses.values()) == [302, 409]
    loser = next(response for response in responses.values() if response.status_code == 409)
    assert str(ALREADY_SIGNED) in text(loser)
    assert business_signatures(mou) == 1
    assert PdfRevision.chain_problems(mou) == []


class TestBusinessRepresentativeOnTheMouPage:
    def test_they_open_the_signers_page_of_the_open_invitation(self, invited, client_as, world):
        mou, _invitation, _staff = invited
        browser = client_as(world.business)
        page = text(browser.get(mou.get_absolute_url()))
        assert "Waiting for your signature" in page
        assert reverse("mou_sign_as_business", args=[mou.pk]) in page

        response = browser.submit(
            mou.get_absolute_url(), action=reverse("mou_sign_as_business", args=[mou.pk])
        )

        assert response.status_code == 302 and response["Location"] == reverse("signing_page")
        assert "Sign with a code sent to my email" in text(browser.get(response["Location"]))

    def test_before_the_invitation_they_are_told_what_comes_next(
        self, client_as, world, sent_mou, signing_settings
    ):
        browser = client_as(world.business)
        assert "The authority signs first" in text(browser.get(sent_mou.get_absolute_url()))
        certify(client_as(world.staff), sent_mou)
        assert "Signing opens when the authority sends" in text(
            browser.get(sent_mou.get_absolute_url())
        )
        follow = browser.post_by_hand(
            reverse("mou_sign_as_business", args=[sent_mou.pk]), follow=True
        )
        assert "there is no open invitation" in text(follow)
        assert SESSION_KEY not in browser.session

    def test_others_may_not(self, invited, client_as, world):
        mou, _invitation, _staff = invited
        url = reverse("mou_sign_as_business", args=[mou.pk])
        assert client_as(world.other_business).post_by_hand(url).status_code == 404
        assert client_as(world.staff).post_by_hand(url).status_code == 403
        assert "Your signature" not in text(client_as(world.staff).get(mou.get_absolute_url()))
