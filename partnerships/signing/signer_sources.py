"""Where a signer's key lives: a PKCS#12 file, or a key on a PKCS#11 token (an HSM, or a USB
token plugged into the server). Each source opens a pyHanko signer for one signature and
lists its certificates (for trust and fetch policy)."""

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import x509
from django.utils.translation import gettext_lazy as _

from partnerships.signing.pdf.errors import SigningError
from partnerships.signing.pdf.signers import Signer, load_pkcs12_signer, open_pkcs11_signer


@functools.lru_cache(maxsize=8)
def _pkcs12(path: str, mtime: float, passphrase: str, extra: tuple) -> Signer:
    # Parsing a PKCS#12 file costs far more than a signature: keep each one loaded (keyed by
    # its modification time, so a replaced file is read again).
    return load_pkcs12_signer(path, passphrase, extra_certificates=list(extra))


@dataclass(frozen=True)
class Pkcs12Source:
    path: str
    passphrase: str
    extra: tuple = ()

    def load(self) -> Signer:
        try:
            mtime = Path(self.path).stat().st_mtime
        except OSError as exc:
            raise SigningError(
                _("The signing certificate file %(path)s cannot be read.") % {"path": self.path}
            ) from exc
        return _pkcs12(self.path, mtime, self.passphrase, self.extra)

    @contextmanager
    def open(self) -> Iterator[Signer]:
        yield self.load()

    def certificates(self) -> list[x509.Certificate]:
        signer = self.load()
        return [signer.signing_cert, *signer.cert_registry]


@dataclass(frozen=True)
class Pkcs11Source:
    module: str
    pin: str
    token_label: str
    key_label: str
    cert_label: str
    extra: tuple = ()

    @contextmanager
    def open(self) -> Iterator[Signer]:
        with open_pkcs11_signer(
            self.module,
            pin=self.pin,
            token_label=self.token_label or None,
            key_label=self.key_label or None,
            cert_label=self.cert_label or self.key_label or None,
            extra_certificates=list(self.extra),
        ) as signer:
            yield signer

    def certificates(self) -> list[x509.Certificate]:
        return list(self.extra)
