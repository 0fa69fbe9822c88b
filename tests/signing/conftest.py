"""Fixtures for the signing flow through the pages: the signing tests' live PKI configured as
the deployment's settings, and a sent MoU. The helpers that click through the flow are in
tests/factories/signing.py.
"""

import pytest
from django.core.cache import cache
from django.utils import translation

from partnerships.models import MouState
from tests.factories.signing import PUBLIC_BASE_URL
from tests.factories.world import bring_to
from tests.signing.pdf.pki import PASSPHRASE


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
def signing_settings(settings, pki, tmp_path):
    """The test PKI as the deployment's configuration: authority and seal from PKCS#12
    files, its root trusted, its TSA for timestamps."""
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root.dump())
    settings.SIGNING_AUTHORITY_PKCS12 = str(pki.pkcs12("authority"))
    settings.SIGNING_AUTHORITY_PKCS12_PASSPHRASE = PASSPHRASE
    settings.SIGNING_SEAL_PKCS12 = str(pki.pkcs12("seal"))
    settings.SIGNING_SEAL_PKCS12_PASSPHRASE = PASSPHRASE
    settings.SIGNING_TSA_URL = pki.tsa_url
    settings.SIGNING_TRUST_ROOTS = [str(root)]
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    return settings


@pytest.fixture
def sent_mou(world):
    return bring_to(world.mou, MouState.SENT)
