"""Trust roots and validation contexts: which certificates we trust, and how we check them.

A validation context is built fresh for each operation (they cache revocation data, which
must not leak from one document's check into another's).
"""

from collections.abc import Iterable
from datetime import datetime

from asn1crypto import x509
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers import OwnedFetcherBackend

from partnerships.signing.pdf.fetching import guarded_fetcher_backend

Certificates = Iterable[x509.Certificate]

# Signing certificates carry digitalSignature, nonRepudiation or both; either will do.
SIGNER_KEY_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)
# What signing checks on our own certificates before using them.
SIGNING_KEY_USAGE = {"digital_signature"}


def validation_context(
    trust_roots: Certificates,
    *,
    other_certs: Certificates = (),
    allow_fetching: bool = True,
    revocation_mode: str = "hard-fail",
    crls=(),
    ocsps=(),
    moment: datetime | None = None,
) -> ValidationContext:
    """A context that trusts exactly `trust_roots` (never the operating system's list).

    `revocation_mode`: "hard-fail" refuses a certificate whose revocation status cannot be
    established when it names where to find it; "require" demands revocation data for every
    certificate; "soft-fail" accepts when the data cannot be had.

    `moment`: the time to validate at (now when None). Revocation data issued after it
    still counts (`retroactive_revinfo`): a certificate revoked after `moment` was not
    revoked at `moment`, and a revocation before it is listed all the same.

    Each fetch (OCSP, CRL, certificate) goes only where the current fetch policy allows
    and waits at most what is left of the network budget (signing.pdf.fetching and
    .network); the context owns its HTTP session: close it with `aclose()`.
    """
    roots = list(trust_roots)
    if not roots:
        raise ValueError("A validation context needs at least one trust root.")
    fetchers = OwnedFetcherBackend(guarded_fetcher_backend()) if allow_fetching else None
    return ValidationContext(
        fetcher_backend=fetchers,
        trust_roots=roots,
        other_certs=list(other_certs),
        allow_fetching=allow_fetching,
        revocation_mode=revocation_mode,
        crls=list(crls),
        ocsps=list(ocsps),
        moment=moment,
        retroactive_revinfo=moment is not None,
    )
