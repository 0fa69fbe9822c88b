"""A decline reason holding a NUL character is refused with a 400, and the MoU stays sent:
PostgreSQL cannot store the character, which was a server error."""

import pytest

from partnerships.models import AuditEvent, MouState
from tests.factories.signing import anonymous, link, signer_post


@pytest.mark.parametrize("reason", ["Chưa đủ\x00 nhu cầu", "\x00"])
def test_a_nul_in_a_decline_reason_is_a_bad_request(invited, reason):
    mou, invitation, _staff = invited
    browser = anonymous()
    browser.raise_request_exception = False

    response = signer_post(browser, invitation.token, "invitation_decline", {"reason": reason})

    assert response.status_code == 400
    mou.refresh_from_db()
    assert mou.state == MouState.SENT
    assert not AuditEvent.objects.filter(mou=mou, action="mou.declined").exists()


def test_random_links_from_the_signers_address_do_not_lock_out_the_real_one(invited):
    _mou, invitation, _staff = invited
    browser = anonymous()
    for attempt in range(40):
        assert browser.get(link(f"random-{attempt}")).status_code in (404, 429)

    assert browser.get(link(invitation.token)).status_code == 302  # to the signer's page
    assert browser.get(link("random-again")).status_code == 429
