"""A DEMO PKI for `seed_demo`: a root named "not trusted outside this demo", and under it the
authority's signer, the registry's seal and a business certificate with its tax code.

Made once into DEMO_PKI_DIR (under var/, never committed) with a random passphrase written
beside the files; with DEBUG=1 and no signer configured, the settings fall back to it (see
setup.demo_setup). No revocation servers: the certificates name none, so they validate
offline.
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

from partnerships.signing.setup import DEMO_MANIFEST

ROOT_NAME = "DEMO Root CA — not trusted outside this demo"
DEMO_TAX_CODE = "0399000101"  # the demo garment factory of seed_demo

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


def _certificate(subject, issuer, public_key, issuer_key, *, ca: bool, now: datetime):
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=(3650 if ca else 1825)))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(_usage(ca=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    os.chmod(path, 0o600)


def ensure_demo_pki(directory: Path) -> Path:
    """Make the demo PKI in `directory` unless it is there already; returns the directory."""
    directory = Path(directory)
    if (directory / DEMO_MANIFEST).is_file():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    passphrase = secrets.token_urlsafe(16)
    now = datetime.now(UTC)
    root_key = _key()
    root_name = _name([(NameOID.ORGANIZATION_NAME, "DEMO"), (NameOID.COMMON_NAME, ROOT_NAME)])
    root = _certificate(root_name, root_name, root_key.public_key(), root_key, ca=True, now=now)
    (directory / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    files = {"root": "root.pem", "passphrase": passphrase}
    encryption = serialization.BestAvailableEncryption(passphrase.encode())
    for label, attributes in SUBJECTS.items():
        key = _key()
        cert = _certificate(
            _name(attributes), root_name, key.public_key(), root_key, ca=False, now=now
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
