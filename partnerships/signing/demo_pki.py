"""A DEMO PKI for `seed_demo`: a root named "not trusted outside this demo", and under it the
authority's signer, the registry's seal and a business certificate with its tax code.

Made once into DEMO_PKI_DIR (under var/, never committed) with a random passphrase written
beside the files; with DEBUG=1 and no signer configured, the settings fall back to it (see
setup.demo_setup).

Revocation data, as a real CA publishes it: every certificate names a CRL distribution point
on the demo server (demo_tsa, on loopback), and the root signs a CRL, written beside the
files, that lists no certificate and stays current as long as the root (the demo revokes
nothing). The demo setup also reads that CRL from the folder, so seed_demo signs without the
server; what others check (a viewer, pdfsig) fetches it. The root's key is kept (readable by
the owner only) to issue another CRL should the demo ever revoke. A PKI made before CRLs were
published (no "crl" in its manifest) is kept as it is: its signatures stay B-T, and the MoUs
already signed with it keep verifying; delete the folder and the demo data to get a new one.
"""

import json
import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from partnerships.signing.demo_tsa import DEMO_CRL_FILE
from partnerships.signing.setup import DEMO_MANIFEST

ROOT_NAME = "DEMO Root CA — not trusted outside this demo"
DEMO_TAX_CODE = "0399000101"  # the demo garment factory of seed_demo
ROOT_DAYS = 3650
SIGNER_DAYS = 1825
ROOT_KEY_FILE = "root.key.pem"

# label: the subject's attributes
SUBJECTS = {
    # One signer for every authority of the demo, as the deployment's settings configure.
    "authority": [
        (NameOID.COUNTRY_NAME, "VN"),
        (NameOID.ORGANIZATION_NAME, "DEMO"),
        (NameOID.COMMON_NAME, "DEMO Authority Signer"),
    ],
    "seal": [
        (NameOID.COUNTRY_NAME, "VN"),
        (NameOID.ORGANIZATION_NAME, "DEMO Registry"),
        (NameOID.COMMON_NAME, "DEMO Registry Seal"),
    ],
    "business": [
        (NameOID.COUNTRY_NAME, "VN"),
        (NameOID.ORGANIZATION_NAME, "Công ty TNHH May mặc Bến Lức (DEMO)"),
        (NameOID.USER_ID, f"MST:{DEMO_TAX_CODE}"),
        (NameOID.COMMON_NAME, "Nguyễn Thị Hoa (DEMO)"),
    ],
}


def _name(attributes) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _certificate(
    subject, issuer, public_key, issuer_key, *, ca: bool, now: datetime, crl_url: str | None
):
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=(ROOT_DAYS if ca else SIGNER_DAYS)))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(_usage(ca=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION]
            ),
            critical=False,
        )
    if crl_url is not None:
        point = x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(crl_url)],
            relative_name=None,
            reasons=None,
            crl_issuer=None,
        )
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def root_crl(root: x509.Certificate, root_key: rsa.RSAPrivateKey, *, number: int = 1) -> bytes:
    """The root's CRL (DER), revoking nothing, current until the root itself expires."""
    return (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.subject)
        .last_update(root.not_valid_before_utc)
        .next_update(root.not_valid_after_utc)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )


def encryption_for(passphrase: str):
    return serialization.BestAvailableEncryption(passphrase.encode())


def _write(path: Path, data: bytes) -> None:
    # Readable by the owner only from the start: keys never sit open, even briefly.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
        file.write(data)
    os.chmod(path, 0o600)


def ensure_demo_pki(directory: Path, *, crl_url: str) -> Path:
    """Make the demo PKI in `directory` unless it is there already, its certificates naming
    `crl_url` (demo_tsa.demo_crl_url) for the root's CRL; returns the directory."""
    directory = Path(directory)
    if (directory / DEMO_MANIFEST).is_file():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    passphrase = secrets.token_urlsafe(16)
    now = datetime.now(UTC)
    root_key = _key()
    root_name = _name([(NameOID.ORGANIZATION_NAME, "DEMO"), (NameOID.COMMON_NAME, ROOT_NAME)])
    root = _certificate(
        root_name, root_name, root_key.public_key(), root_key, ca=True, now=now, crl_url=None
    )
    (directory / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    _write(
        directory / ROOT_KEY_FILE,
        root_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            encryption_for(passphrase),
        ),
    )
    (directory / DEMO_CRL_FILE).write_bytes(root_crl(root, root_key))
    files = {
        "root": "root.pem",
        "root_key": ROOT_KEY_FILE,
        "crl": DEMO_CRL_FILE,
        "crl_url": crl_url,
        "passphrase": passphrase,
    }
    encryption = encryption_for(passphrase)
    for label, attributes in SUBJECTS.items():
        key = _key()
        cert = _certificate(
            _name(attributes),
            root_name,
            key.public_key(),
            root_key,
            ca=False,
            now=now,
            crl_url=crl_url,
        )
        _write(
            directory / f"{label}.p12",
            pkcs12.serialize_key_and_certificates(
                f"DEMO {label}".encode(), key, cert, [root], encryption
            ),
        )
        files[label] = f"{label}.p12"
    # Written last: its presence means the PKI is complete.
    _write(directory / DEMO_MANIFEST, json.dumps(files, indent=2).encode())
    return directory
