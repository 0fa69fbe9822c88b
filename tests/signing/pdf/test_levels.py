"""The PAdES level counts only validated data: revocation data in the DSS raises a signature
to B-LT only when the signer's issuer really signed it."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import crl as asn1_crl
from certomancer.registry import ServiceLabel
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.validation.dss import DocumentSecurityStore

from partnerships.signing.pdf import pades
from partnerships.signing.pdf.verify import verify_pdf
from tests.factories.signing import AUTHORITY


@pytest.fixture(scope="module")
def timestamped(flow, pki, signer_for) -> bytes:
    """The authority's certification with a signature timestamp and no validation data: B-T."""
    return pades.certify_as_authority(
        flow.signable, signer_for("authority"), **AUTHORITY, tsa_url=pki.tsa_url
    )


def with_crl_in_dss(pdf: bytes, crl: asn1_crl.CertificateList) -> bytes:
    output = io.BytesIO(pdf)
    writer = IncrementalPdfFileWriter(output)
    DocumentSecurityStore.supply_dss_in_writer(writer, sig_contents=None, crls=[crl])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def forged_crl(issuer_name: x509.Name) -> asn1_crl.CertificateList:
    """A CRL that names the issuer but is signed by a key of the forger's."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer_name)
        .last_update(now - timedelta(hours=1))
        .next_update(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return asn1_crl.CertificateList.load(crl.public_bytes(serialization.Encoding.DER))


def level_of(pdf: bytes, pki) -> str:
    verdict = verify_pdf(pdf, trust_roots=pki.trust_roots)
    assert verdict.ok, verdict.as_dict()
    return verdict.signatures[0].pades_level


def test_a_forged_crl_naming_the_issuer_raises_nothing(timestamped, pki):
    issuer = x509.load_der_x509_certificate(pki.cert("interm").dump()).subject
    root = x509.load_der_x509_certificate(pki.root.dump()).subject

    assert level_of(timestamped, pki) == "B-T"
    assert level_of(with_crl_in_dss(timestamped, forged_crl(issuer)), pki) == "B-T"
    assert level_of(with_crl_in_dss(timestamped, forged_crl(root)), pki) == "B-T"


def test_the_issuers_own_crl_makes_it_b_lt(timestamped, pki):
    genuine = pki.arch.service_registry.get_crl(ServiceLabel("interm"))

    assert level_of(with_crl_in_dss(timestamped, genuine), pki) == "B-LT"
