"""The business certificate profile: each certificate a business may not sign with is
refused with its own reason, by the upload check and (for trust) by verify_pdf."""

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.utils import translation
from pyhanko.sign.signers import SimpleSigner

from partnerships.signing.pdf import profile
from partnerships.signing.pdf.upload import check_business_upload
from partnerships.signing.pdf.verify import verify_pdf
from tests.factories.signing import business_signs_with
from tests.signing.pdf.pki import BUSINESS_TAX_CODE


@pytest.fixture
def check(flow, pki):
    def check(uploaded):
        return check_business_upload(
            flow.certified, uploaded, trust_roots=pki.trust_roots, tax_code=BUSINESS_TAX_CODE
        )

    return check


@pytest.fixture(scope="module")
def self_signed_signer(tmp_path_factory):
    """A certificate the business made itself, naming its tax code."""
    directory = tmp_path_factory.mktemp("self-signed")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.USER_ID, f"MST:{BUSINESS_TAX_CODE}"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Nguyễn Thị Hoa (self-signed)"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .sign(key, hashes.SHA256())
    )
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return SimpleSigner.load(str(directory / "key.pem"), str(directory / "cert.pem"))


@pytest.mark.parametrize(
    ("label", "reason"),
    [
        ("server_only", "extended_key_usage_not_for_documents"),
        ("two_codes", "several_tax_codes"),
        ("future", "not_yet_valid"),
        ("encipher_only", "key_usage_not_for_signing"),
    ],
)
def test_the_upload_check_refuses_a_certificate_outside_the_profile(
    check, flow, signer_for, label, reason
):
    verdict = check(business_signs_with(flow, signer_for(label)))

    assert (verdict.accepted, verdict.reason) == (False, reason)
    assert str(verdict.message) == str(profile.MESSAGES[reason])


def test_the_upload_check_refuses_a_self_signed_certificate(check, flow, self_signed_signer):
    verdict = check(business_signs_with(flow, self_signed_signer))

    assert (verdict.accepted, verdict.reason) == (False, "self_signed_certificate")


def test_the_business_certificate_still_fits_the_profile(check, flow, signer_for):
    # clientAuth beside emailProtection, as Vietnamese CAs issue them.
    assert check(business_signs_with(flow, signer_for("business"))).accepted


def test_verify_says_why_a_certificate_is_not_trusted(flow, pki, signer_for, self_signed_signer):
    future = verify_pdf(
        business_signs_with(flow, signer_for("future")), trust_roots=pki.trust_roots
    )
    self_signed = verify_pdf(
        business_signs_with(flow, self_signed_signer), trust_roots=pki.trust_roots
    )

    assert future.signatures[-1].problems[0].code == "not_yet_valid"
    assert self_signed.signatures[-1].problems[0].code == "self_signed_certificate"


def test_each_reason_has_a_vietnamese_message():
    with translation.override("vi"):
        for code, message in profile.MESSAGES.items():
            with translation.override("en"):
                english = str(message)
            assert str(message) != english, code
