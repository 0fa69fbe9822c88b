"""Fixtures for the signing tests: a live test PKI, real signable PDFs, signers, a SoftHSM token.

Everything expensive is made once per session, in tests/signing/pdf/fixtures.py (a plugin for
the whole suite): the PKI, the signable MoU PDF, and the documents at each step of the signing
flow (`flow`), which the tests then tamper with or check.
"""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English, whatever the catalogue holds."""
    with translation.override("en"):
        yield
