"""Certificates that name addresses of the attacker's choosing, PDFs signed with them, and a
listener on the loopback that records every request it gets (so a test can show that the
server sent it none).

A certificate names where its issuer, CRL and OCSP responder are (authority information
access, CRL distribution points); whoever makes the certificate chooses those addresses.
"""

import io
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pypdf import PdfWriter

from tests.factories.signing import sign_new_field

# --- A listener that records ------------------------------------------------------------------


@dataclass
class Listener:
    """An HTTP server on 127.0.0.1 that records each request (method, path, Host header) and
    answers 404, a redirect to `redirect_to`, or (with `hang`) nothing until it stops."""

    redirect_to: str | None = None
    hang: bool = False
    hits: list = field(default_factory=list)

    def __post_init__(self):
        listener = self
        self._stop = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                listener.hits.append((self.command, self.path, self.headers.get("Host")))
                if listener.hang:
                    listener._stop.wait(60)
                    return
                if listener.redirect_to:
                    self.send_response(302)
                    self.send_header("Location", listener.redirect_to + self.path)
                else:
                    self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}"

    def close(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()


# --- Certificates -----------------------------------------------------------------------------


@dataclass
class Issued:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def asn1(self) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(self.cert.public_bytes(serialization.Encoding.DER))

    def write_pem(self, path: Path) -> str:
        path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        return str(path)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Hostile Test"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def issue(
    common_name: str,
    *,
    issuer: Issued | None = None,
    ca: bool = False,
    crl_urls=(),
    ocsp_urls=(),
    issuer_urls=(),
) -> Issued:
    """A certificate for `common_name` (self-signed without `issuer`) naming the given CRL
    distribution points, OCSP responders and CA issuer addresses."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.cert.subject if issuer else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if crl_urls:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint([x509.UniformResourceIdentifier(u)], None, None, None)
                    for u in crl_urls
                ]
            ),
            critical=False,
        )
    methods = AuthorityInformationAccessOID
    access = [
        x509.AccessDescription(methods.OCSP, x509.UniformResourceIdentifier(u)) for u in ocsp_urls
    ] + [
        x509.AccessDescription(methods.CA_ISSUERS, x509.UniformResourceIdentifier(u))
        for u in issuer_urls
    ]
    if access:
        builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
    cert = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    return Issued(key, cert)


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def signed_pdf(signer: Issued, chain=()) -> bytes:
    """A one-page PDF signed (PAdES B-B) by `signer`, carrying the certificates `chain`."""
    key = asn1_keys.PrivateKeyInfo.load(
        signer.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pyhanko_signer = signers.SimpleSigner(
        signing_cert=signer.asn1,
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs([c.asn1 for c in chain]),
    )
    return sign_new_field(blank_pdf(), pyhanko_signer, "Signature1")
