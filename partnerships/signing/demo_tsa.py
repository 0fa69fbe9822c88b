"""A DEMO time-stamping authority (RFC 3161), so that the demo's signatures are PAdES B-T and
its completed MoUs carry an archive timestamp (B-LTA), as a deployment's would.

Its certificate is issued under a root of its own ("DEMO Time-Stamping Root — not trusted
outside this demo"), written into DEMO_PKI_DIR beside the demo PKI and trusted by the demo
setup only (setup.demo_setup). The tokens are made by certomancer's TimeStamper (a test
dependency, which scripts/setup.sh installs); the server is a small HTTP server on loopback.

`manage.py run_demo_tsa` serves it for the web server (scripts/demo.sh starts it, like the
converter); `seed_demo` starts one of its own for the time it signs.

The same server publishes the demo PKI's revocation data: GET DEMO_CRL_PATH answers with the
CRL of the demo root (demo_pki writes it into the same folder and names this address in every
certificate it issues), so the demo's completed MoUs carry validated revocation data (B-LTA).
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TSA_ROOT_NAME = "DEMO Time-Stamping Root — not trusted outside this demo"
TSA_ROOT_FILE = "tsa-root.pem"
TSA_CERT_FILE = "tsa.pem"
TSA_KEY_FILE = "tsa.key.pem"
# RFC 3161 requests are a few hundred bytes: refuse anything larger unread.
MAX_REQUEST_BYTES = 16 * 1024
# The demo root's CRL (DER), written by demo_pki, and where this server publishes it.
DEMO_CRL_FILE = "root.crl"
DEMO_CRL_PATH = "/demo-root.crl"
# Long enough for a completed demo MoU to be checked ten years on (its archive timestamp
# must still be valid then), short of the TSA root's twenty.
TSA_CERT_DAYS = 15 * 365


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "DEMO"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def ensure_demo_tsa(directory: Path) -> Path:
    """Make the demo TSA's root, certificate and key in `directory` unless they are there."""
    directory = Path(directory)
    if (directory / TSA_KEY_FILE).is_file():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = _name(TSA_ROOT_NAME)
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=20 * 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("DEMO Time Stamping"))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=TSA_CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (directory / TSA_ROOT_FILE).write_bytes(root.public_bytes(pem))
    (directory / TSA_CERT_FILE).write_bytes(cert.public_bytes(pem))
    key_file = directory / TSA_KEY_FILE
    key_file.touch(mode=0o600)
    # Written last: its presence means the TSA is complete.
    key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return directory


def _time_stamper(directory: Path):
    from asn1crypto import keys
    from asn1crypto import x509 as asn1_x509
    from certomancer.services import TimeStamper
    from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder

    cert: asn1_x509.Certificate = load_cert_from_pemder(directory / TSA_CERT_FILE)
    root = load_cert_from_pemder(directory / TSA_ROOT_FILE)
    key: keys.PrivateKeyInfo = load_private_key_from_pemder(directory / TSA_KEY_FILE, None)
    return TimeStamper(tsa_cert=cert, tsa_key=key, certs_to_embed=[root])


def _handler(stamper, directory: Path):
    from asn1crypto import tsp

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            # Read at each request: the demo PKI may be made after the server started
            # (scripts/demo.sh starts it before seed_demo).
            crl_file = directory / DEMO_CRL_FILE
            if self.path != DEMO_CRL_PATH or not crl_file.is_file():
                self.send_error(404)
                return
            crl = crl_file.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/pkix-crl")
            self.send_header("Content-Length", str(len(crl)))
            self.end_headers()
            self.wfile.write(crl)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_REQUEST_BYTES:
                self.send_error(413 if length else 400)
                return
            try:
                request = tsp.TimeStampReq.load(self.rfile.read(length))
                response = stamper.request_tsa_response(request).dump()
            except Exception:
                self.send_error(400)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(response)))
            self.end_headers()
            self.wfile.write(response)

        def log_message(self, *args) -> None:
            pass

    return Handler


@contextmanager
def serve_demo_tsa(directory: Path, *, port: int = 0) -> Iterator[str]:
    """Serve the demo TSA of `directory` (and the demo root's CRL, once there is one) on
    127.0.0.1:`port` (0: any free port) for the `with` block; yields its URL."""
    directory = ensure_demo_tsa(directory)
    handler = _handler(_time_stamper(directory), directory)
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, name="demo-tsa", daemon=True)
    thread.start()
    try:
        yield demo_tsa_url(server.server_port)
    finally:
        server.shutdown()
        server.server_close()


def demo_tsa_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/"


def demo_crl_url(port: int) -> str:
    """Where the demo server on `port` publishes the demo root's CRL."""
    return f"http://127.0.0.1:{port}{DEMO_CRL_PATH}"
