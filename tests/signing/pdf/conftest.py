"""Fixtures for the signing tests: a live test PKI, real signable PDFs, signers, a SoftHSM token.

Everything expensive is made once per session: the PKI (keys generated into a temporary
directory, served on a loopback port), the signable MoU PDF (LibreOffice), and the documents
at each step of the signing flow, which the tests then tamper with or check.
"""

import io
from dataclasses import dataclass

import pytest
from django.utils import translation
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields as sig_fields
from pyhanko.sign import signers as pyhanko_signers

from partnerships.signing.pdf import pades

VERIFICATION_URL = "https://registry.example.org/xac-minh/2026-UBND-0001"
AUTHORITY = {
    "signer_name": "Võ Minh Tâm",
    "position": "TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH",
    "organisation": "UBND xã Bến Lức",
    "verification_url": VERIFICATION_URL,
}
BUSINESS = {"position": "Giám đốc", "company_name": "Công ty May Bến Lức"}


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English, whatever the catalogue holds."""
    with translation.override("en"):
        yield


@dataclass
class Flow:
    """The MoU's PDF at each step of the signing flow, signed with the full PAdES profile."""

    signable: bytes
    certified: bytes  # the authority's certification, B-LT: what is sent to the business
    business_signed: bytes  # + the business's approval with its own certificate, B-LT
    archived: bytes  # + validation data and a document timestamp: B-LTA
    sealed: bytes  # the certified PDF + the registry's seal for the business, B-LT


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


def business_signs_with(flow: Flow, signer) -> bytes:
    """What a business would upload after signing the sent PDF with its own tool (B-B)."""
    return pades.sign_as_business(flow.certified, signer)


def sign_new_field(pdf: bytes, signer, field_name: str) -> bytes:
    """A signature in a new, invisible field: what a careless signing tool might add."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = pyhanko_signers.PdfSignatureMetadata(
        field_name=field_name, subfilter=sig_fields.SigSeedSubFilter.PADES
    )
    return (
        pyhanko_signers.PdfSigner(
            meta, signer, new_field_spec=sig_fields.SigFieldSpec(sig_field_name=field_name)
        )
        .sign_pdf(writer)
        .getvalue()
    )


# --- SoftHSM2: a PKCS#11 token in a temporary directory ---------------------------------------
