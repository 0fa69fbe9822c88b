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
from django.utils.translation import gettext_lazy as _
from pyhanko.sign.signers import Signer, SimpleSigner

from partnerships.signing.pdf.errors import SigningError

__all__ = ["Signer", "load_pkcs12_signer", "open_pkcs11_signer"]


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
    return signer


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
