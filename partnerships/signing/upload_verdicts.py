"""The check of a PDF a business (or an authority's staff) signed with its own tool, reached
under limits, as /verify/ is (public_verdicts): the upload is whatever the holder of a signing
link or a browser sends, so pyHanko
reads it in a child process with its own memory, CPU and time budget
(partnerships/core/isolation.py), and fetches for its validation only what the deployment's
fetch policy allows (signing/pdf/fetching.py). A file that exceeds the budget is refused with
a clear reason; the web worker that received it stays free.
"""

import dataclasses
import logging

from partnerships.core.isolation import LimitExceeded, run_limited
from partnerships.signing.pdf import verify
from partnerships.signing.pdf.authority_rule import AuthorityIdentity
from partnerships.signing.pdf.errors import SigningError
from partnerships.signing.pdf.fetching import FetchPolicy, fetch_policy
from partnerships.signing.pdf.network import NetworkTimeout, network_budget, seconds_left
from partnerships.signing.pdf.problems import Problem
from partnerships.signing.pdf.structure import TOO_COMPLEX_PROBLEM
from partnerships.signing.pdf.upload import (
    UploadVerdict,
    check_authority_upload,
    check_business_upload,
)
from partnerships.signing.public_verdicts import COULD_NOT_CHECK, budget_for
from partnerships.signing.setup import SigningSetup

logger = logging.getLogger(__name__)


TRUST_OPTIONS = ("trust_roots", "other_certs", "revocation_mode", "crls")


# What the child's reply may hold (run_limited): the verdicts, their parts, and the errors
# the checks raise for the user.
REPLY_CLASSES = (
    UploadVerdict,
    verify.Verdict,
    verify.SignatureReport,
    Problem,
    SigningError,
    NetworkTimeout,
)


def _checked(
    check, sent_pdf: bytes, uploaded: bytes, options: dict, policy: FetchPolicy, seconds: float
) -> tuple[UploadVerdict, verify.Verdict | None]:
    """In the child: the upload check and, once it accepts, the whole document's verdict."""
    trust = {key: options[key] for key in TRUST_OPTIONS}
    party = {k: v for k, v in options.items() if k not in TRUST_OPTIONS and k != "registry_seals"}
    with network_budget(seconds), fetch_policy(policy):
        upload = check(sent_pdf, uploaded, **party, **trust)
        if upload.message is not None:  # in the request's language: a filled-in message
            upload = dataclasses.replace(upload, message=str(upload.message))  # crosses as text
        if not upload.accepted:
            return upload, None
        return upload, verify.verify_pdf(
            uploaded, registry_seals=options["registry_seals"], **trust
        )


def _trust(setup: SigningSetup) -> dict:
    # Certificates and keys are read here, in the parent (a token must not be forked).
    return {
        "trust_roots": setup.trust_roots,
        "other_certs": list(setup.other_certs),
        "revocation_mode": setup.revocation_mode,
        "crls": list(setup.crls),
        "registry_seals": setup.registry_seals,
    }


def check_upload(
    setup: SigningSetup, *, sent_pdf: bytes, uploaded: bytes, tax_code: str
) -> tuple[UploadVerdict, verify.Verdict | None]:
    """(the upload check's verdict, the whole document's verdict once it is accepted), made
    in a limited child within what is left of the current network budget.

    SigningError when the servers did not answer in time (NetworkTimeout) or the file was
    too much to check: nothing is the business's to change but the file, so the message
    says so."""
    options = _trust(setup) | {"tax_code": tax_code, "tax_code_rule": setup.tax_code_rule}
    return _limited(check_business_upload, setup, sent_pdf, uploaded, options)


def check_authority_signed_upload(
    setup: SigningSetup, *, sent_pdf: bytes, uploaded: bytes, authority: AuthorityIdentity
) -> tuple[UploadVerdict, verify.Verdict | None]:
    """The same for a PDF the authority's staff signed with the authority's official-duty
    certificate: its certificate must belong to `authority` by the deployment's rule."""
    options = _trust(setup) | {
        "authority": authority,
        "rule": setup.authority_rule(authority.id),
        "require_timestamp": setup.authorities.require_timestamp,
    }
    return _limited(check_authority_upload, setup, sent_pdf, uploaded, options)


def _limited(check, setup: SigningSetup, sent_pdf: bytes, uploaded: bytes, options: dict):
    seconds = seconds_left()
    try:
        return run_limited(
            _checked,
            check,
            sent_pdf,
            uploaded,
            options,
            setup.fetch_policy,
            seconds,
            budget=budget_for(seconds),
            returns=(UploadVerdict, (verify.Verdict, None)),
            classes=REPLY_CLASSES,
        )
    except LimitExceeded as exceeded:
        logger.warning("Check of an uploaded signed PDF stopped: %s", exceeded.kind)
        reason = COULD_NOT_CHECK if exceeded.kind == "crash" else TOO_COMPLEX_PROBLEM
        raise SigningError(reason.message) from exceeded
