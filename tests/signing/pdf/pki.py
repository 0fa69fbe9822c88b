"""A throw-away test PKI built with certomancer and served on a loopback port.

Everything is made at test time in a temporary directory: RSA keys, the certificates (dated
relative to today, so the suite does not age), PKCS#12 files. Certomancer's Animator (a WSGI
app) answers OCSP, CRL, certificate and time-stamping requests from a thread in this process.

The architecture:

    root ─┬─ interm ─┬─ ocsp (responder for interm)
          │          ├─ authority   Võ Minh Tâm, UBND xã Bến Lức
          │          ├─ authority_thanh_loi  Trần Văn Lợi, UBND xã Thạnh Lợi (another commune)
          │          ├─ business    Nguyễn Thị Hoa, Công ty May Bến Lức, UID=MST:0312345678
          │          ├─ other       Lê Văn Sơn, Công ty Đá Kim Bảng, UID=MST:0700000001
          │          ├─ revoked     same company as `business`, revoked last month
          │          ├─ expired     same company as `business`, expired last year
          │          ├─ server_only same company, extended key usage serverAuth only (critical)
          │          ├─ two_codes   same company's UID and another serialNumber tax code
          │          ├─ future      same company, valid from next month
          │          ├─ encipher_only same company, key usage keyEncipherment only
          │          ├─ revoked_later same company, to be revoked a year from now
          │          └─ seal        the registry's seal
          └─ tsa (time stamping)
"""

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import x509
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import WSGIRequestHandler, make_server

ARCH = "testing"
PASSPHRASE = "mật khẩu"  # of every PKCS#12 file: non-ASCII on purpose
BUSINESS_TAX_CODE = "0312345678"
OTHER_TAX_CODE = "0700000001"
KEY_LABELS = (
    "root",
    "interm",
    "ocsp",
    "tsa",
    "authority",
    "authority_thanh_loi",
    "business",
    "other",
    "revoked",
    "expired",
    "seal",
    "server_only",
    "two_codes",
    "future",
    "encipher_only",
    "revoked_later",
)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _signer_cert(
    *,
    valid_from: datetime,
    valid_to: datetime,
    key_usage=("digital_signature", "non_repudiation"),
    extended_key_usage=None,
    **extra,
) -> dict:
    # As Vietnamese CAs issue them (and poppler 22.12's pdfsig reports a stale NSS error as
    # "Unknown issue with Certificate" for a certificate without it).
    extended_key_usage = extended_key_usage or {
        "id": "extended_key_usage",
        "value": ["client_auth", "email_protection"],
    }
    return {
        "issuer": "interm",
        "validity": {"valid-from": _iso(valid_from), "valid-to": _iso(valid_to)},
        "extensions": [
            {
                "id": "key_usage",
                "critical": True,
                "smart-value": {"schema": "key-usage", "params": list(key_usage)},
            },
            extended_key_usage,
            {
                "id": "crl_distribution_points",
                "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": ["interm"]}},
            },
            {
                "id": "authority_information_access",
                "smart-value": {
                    "schema": "aia-urls",
                    "params": {
                        "ocsp-responder-names": ["interm"],
                        "ca-issuer-links": [{"repo": "interm"}],
                    },
                },
            },
        ],
        **extra,
    }


def certomancer_config(now: datetime) -> dict:
    long_ago, far_ahead = now - timedelta(days=3 * 365), now + timedelta(days=10 * 365)
    # The root and the TSA outlive the signers' certificates, as real ones do: an archive
    # timestamp keeps a completed MoU verifiable after its signers' certificates expire.
    lifetime = now + timedelta(days=25 * 365)
    signer_from = now - timedelta(days=365)
    ca_usage = {
        "id": "key_usage",
        "critical": True,
        "smart-value": {
            "schema": "key-usage",
            "params": ["digital_signature", "key_cert_sign", "crl_sign"],
        },
    }
    return {
        "keysets": {
            ARCH: {"keys": {label: {"path": f"{label}.key.pem"} for label in KEY_LABELS}},
        },
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entity-defaults": {"country-name": "VN"},
                "entities": {
                    "root": {"organization-name": "DEMO", "common-name": "DEMO Test Root CA"},
                    "interm": {"organization-name": "DEMO", "common-name": "DEMO Test Issuing CA"},
                    "ocsp": {"organization-name": "DEMO", "common-name": "DEMO OCSP Responder"},
                    "tsa": {"organization-name": "DEMO", "common-name": "DEMO Time Stamping"},
                    "authority": {
                        "organization-name": "UBND xã Bến Lức",
                        "title": "Chủ tịch",
                        "common-name": "Võ Minh Tâm",
                    },
                    "authority_thanh_loi": {
                        "organization-name": "UBND xã Thạnh Lợi",
                        "title": "Chủ tịch",
                        "common-name": "Trần Văn Lợi",
                    },
                    "business": {
                        "organization-name": "Công ty May Bến Lức",
                        "user-id": f"MST:{BUSINESS_TAX_CODE}",
                        "common-name": "Nguyễn Thị Hoa",
                    },
                    "other": {
                        "organization-name": "Công ty Đá Kim Bảng",
                        "user-id": f"MST:{OTHER_TAX_CODE}",
                        "common-name": "Lê Văn Sơn",
                    },
                    "revoked": {
                        "organization-name": "Công ty May Bến Lức",
                        "user-id": f"MST:{BUSINESS_TAX_CODE}",
                        "common-name": "Nguyễn Thị Hoa (revoked)",
                    },
                    "expired": {
                        "organization-name": "Công ty May Bến Lức",
                        "serial-number": BUSINESS_TAX_CODE,
                        "common-name": "Nguyễn Thị Hoa (expired)",
                    },
                    "seal": {
                        "organization-name": "DEMO Registry",
                        "common-name": "DEMO Registry Seal",
                    },
                    **{
                        label: {
                            "organization-name": "Công ty May Bến Lức",
                            "user-id": f"MST:{BUSINESS_TAX_CODE}",
                            "common-name": f"Nguyễn Thị Hoa ({label})",
                        }
                        for label in ("server_only", "future", "encipher_only", "revoked_later")
                    },
                    "two_codes": {
                        "organization-name": "Công ty May Bến Lức",
                        "user-id": f"MST:{BUSINESS_TAX_CODE}",
                        "serial-number": OTHER_TAX_CODE,
                        "common-name": "Nguyễn Thị Hoa (two_codes)",
                    },
                },
                "certs": {
                    "root": {
                        "subject": "root",
                        "issuer": "root",
                        "validity": {"valid-from": _iso(long_ago), "valid-to": _iso(lifetime)},
                        "extensions": [
                            {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
                            ca_usage,
                        ],
                    },
                    "interm": {
                        "issuer": "root",
                        "validity": {"valid-from": _iso(long_ago), "valid-to": _iso(far_ahead)},
                        "extensions": [
                            {
                                "id": "basic_constraints",
                                "critical": True,
                                "value": {"ca": True, "path-len-constraint": 0},
                            },
                            ca_usage,
                            {
                                "id": "crl_distribution_points",
                                "smart-value": {
                                    "schema": "crl-dist-url",
                                    "params": {"crl-repo-names": ["root"]},
                                },
                            },
                        ],
                    },
                    "ocsp": {
                        "issuer": "interm",
                        "validity": {"valid-from": _iso(long_ago), "valid-to": _iso(far_ahead)},
                        "extensions": [
                            {
                                "id": "key_usage",
                                "critical": True,
                                "smart-value": {
                                    "schema": "key-usage",
                                    "params": ["digital_signature"],
                                },
                            },
                            {
                                "id": "extended_key_usage",
                                "critical": True,
                                "value": ["ocsp_signing"],
                            },
                            {"id": "ocsp_no_check"},
                        ],
                    },
                    "tsa": {
                        "issuer": "root",
                        "validity": {"valid-from": _iso(long_ago), "valid-to": _iso(lifetime)},
                        "extensions": [
                            {
                                "id": "key_usage",
                                "critical": True,
                                "smart-value": {
                                    "schema": "key-usage",
                                    "params": ["digital_signature"],
                                },
                            },
                            {
                                "id": "extended_key_usage",
                                "critical": True,
                                "value": ["time_stamping"],
                            },
                            {
                                "id": "crl_distribution_points",
                                "smart-value": {
                                    "schema": "crl-dist-url",
                                    "params": {"crl-repo-names": ["root"]},
                                },
                            },
                        ],
                    },
                    **{
                        label: _signer_cert(valid_from=signer_from, valid_to=far_ahead)
                        for label in (
                            "authority",
                            "authority_thanh_loi",
                            "business",
                            "other",
                            "seal",
                        )
                    },
                    "revoked": _signer_cert(
                        valid_from=signer_from,
                        valid_to=far_ahead,
                        revocation={
                            "revoked-since": _iso(now - timedelta(days=30)),
                            "reason": "key_compromise",
                        },
                    ),
                    "expired": _signer_cert(
                        valid_from=long_ago, valid_to=now - timedelta(days=365)
                    ),
                    "server_only": _signer_cert(
                        valid_from=signer_from,
                        valid_to=far_ahead,
                        extended_key_usage={
                            "id": "extended_key_usage",
                            "critical": True,
                            "value": ["server_auth"],
                        },
                    ),
                    "two_codes": _signer_cert(valid_from=signer_from, valid_to=far_ahead),
                    "revoked_later": _signer_cert(
                        valid_from=signer_from,
                        valid_to=far_ahead,
                        revocation={
                            "revoked-since": _iso(now + timedelta(days=365)),
                            "reason": "key_compromise",
                        },
                    ),
                    "future": _signer_cert(valid_from=now + timedelta(days=30), valid_to=far_ahead),
                    "encipher_only": _signer_cert(
                        valid_from=signer_from,
                        valid_to=far_ahead,
                        key_usage=("key_encipherment",),
                    ),
                },
                "services": {
                    "ocsp": {
                        "interm": {
                            "for-issuer": "interm",
                            "responder-cert": "ocsp",
                            "signing-key": "ocsp",
                        }
                    },
                    "crl-repo": {
                        "root": {
                            "for-issuer": "root",
                            "signing-key": "root",
                            "simulated-update-schedule": "P90D",
                        },
                        "interm": {
                            "for-issuer": "interm",
                            "signing-key": "interm",
                            "simulated-update-schedule": "P30D",
                        },
                    },
                    "cert-repo": {
                        "root": {"for-issuer": "root", "publish-issued-certs": True},
                        "interm": {"for-issuer": "interm", "publish-issued-certs": True},
                    },
                    "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
                },
            }
        },
    }


def _write_keys(directory: Path) -> None:
    for label in KEY_LABELS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (directory / f"{label}.key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


class _Forward:
    """The server needs its port before the PKI (whose URLs name the port) exists."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@dataclass
class TestPki:
    directory: Path
    base_url: str
    arch: object = None
    _server: object = field(default=None, repr=False)

    @property
    def tsa_url(self) -> str:
        return f"{self.base_url}/{ARCH}/tsa/tsa"

    def cert(self, label: str) -> x509.Certificate:
        return self.arch.get_cert(CertLabel(label))

    @property
    def root(self) -> x509.Certificate:
        return self.cert("root")

    @property
    def trust_roots(self) -> list[x509.Certificate]:
        return [self.root]

    def pkcs12(self, label: str, passphrase: str = PASSPHRASE) -> Path:
        """A PKCS#12 file with the key, certificate and chain, as a CA would issue it."""
        path = self.directory / f"{label}.p12"
        if not path.exists():
            path.write_bytes(
                self.arch.package_pkcs12(CertLabel(label), password=passphrase.encode())
            )
        return path

    def private_key_pem(self, label: str) -> bytes:
        return (self.directory / f"{label}.key.pem").read_bytes()

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def start_test_pki(directory: Path) -> TestPki:
    """Generate the PKI in `directory` and serve it on 127.0.0.1 until `close()`."""
    forward = _Forward()
    server = make_server("127.0.0.1", 0, forward, threaded=True, request_handler=_QuietHandler)
    base_url = f"http://127.0.0.1:{server.server_port}"
    _write_keys(directory)
    config = CertomancerConfig(
        certomancer_config(datetime.now(UTC).replace(microsecond=0)),
        key_search_dir=str(directory),
        external_url_prefix=base_url,
    )
    arch = config.get_pki_arch(ArchLabel(ARCH))
    forward.app = Animator(AnimatorArchStore({ARCH: arch}), with_web_ui=False)
    threading.Thread(target=server.serve_forever, name="test-pki", daemon=True).start()
    return TestPki(directory=directory, base_url=base_url, arch=arch, _server=server)
