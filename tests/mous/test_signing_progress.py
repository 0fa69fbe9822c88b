"""The staff's MoU page shows the signing as steps (sent → authority signed → invitation
sent → opened → business signed) with the next action as the main button."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from partnerships.models import MouState
from partnerships.mous import lifecycle
from partnerships.signing.invitations import mark_invitation_opened
from tests.dashboard.test_work_queues import certified_by_authority, invite
from tests.factories import bring_to


def steps_of(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-step="(\w+)" data-status="(\w+)"', page))


def progress_section(page: str) -> str:
    start = page.index('data-testid="signing-progress"')
    return page[start : page.index("</section>", start)]


def test_a_sent_mou_waits_for_the_authoritys_signature(client_as, world):
    mou = bring_to(world.mou, MouState.SENT)

    page = client_as(world.staff).get(mou.get_absolute_url()).content.decode()

    assert steps_of(page) == {
        "sent": "done",
        "authority_signed": "current",
        "invitation_sent": "todo",
        "invitation_opened": "todo",
        "business_signed": "todo",
    }
    section = progress_section(page)
    assert 'aria-current="step"' in section
    # Nothing is configured for signing here (no signer for this authority, no trust roots
    # to check an upload against): instead of a button, the step says why on both paths.
    assert 'data-testid="no-authority-signer"' in section
    assert "Signing with the authority's USB token is not available:" in section
    assert "Sign as the authority" not in section
    assert 'data-testid="authority-upload"' not in section


@pytest.mark.usefixtures("signing_settings")
def test_with_signing_configured_the_authoritys_signature_is_the_main_button(client_as, world):
    mou = bring_to(world.mou, MouState.SENT)

    page = client_as(world.staff).get(mou.get_absolute_url()).content.decode()

    section = progress_section(page)
    assert 'class="button primary">Sign as the authority</button>' in section
    assert page.count("Sign as the authority</button>") == 1


def test_after_the_invitation_is_opened_staff_see_whom_they_wait_for(client_as, world):
    mou = certified_by_authority(bring_to(world.mou, MouState.SENT))
    invitation = invite(mou, expires_in=timedelta(days=5), token="progress")
    browser = client_as(world.staff)

    page = browser.get(mou.get_absolute_url()).content.decode()
    assert steps_of(page)["invitation_sent"] == "done"
    assert steps_of(page)["invitation_opened"] == "current"

    mark_invitation_opened(invitation, ip="203.0.113.5", user_agent="Phone browser")
    mark_invitation_opened(invitation)  # a second opening records nothing more

    page = browser.get(mou.get_absolute_url()).content.decode()
    assert steps_of(page) == {
        "sent": "done",
        "authority_signed": "done",
        "invitation_sent": "done",
        "invitation_opened": "done",
        "business_signed": "current",
    }
    section = progress_section(page)
    assert "Waiting for Nguyễn Thị Hoa to sign." in section
    assert mou.audit_events.filter(action="mou.invitation_opened").count() == 1


def test_an_expired_invitation_shows_as_a_stopped_step(client_as, world):
    mou = certified_by_authority(bring_to(world.mou, MouState.SENT))
    invitation = invite(mou, expires_in=timedelta(days=5), token="stale")
    invitation.expires_at = timezone.now() - timedelta(hours=1)
    invitation.save()

    page = client_as(world.staff).get(mou.get_absolute_url()).content.decode()

    assert steps_of(page)["invitation_opened"] == "failed"
    assert "Expired" in progress_section(page)


def test_a_declined_mou_shows_where_it_stopped(client_as, world):
    mou = certified_by_authority(bring_to(world.mou, MouState.SENT))
    invitation = invite(mou, expires_in=timedelta(days=5), token="declined")
    mark_invitation_opened(invitation)
    lifecycle.perform(mou, "decline", actor=None, note="Chưa đủ nhân lực")

    page = client_as(world.staff).get(mou.get_absolute_url()).content.decode()

    assert steps_of(page)["business_signed"] == "failed"
    assert "Declined" in progress_section(page)


def test_a_draft_shows_no_progress(client_as, world):
    page = client_as(world.staff).get(world.mou.get_absolute_url()).content.decode()
    assert 'data-testid="signing-progress"' not in page
