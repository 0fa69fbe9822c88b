"""The verdict on a PDF anyone may upload, reached under limits: cheap structural checks
first, then the parsing and checking in a child process with its own memory, CPU and time
budget (partnerships/core/isolation.py). A hostile PDF gets a verdict that says it is too
complex; the web worker that received it stays free. What the child fetches for validation
follows the deployment's fetch policy within its network budget (signing/pdf/fetching.py)."""

import dataclasses
import hashlib
import logging
import threading
import time
from collections import OrderedDict

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from partnerships.core.isolation import Budget, LimitExceeded, run_limited
from partnerships.signing.pdf import verify, visual
from partnerships.signing.pdf.fetching import FetchPolicy, fetch_policy
from partnerships.signing.pdf.network import network_budget
from partnerships.signing.pdf.structure import TOO_COMPLEX_PROBLEM, structural_problem
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


# The same file checked again within this time gets the verdict of its first check (with
# the time of that check): a verdict depends on the file, the trust setup and the time, and
# the revocation data it rests on are valid for hours or days. A document many people check
# then costs one check, and uploading one file over and over cannot keep the CPUs busy.
RECENT_SECONDS = 300
RECENT_SIZE = 500
# Verdicts that may read otherwise a moment later: not kept.
_PASSING_PROBLEMS = {"network_timeout", "revocation_unknown", "verification_failed"}


class _RecentVerdicts:
    """The descriptions of files checked in the last RECENT_SECONDS, by the file's SHA-256
    (computed here, never the child's), the page's language and the trust setup."""

    def __init__(self):
        self._items: OrderedDict[tuple, tuple[float, dict]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> dict | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or time.monotonic() - found[0] > RECENT_SECONDS:
                self._items.pop(key, None)
                return None
            return found[1]

    def keep(self, key: tuple, description: dict) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), description)
            self._items.move_to_end(key)
            while len(self._items) > RECENT_SIZE:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


RECENT = _RecentVerdicts()


def _lasting(description: dict) -> bool:
    """Whether the verdict would read the same a minute later (no problem that a network or
    a busy moment caused), and is small enough to keep (what a child sends is not trusted:
    a huge or odd description is simply not kept)."""
    try:
        if _size(description, budget=MAX_KEPT_ITEMS) < 0:
            return False
        raw = description.get("raw") or {}
        problems = list(raw.get("problems") or [])
        for signature in raw.get("signatures") or []:
            problems += list(signature.get("problems") or [])
        codes = [problem.get("code") for problem in problems]
    except (AttributeError, TypeError, ValueError):
        return False
    return all(type(code) is str for code in codes) and not set(codes) & _PASSING_PROBLEMS


# A verdict's description holds a few hundred values and a few KB of text.
MAX_KEPT_ITEMS = 5_000
MAX_KEPT_TEXT = 200_000


def _size(value, *, budget: int) -> int:
    """What is left of `budget` after counting the values in `value` (and its text, by the
    thousand characters); negative once spent, without looking further."""
    pending = [value]
    text = 0
    while pending and budget >= 0:
        item = pending.pop()
        budget -= 1
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
        elif isinstance(item, str):
            text += len(item)
            if text > MAX_KEPT_TEXT:
                return -1
    return budget


def _setup_key(setup: SigningSetup) -> tuple:
    return (
        tuple(sorted(root.sha256 for root in setup.trust_roots)),
        tuple(sorted(seal.sha256 for seal in setup.registry_seals)),
        tuple(sorted(crl.sha256 for crl in setup.crls)),
        setup.revocation_mode,
    )


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
    key = (digest, translation.get_language(), _setup_key(setup))
    recent = RECENT.get(key)
    if recent is not None:
        return recent, digest
    description, checked = _checked_in_child(pdf, digest, setup)
    if checked and _lasting(description):
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
