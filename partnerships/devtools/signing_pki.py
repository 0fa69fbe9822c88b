"""A throw-away PKI for the signing benchmark, served by certomancer on a loopback port.

Like a Vietnamese CA's: a root, an OCSP responder and a time-stamping authority, and under
the root the authority's signer, the registry's seal and a business's certificate, each
naming the OCSP responder, so that signing validates the chain (B-LT) and the archive
timestamp embeds real revocation data. Keys are made into a temporary directory; nothing
leaves the machine. certomancer is a development dependency (the `test` extra).
"""

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ARCH = "benchmark"
PASSPHRASE = "benchmark"  # noqa: S105  (of throw-away keys, for one run)
SIGNERS = ("authority", "seal", "business")
_KEYS = ("root", "ocsp", "tsa", *SIGNERS)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _usage(*names: str, critical_eku: list[str] | None = None) -> list[dict]:
    extensions = [
        {
            "id": "key_usage",
            "critical": True,
            "smart-value": {"schema": "key-usage", "params": list(names)},
        }
    ]
    if critical_eku:
        extensions.append({"id": "extended_key_usage", "critical": True, "value": critical_eku})
    return extensions


def _config(now: datetime) -> dict:
    validity = {
        "valid-from": _iso(now - timedelta(days=365)),
        "valid-to": _iso(now + timedelta(days=3650)),
    }
    signer = {
        "issuer": "root",
        "validity": validity,
        "extensions": [
            *_usage("digital_signature", "non_repudiation"),
            {"id": "extended_key_usage", "value": ["client_auth", "email_protection"]},
            {
                "id": "authority_information_access",
                "smart-value": {
                    "schema": "aia-urls",
                    "params": {"ocsp-responder-names": ["root"]},
                },
            },
        ],
    }
    return {
        "keysets": {ARCH: {"keys": {label: {"path": f"{label}.key.pem"} for label in _KEYS}}},
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entity-defaults": {"country-name": "VN", "organization-name": "BENCHMARK"},
                "entities": {
                    "root": {"common-name": "BENCHMARK Root CA"},
                    "ocsp": {"common-name": "BENCHMARK OCSP Responder"},
                    "tsa": {"common-name": "BENCHMARK Time Stamping"},
                    "authority": {
                        "organization-name": "UBND xã Bến Lức",
                        "common-name": "Võ Minh Tâm",
                    },
                    "seal": {
                        "organization-name": "BENCHMARK Registry",
                        "common-name": "BENCHMARK Registry Seal",
                    },
                    "business": {
                        "organization-name": "Công ty May Bến Lức",
                        "user-id": "MST:0312345678",
                        "common-name": "Nguyễn Thị Hoa",
                    },
                },
                "certs": {
                    "root": {
                        "subject": "root",
                        "issuer": "root",
                        "validity": validity,
                        "extensions": [
                            {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
                            *_usage("digital_signature", "key_cert_sign", "crl_sign"),
                        ],
                    },
                    "ocsp": {
                        "issuer": "root",
                        "validity": validity,
                        "extensions": [
                            *_usage("digital_signature", critical_eku=["ocsp_signing"]),
                            {"id": "ocsp_no_check"},
                        ],
                    },
                    "tsa": {
                        "issuer": "root",
                        "validity": validity,
                        "extensions": _usage("digital_signature", critical_eku=["time_stamping"]),
                    },
                    **{label: signer for label in SIGNERS},
                },
                "services": {
                    "ocsp": {
                        "root": {
                            "for-issuer": "root",
                            "responder-cert": "ocsp",
                            "signing-key": "ocsp",
                        }
                    },
                    "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
                },
            }
        },
    }


@dataclass
class BenchmarkPki:
    directory: Path
    base_url: str
    arch: object = None
    _server: object = field(default=None, repr=False)

    @property
    def tsa_url(self) -> str:
        return f"{self.base_url}/{ARCH}/tsa/tsa"

    @property
    def root(self) -> x509.Certificate:
        from certomancer.registry import CertLabel

        return self.arch.get_cert(CertLabel("root"))

    def pkcs12(self, label: str) -> Path:
        from certomancer.registry import CertLabel

        path = self.directory / f"{label}.p12"
        if not path.exists():
            path.write_bytes(
                self.arch.package_pkcs12(CertLabel(label), password=PASSPHRASE.encode())
            )
        return path

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


class _Forward:
    """The server needs its port before the PKI (whose URLs name the port) exists."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


def start_pki(directory: Path) -> BenchmarkPki:
    """Make the PKI in `directory` and serve it on 127.0.0.1 until `close()`.

    ImportError when certomancer (a development dependency) is not installed."""
    from certomancer.integrations.animator import Animator, AnimatorArchStore
    from certomancer.registry import ArchLabel, CertomancerConfig
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs) -> None:
            pass

    forward = _Forward()
    server = make_server("127.0.0.1", 0, forward, threaded=True, request_handler=QuietHandler)
    base_url = f"http://127.0.0.1:{server.server_port}"
    for label in _KEYS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (directory / f"{label}.key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    config = CertomancerConfig(
        _config(datetime.now(UTC).replace(microsecond=0)),
        key_search_dir=str(directory),
        external_url_prefix=base_url,
    )
    arch = config.get_pki_arch(ArchLabel(ARCH))
    forward.app = Animator(AnimatorArchStore({ARCH: arch}), with_web_ui=False)
    threading.Thread(target=server.serve_forever, name="benchmark-pki", daemon=True).start()
    return BenchmarkPki(directory=directory, base_url=base_url, arch=arch, _server=server)
