"""A time-stamping authority that accepts the connection and never answers: the signing
request gives up within SIGNING_NETWORK_TIMEOUT with a clear message, and nothing is
half-saved (the MoU stays as it was, no revision is stored, the signer can try again)."""

import asyncio
import socket
import threading
import time

import pytest

from partnerships.models import (
    AuditEvent,
    MouState,
    PdfRevision,
    Signature,
    SigningCode,
)
from partnerships.signing.pdf.network import NetworkTimeout, network_budget, run_within_budget
from tests.factories.signing import (
    GENEROUS_NETWORK_BUDGET,
    anonymous,
    certify,
    confirm_code,
    invite,
    page_text,
    request_code,
)

BUDGET = 2
# Opening and preparing the PDF take a moment of CPU besides the network wait (more on a
# loaded test machine).
CPU_SLACK = 8
MESSAGE = "did not answer in time"


@pytest.fixture
def silent_tsa():
    """The address of a server on the loopback that accepts connections, reads nothing and
    never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop, held = threading.Event(), []

    def accept():
        while not stop.is_set():
            try:
                connection, _address = listener.accept()
            except TimeoutError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/tsa"
    stop.set()
    thread.join(timeout=5)
    for connection in held:
        connection.close()
    listener.close()


def timed(action):
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


def test_the_authority_signature_gives_up_within_the_budget(
    client_as, world, sent_mou, signing_settings, silent_tsa
):
    signing_settings.SIGNING_TSA_URL = silent_tsa
    signing_settings.SIGNING_NETWORK_TIMEOUT = BUDGET
    staff = client_as(world.staff)
    response, elapsed = timed(lambda: certify(staff, sent_mou))
    assert response.status_code == 302
    assert BUDGET <= elapsed < BUDGET + CPU_SLACK, elapsed
    assert MESSAGE in page_text(staff.get(response.url))
    sent_mou.refresh_from_db()
    assert sent_mou.state == MouState.SENT
    assert not PdfRevision.objects.filter(mou=sent_mou).exists()
    assert not Signature.objects.filter(mou=sent_mou).exists()
    assert not AuditEvent.objects.filter(mou=sent_mou, action="mou.authority_certified")


def test_the_message_is_in_vietnamese_for_a_vietnamese_user(
    client_as, world, sent_mou, signing_settings, silent_tsa
):
    signing_settings.SIGNING_TSA_URL = silent_tsa
    signing_settings.SIGNING_NETWORK_TIMEOUT = BUDGET
    staff = client_as(world.staff, language="vi")
    response = certify(staff, sent_mou)
    assert "không trả lời kịp" in page_text(staff.get(response.url))


def test_the_business_seal_gives_up_within_the_budget_and_can_be_retried(
    client_as, world, sent_mou, signing_settings, silent_tsa, pki
):
    staff = client_as(world.staff)
    assert certify(staff, sent_mou).status_code == 302
    invitation = invite(staff, sent_mou)
    business = anonymous()
    business.get(invitation.link)
    code = request_code(business, invitation.token)

    signing_settings.SIGNING_TSA_URL = silent_tsa
    signing_settings.SIGNING_NETWORK_TIMEOUT = BUDGET
    response, elapsed = timed(lambda: confirm_code(business, invitation.token, code))
    assert response.status_code == 400
    assert BUDGET <= elapsed < BUDGET + CPU_SLACK, elapsed
    assert MESSAGE in page_text(response)
    sent_mou.refresh_from_db()
    assert sent_mou.state == MouState.SENT
    assert PdfRevision.objects.filter(mou=sent_mou).count() == 1  # the authority's only
    assert not SigningCode.objects.filter(confirmed_at__isnull=False).exists()

    # The TSA is back: the same code signs.
    signing_settings.SIGNING_TSA_URL = pki.tsa_url
    signing_settings.SIGNING_NETWORK_TIMEOUT = GENEROUS_NETWORK_BUDGET
    assert confirm_code(business, invitation.token, code).status_code == 302
    sent_mou.refresh_from_db()
    assert sent_mou.state == MouState.SIGNED


def test_one_budget_is_shared_by_every_step_of_a_request():
    async def never_done():
        await asyncio.sleep(30)

    with network_budget(0.5):
        started = time.monotonic()
        with pytest.raises(NetworkTimeout):
            run_within_budget(never_done)
        first = time.monotonic() - started
        # Nothing is left for the next step (checking, archiving): it gives up at once.
        started = time.monotonic()
        with pytest.raises(NetworkTimeout):
            run_within_budget(never_done)
        second = time.monotonic() - started
    assert 0.5 <= first < 1.5 and second < 0.1
