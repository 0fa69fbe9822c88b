"""Fixtures for the signing tests: a live test PKI, real signable PDFs, signers, a SoftHSM token.

Everything expensive is made once per session: the PKI (keys generated into a temporary
directory, served on a loopback port), the signable MoU PDF (LibreOffice), and the documents
at each step of the signing flow, which the tests then tamper with or check.
"""

import pytest
from django.utils import translation

from partnerships.signing.pdf import pades
from tests.factories.signing import AUTHORITY, BUSINESS, VERIFICATION_URL, Flow


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English, whatever the catalogue holds."""
    with translation.override("en"):
        yield


@pytest.fixture(scope="session")
def flow(pki, signable_pdf, signer_for) -> Flow:
    profile = {"tsa_url": pki.tsa_url, "trust_roots": pki.trust_roots}
    certified = pades.certify_as_authority(
        signable_pdf, signer_for("authority"), **AUTHORITY, **profile
    )
    business_signed = pades.sign_as_business(
        certified, signer_for("business"), **BUSINESS, **profile
    )
    return Flow(
        signable=signable_pdf,
        certified=certified,
        business_signed=business_signed,
        archived=pades.add_archive_timestamp(business_signed, **profile),
        sealed=pades.sign_with_registry_seal(
            certified,
            signer_for("seal"),
            person_name="Nguyễn Thị Hoa",
            company_name="Công ty May Bến Lức",
            verification_url=VERIFICATION_URL,
            **profile,
        ),
    )
