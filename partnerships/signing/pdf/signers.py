"""Where signing keys come from: a PKCS#12 file, a PKCS#11 token, or someone else's device.

The caller reads paths, passphrases and PINs from settings or the environment and passes them
in; nothing here reads configuration. Load a signer once and reuse it: parsing a PKCS#12 file
and logging in to a token cost far more than the signature itself.

The third way, a business signing with its own tool (a USB token, a CA's signing app), needs
nothing here: the business downloads the prepared PDF, signs it elsewhere, and the upload is
checked by `upload.check_business_upload`.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from asn1crypto import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.utils.translation import gettext_lazy as _
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers import Signer, SimpleSigner

from partnerships.signing.pdf.errors import SigningError

__all__ = ["Signer", "load_pkcs12_signer", "open_pkcs11_signer"]


class KeyInMemorySigner(SimpleSigner):
    """pyHanko's signer for a key held in memory, with the key parsed once.

    pyHanko's SimpleSigner parses the private key from DER on every signature, and signs
    twice per signature: once for real and once in a "dry run" that only measures how much
    room the signature needs in the PDF. Here the key object is made on first use and kept,
    and a dry run with an RSA key (whose signature is always as long as its modulus) returns
    placeholder bytes of that length instead of signing, as pyHanko's PKCS#11 signer does.
    The signature that goes into the document is made exactly as pyHanko makes it.
    """

    _private_key = None

    @classmethod
    def from_simple_signer(cls, signer: SimpleSigner) -> "KeyInMemorySigner":
        return cls(
            signing_cert=signer.signing_cert,
            signing_key=signer.signing_key,
            cert_registry=signer.cert_registry,
            signature_mechanism=signer.signature_mechanism,
            prefer_pss=signer.prefer_pss,
            embed_roots=signer.embed_roots,
        )

    def _key(self):
        if self._private_key is None:
            self._private_key = serialization.load_der_private_key(
                self.signing_key.dump(), password=None
            )
        return self._private_key

    def _pkcs1v15(self, digest_algorithm: str) -> bool:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            name = mechanism.signature_algo
        except ValueError:
            name = mechanism["algorithm"].native
        return name == "rsassa_pkcs1v15" and isinstance(self._key(), RSAPrivateKey)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
        if dry_run and self._pkcs1v15(digest_algorithm):
            return bytes(self._key().key_size // 8)
        return self.sign_raw(data, digest_algorithm)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        if not self._pkcs1v15(digest_algorithm):  # PSS, ECDSA …: pyHanko's own way
            return super().sign_raw(data, digest_algorithm)
        return self._key().sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


def load_pkcs12_signer(
    path: str | Path,
    passphrase: str | bytes | None,
    *,
    extra_certificates: Iterable[x509.Certificate] = (),
) -> Signer:
    """A signer from a PKCS#12 (.p12/.pfx) file holding the key, its certificate and chain.

    `extra_certificates` completes a chain the file lacks (intermediate CAs), so that
    verifiers can build the path to a trusted root.
    """
    if isinstance(passphrase, str):
        passphrase = passphrase.encode("utf-8")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SigningError(
            _("The signing certificate file %(path)s cannot be read.") % {"path": str(path)}
        ) from exc
    try:
        signer = SimpleSigner.load_pkcs12_data(
            data, other_certs=list(extra_certificates), passphrase=passphrase
        )
    except Exception as exc:  # wrong passphrase, damaged file, unsupported algorithm
        raise SigningError(
            _(
                "The signing certificate file %(path)s cannot be opened: the passphrase is "
                "wrong or the file is damaged."
            )
            % {"path": str(path)}
        ) from exc
    if signer is None or signer.signing_cert is None:
        raise SigningError(
            _("The signing certificate file %(path)s holds no key and certificate.")
            % {"path": str(path)}
        )
    return KeyInMemorySigner.from_simple_signer(signer)


@contextmanager
def open_pkcs11_signer(
    module_path: str | Path,
    *,
    pin: str,
    token_label: str | None = None,
    slot_no: int | None = None,
    key_label: str | None = None,
    key_id: bytes | None = None,
    cert_label: str | None = None,
    signing_cert: x509.Certificate | None = None,
    extra_certificates: Iterable[x509.Certificate] = (),
) -> Iterator[Signer]:
    """A signer whose key stays on a PKCS#11 token (an HSM, a USB token, SoftHSM in tests).

    Opens a logged-in session for the `with` block and closes it afterwards. The certificate
    is read from the token (by `cert_label`, else the key's label or id) unless
    `signing_cert` is given; `extra_certificates` completes its chain.
    """
    # Imported here: python-pkcs11 loads a C extension that deployments without a token need not.
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    if not Path(module_path).exists():
        raise SigningError(
            _("The PKCS#11 module %(path)s does not exist.") % {"path": str(module_path)}
        )
    try:
        session = open_pkcs11_session(
            str(module_path),
            slot_no=slot_no,
            token_criteria=TokenCriteria(label=token_label) if token_label else None,
            user_pin=pin,
        )
    except Exception as exc:  # no token, wrong PIN, locked token
        raise SigningError(
            _(
                "The signing token %(label)s cannot be opened: it is not connected, or the "
                "PIN is wrong."
            )
            % {"label": token_label or slot_no or ""}
        ) from exc
    try:
        signer = PKCS11Signer(
            session,
            cert_label=cert_label,
            signing_cert=signing_cert,
            key_label=key_label,
            key_id=key_id,
            ca_chain=list(extra_certificates),
        )
        try:
            loaded = signer.signing_cert  # loads the key and certificate now, to fail here
        except Exception:
            loaded = None
        if loaded is None:
            raise SigningError(_("The signing key or its certificate was not found on the token."))
        yield signer
    finally:
        session.close()
