"""The verdict on a PDF anyone may upload, reached under limits: cheap structural checks
first, then the parsing and checking in a child process with its own memory, CPU and time
budget (partnerships/core/isolation.py). A hostile PDF gets a verdict that says it is too
complex; the web worker that received it stays free. What the child fetches for validation
follows the deployment's fetch policy within its network budget (signing/pdf/fetching.py)."""

import dataclasses
import hashlib
import logging

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from partnerships.core.isolation import Budget, LimitExceeded, run_limited
from partnerships.signing.pdf import verify, visual
from partnerships.signing.pdf.fetching import FetchPolicy, fetch_policy
from partnerships.signing.pdf.network import network_budget
from partnerships.signing.pdf.structure import TOO_COMPLEX_PROBLEM, structural_problem
from partnerships.signing.recent_verdicts import RECENT, lasting, setup_key
from partnerships.signing.setup import SigningSetup
from partnerships.signing.verdicts import describe

logger = logging.getLogger(__name__)

COULD_NOT_CHECK = verify.Problem("verification_failed", _("The file could not be checked."))
# A verdict's reply is a few KB: 2 MB leaves room, and bounds what a taken-over child can
# make the worker parse.
BUDGET = Budget(memory_mb=768, cpu_seconds=20, wall_seconds=30, reply_mb=2)


def budget_for(network_seconds: float) -> Budget:
    """BUDGET, with time for the whole network budget and the checking after it."""
    wall = max(BUDGET.wall_seconds, int(network_seconds) + 20)
    return dataclasses.replace(BUDGET, wall_seconds=wall)


def _checked(
    pdf: bytes, options: dict, policy: FetchPolicy, seconds: float
) -> tuple[dict, str, object]:
    """In the child: the verdict, described in plain values (strings in the active language),
    and the render comparison, for the parent to remember (the child's memory is lost)."""
    with network_budget(seconds), fetch_policy(policy):
        verdict = verify.verify_pdf(pdf, **options)
    return describe(verdict), verdict.sha256, visual.remembered(verdict.sha256)


def public_verdict(pdf: bytes) -> tuple[dict, str]:
    """(description for the page, SHA-256 of the file) for an uploaded PDF; never raises."""
    digest = hashlib.sha256(pdf).hexdigest()
    refused = structural_problem(pdf)
    if refused is not None:
        return describe(verify.Verdict(sha256=digest, problems=(refused,))), digest
    # Certificates and keys are read here, in the parent (a token must not be forked).
    setup = SigningSetup.from_settings()
    roots = setup.trust_roots
    if not roots:
        return describe(setup.verify(pdf)), digest
    key = (digest, translation.get_language(), setup_key(setup))
    recent = RECENT.get(key)
    if recent is not None:
        return recent, digest
    description, checked = _checked_in_child(pdf, digest, setup)
    if checked and lasting(description):
        RECENT.keep(key, description)
    return description, digest


def _checked_in_child(pdf: bytes, digest: str, setup: SigningSetup) -> tuple[dict, bool]:
    """(description, True) of the verdict the child made, dated now; (description, False)
    when the child could not make one (too complex, crashed)."""
    options = {
        "trust_roots": setup.trust_roots,
        "other_certs": list(setup.other_certs),
        "registry_seals": setup.registry_seals,
        "revocation_mode": setup.revocation_mode,
        "crls": list(setup.crls),
    }
    try:
        description, _child_digest, comparison = run_limited(
            _checked,
            pdf,
            options,
            setup.fetch_policy,
            setup.network_timeout,
            budget=budget_for(setup.network_timeout),
            returns=(dict, str, (visual.Comparison, None)),
            classes=(visual.Comparison,),
        )
        if comparison is not None:  # the next child, forked from here, inherits it
            # Under the digest computed here: a child's word must not file a "no
            # difference" under the digest of another document.
            visual.remember(digest, comparison)
    except LimitExceeded as exceeded:
        logger.warning("Verification of an uploaded PDF stopped: %s", exceeded.kind)
        reason = COULD_NOT_CHECK if exceeded.kind == "crash" else TOO_COMPLEX_PROBLEM
        return describe(verify.Verdict(sha256=digest, problems=(reason,))), False
    # The file's own digest, not one the child names.
    return {**description, "sha256": digest, "checked_at": timezone.now()}, True
