"""The PAdES baseline level of a signature (ETSI EN 319 142-1), from validated data only.

- B-T: a signature timestamp, or a document timestamp over a later revision, that is itself
  intact, valid and trusted;
- B-LT: besides, the document security store (DSS) holds revocation data for the signer's
  certificate that its issuer (the one in the validated certification path) really signed: a
  CRL whose signature verifies with the issuer's key, or an OCSP response about this
  certificate signed by the issuer or by a responder the issuer delegated to;
- B-LTA: besides, such data was already in the DSS of a revision that a valid document
  timestamp covers.

Data that merely names the issuer (a CRL signed by any key with the issuer's name, an OCSP
response for the serial number) raises nothing: anyone can add a DSS to a signed file.
"""

import logging

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

logger = logging.getLogger(__name__)

PADES_SUBFILTER = "/ETSI.CAdES.detached"


def _crypto(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def _verify(public_key, signature: bytes, data: bytes, hash_algorithm) -> bool:
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), hash_algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hash_algorithm))
        else:
            return False
    except Exception:
        return False
    return True


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:
        return False
    return True


def _crl_vouches(crl, issuer: x509.Certificate) -> bool:
    """A CRL of `issuer`, signed with its key (whatever it lists: a revoked certificate is
    refused by validation, not by the level)."""
    try:
        parsed = x509.load_der_x509_crl(crl.dump())
        return parsed.issuer == issuer.subject and parsed.is_signature_valid(issuer.public_key())
    except Exception:
        return False


_HASHES = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def _key_hash(cert: asn1_x509.Certificate, algorithm: str) -> bytes | None:
    """The hash of the certificate's public key, as OCSP names keys (RFC 6960)."""
    if algorithm not in _HASHES:
        return None
    digest = hashes.Hash(_HASHES[algorithm]())
    digest.update(cert.public_key["public_key"].contents[1:])  # the BIT STRING's bytes
    return digest.finalize()


def _ocsp_responder(basic, issuer: asn1_x509.Certificate) -> asn1_x509.Certificate | None:
    """The certificate that signed the OCSP response `basic`, if it is the issuer or a
    responder the issuer delegated OCSP signing to (RFC 6960, 4.2.2.2)."""
    responder_id = basic["tbs_response_data"]["responder_id"]
    for candidate in [issuer, *(basic["certs"] or [])]:
        if responder_id.name == "by_name":
            matches = candidate.subject == responder_id.chosen
        else:
            matches = _key_hash(candidate, "sha1") == responder_id.chosen.native
        if not matches:
            continue
        if candidate is issuer:
            return candidate
        usage = candidate.extended_key_usage_value
        if (
            usage is not None
            and "ocsp_signing" in usage.native
            and _issued_by(_crypto(candidate), _crypto(issuer))
        ):
            return candidate
    return None


def _ocsp_vouches(response, cert: asn1_x509.Certificate, issuer: asn1_x509.Certificate) -> bool:
    """A successful OCSP response about `cert` (serial and issuer key), signed by the issuer
    or its delegated responder. (Parsed with asn1crypto: the cryptography package refuses
    some encodings responders use.)"""
    try:
        if response["response_status"].native != "successful":
            return False
        basic = response.basic_ocsp_response
        about = False
        for single in basic["tbs_response_data"]["responses"]:
            cert_id = single["cert_id"]
            algorithm = cert_id["hash_algorithm"]["algorithm"].native
            if cert_id["serial_number"].native == cert.serial_number and cert_id[
                "issuer_key_hash"
            ].native == _key_hash(issuer, algorithm):
                about = True
        responder = _ocsp_responder(basic, issuer) if about else None
        if responder is None:
            return False
        signature_algorithm = basic["signature_algorithm"]
        hash_algorithm = _HASHES.get(signature_algorithm.hash_algo)
        return hash_algorithm is not None and _verify(
            _crypto(responder).public_key(),
            basic["signature"].native,
            basic["tbs_response_data"].dump(),
            hash_algorithm(),
        )
    except Exception:
        logger.info("Unreadable OCSP response in a DSS", exc_info=True)
        return False


def _issuer_in_path(status) -> asn1_x509.Certificate | None:
    """The signer certificate's issuer, from the path validation built (None if untrusted)."""
    path = getattr(status, "validation_path", None)
    if path is None or not status.trusted:
        return None
    try:
        certs = list(path.iter_certs(include_root=True))
    except Exception:
        return None
    return certs[-2] if len(certs) >= 2 else None


# Whether a CRL or an OCSP response vouches for a certificate depends on their bytes alone:
# answers are remembered by the SHA-256 of those bytes (each DSS of a document, and the next
# document signed by the same people, hold the same responses).
MAX_REMEMBERED = 4096
_vouched: dict[tuple, bool] = {}


def _remembered(key: tuple, judge) -> bool:
    if key not in _vouched:
        if len(_vouched) >= MAX_REMEMBERED:
            _vouched.clear()
        _vouched[key] = judge()
    return _vouched[key]


def forget_all() -> None:
    _vouched.clear()


def has_validated_revocation_data(dss, status) -> bool:
    """`dss` (verify._EmbeddedValidationData or None) holds revocation data about the signer
    of `status` that the issuer in its validated path signed."""
    if dss is None:
        return False
    issuer = _issuer_in_path(status)
    if issuer is None:
        return False
    cert = status.signing_cert
    return any(
        _remembered(
            ("crl", digest, issuer.sha256), lambda crl=crl: _crl_vouches(crl, _crypto(issuer))
        )
        for crl, digest in zip(dss.crls, dss.crl_digests, strict=True)
    ) or any(
        _remembered(
            ("ocsp", digest, cert.sha256, issuer.sha256),
            lambda response=response: _ocsp_vouches(response, cert, issuer),
        )
        for response, digest in zip(dss.ocsps, dss.ocsp_digests, strict=True)
    )


def _timestamp_ok(status) -> bool:
    timestamp = getattr(status, "timestamp_validity", None)
    return timestamp is not None and timestamp.intact and timestamp.valid and timestamp.trusted


def pades_level(embedded, status, *, dss_at, valid_timestamps) -> str | None:
    """The level `embedded` reaches, `status` being its validation; `dss_at(revision)` the
    DSS of a revision (None: of the whole file); `valid_timestamps` the signed revisions of
    the document timestamps that passed validation."""
    if str(embedded.sig_object.get("/SubFilter", "")) != PADES_SUBFILTER:
        return None
    later = [revision for revision in valid_timestamps if revision > embedded.signed_revision]
    if not _timestamp_ok(status) and not later:
        return "B-B"
    if not has_validated_revocation_data(dss_at(None), status):
        return "B-T"
    if any(has_validated_revocation_data(dss_at(revision), status) for revision in later):
        return "B-LTA"
    return "B-LT"
