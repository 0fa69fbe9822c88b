"""Fixtures for the signing flow through the pages: English, fresh rate limits, a sent MoU.
`signing_settings` is shared with the browser tests (tests/signing/pdf/fixtures.py); the
helpers that click through the flow are in tests/factories/signing.py.
"""

import pytest
from django.core.cache import cache
from django.utils import translation

from partnerships.models import MouState
from tests.factories.signing import certify, invite
from tests.factories.world import bring_to


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sent_mou(world):
    return bring_to(world.mou, MouState.SENT)


@pytest.fixture
def invited(client_as, world, sent_mou, signing_settings):
    """A sent MoU the authority certified, its invitation (with the emailed link), and the
    staff member's browser that did both."""
    staff = client_as(world.staff)
    assert certify(staff, sent_mou).status_code == 302
    return sent_mou, invite(staff, sent_mou), staff
