"""renew_archive_timestamps: a fresh archive timestamp before the last one's certificate
expires, stored as the next revision of the hash chain; nothing when not due."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from partnerships.models import MouState, PdfRevision, RevisionKind
from partnerships.signing.setup import SigningSetup
from tests.factories.signing import anonymous, certify, confirm_code, invite, request_code


@pytest.fixture
def signed_mou(client_as, world, sent_mou, signing_settings):
    staff = client_as(world.staff)
    certify(staff, sent_mou)
    invitation = invite(staff, sent_mou)
    browser = anonymous()
    confirm_code(browser, invitation.token, request_code(browser, invitation.token))
    sent_mou.refresh_from_db()
    assert sent_mou.state == MouState.SIGNED
    return sent_mou


def renew(days: int | None = None) -> str:
    out = StringIO()
    call_command("renew_archive_timestamps", *([f"--days={days}"] if days else []), stdout=out)
    return out.getvalue()


def test_a_completed_mou_is_archive_timestamped_and_not_due(signed_mou):
    kinds = list(signed_mou.pdf_revisions.order_by("sequence").values_list("kind", flat=True))
    assert kinds[-1] == RevisionKind.ARCHIVE_TIMESTAMP
    verdict = SigningSetup.from_settings().verify(bytes(signed_mou.pdf_revisions.last().pdf))
    assert verdict.ok, verdict.as_dict()
    assert all(
        s.pades_level == "B-LTA" and s.time_source == "timestamp"
        for s in verdict.signatures
        if s.kind == "signature"
    )

    assert "Renewed 0, not due 1, failed 0." in renew()
    assert signed_mou.pdf_revisions.count() == len(kinds)


@pytest.fixture
def signed_without_tsa(client_as, world, sent_mou, signing_settings, pki):
    """An MoU signed before the deployment had a TSA: B-B, no archive timestamp."""
    signing_settings.SIGNING_TSA_URL = ""
    staff = client_as(world.staff)
    certify(staff, sent_mou)
    invitation = invite(staff, sent_mou)
    browser = anonymous()
    confirm_code(browser, invitation.token, request_code(browser, invitation.token))
    sent_mou.refresh_from_db()
    assert sent_mou.state == MouState.SIGNED
    signing_settings.SIGNING_TSA_URL = pki.tsa_url
    return sent_mou


def test_an_mou_without_archive_timestamp_is_archived_once_into_the_chain(signed_without_tsa):
    mou = signed_without_tsa
    before = mou.pdf_revisions.count()

    assert "Renewed 1, not due 0, failed 0." in renew()

    latest = mou.pdf_revisions.order_by("-sequence").first()
    assert mou.pdf_revisions.count() == before + 1
    assert latest.kind == RevisionKind.ARCHIVE_TIMESTAMP
    assert PdfRevision.chain_problems(mou) == []
    verdict = SigningSetup.from_settings().verify(bytes(latest.pdf))
    assert verdict.ok, verdict.as_dict()
    assert [s.kind for s in verdict.signatures] == ["signature", "signature", "timestamp"]
    assert mou.audit_events.filter(action="mou.archive_timestamped", details__renewal=True).exists()
    # Run again from cron: nothing is due any more.
    assert "Renewed 0, not due 1, failed 0." in renew()
    assert mou.pdf_revisions.count() == before + 1


def test_a_renewal_that_would_extend_nothing_is_refused_and_stores_nothing(signed_mou):
    before = signed_mou.pdf_revisions.count()

    # Due within 30 years, but the TSA's certificate is the one already used.
    with pytest.raises(CommandError, match="Not renewed"):
        renew(days=30 * 365)

    assert signed_mou.pdf_revisions.count() == before
