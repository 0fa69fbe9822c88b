"""OCSP answers reused for a short while by the verifications of one process.

With fetching allowed, pyHanko asks the signer's OCSP responder on every validation, even
when the document embeds an answer (it wants a fresh one). The same few certificates (an
authority's, a business's) are checked again and again, and each question is a round trip
to the CA (hundreds of milliseconds to a real one) and load on its responder. So an answer
fetched here is reused for `reuse_seconds()` (the deployment's SIGNING_OCSP_REUSE_SECONDS,
set by `configure()` from the app; 0 turns reuse off), never past the answer's own
nextUpdate: a revocation the CA publishes is seen at most that much later, as RFC 5019
clients cache.

Only for verification (`for_verification()` around it): signing embeds fresh answers in
the document (B-LT), which a validator may want issued after the signature, so it always
asks. Only successful answers this process fetched itself are kept, never data a document
embeds; an answer is keyed by the certificate's SHA-256 and its issuer, and validation
checks it (its signature, its responder, its times) each time as it would a fresh one.
"""

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from asn1crypto import ocsp

DEFAULT_REUSE_SECONDS = 60
MAX_ANSWERS = 1_000

_answers: OrderedDict = OrderedDict()  # key -> (expires at, time.monotonic(); the answer)
_lock = threading.Lock()


_reuse_seconds: float = DEFAULT_REUSE_SECONDS
_verifying: ContextVar[bool] = ContextVar("ocsp_reuse_verifying", default=False)


@contextmanager
def for_verification() -> Iterator[None]:
    """OCSP answers are reused inside (verification); outside (signing) they are not."""
    token = _verifying.set(True)
    try:
        yield
    finally:
        _verifying.reset(token)


def active() -> bool:
    return _verifying.get() and _reuse_seconds > 0


def configure(seconds: float) -> None:
    """Reuse answers for `seconds` from now on (the app sets the deployment's setting)."""
    global _reuse_seconds
    _reuse_seconds = float(seconds)
    if _reuse_seconds <= 0:
        clear()


def reuse_seconds() -> float:
    return _reuse_seconds


def key(cert, authority) -> tuple:
    return (hashlib.sha256(cert.dump()).hexdigest(), authority.hashable)


def kept(answer_key: tuple) -> ocsp.OCSPResponse | None:
    """The answer kept under `answer_key`, while it may still be reused."""
    with _lock:
        found = _answers.get(answer_key)
        if found is None:
            return None
        expires, answer = found
        if time.monotonic() >= expires:
            del _answers[answer_key]
            return None
        return answer


def keep(answer_key: tuple, answer: ocsp.OCSPResponse) -> None:
    """Keep a fetched answer for reuse, if it is a successful one and reuse is on."""
    seconds = _lifetime(answer, reuse_seconds())
    if seconds <= 0:
        return
    with _lock:
        _answers[answer_key] = (time.monotonic() + seconds, answer)
        _answers.move_to_end(answer_key)
        while len(_answers) > MAX_ANSWERS:
            _answers.popitem(last=False)


def clear() -> None:
    with _lock:
        _answers.clear()


def _lifetime(answer: ocsp.OCSPResponse, limit: float) -> float:
    """Seconds `answer` may be reused: `limit`, cut short by its nextUpdate; 0 for a failure
    or an answer that cannot be read."""
    if limit <= 0:
        return 0
    try:
        if answer["response_status"].native != "successful":
            return 0
        data = answer["response_bytes"]["response"].parsed["tbs_response_data"]
        next_updates = [single["next_update"].native for single in data["responses"]]
    except (KeyError, TypeError, ValueError):
        return 0
    now = datetime.now(UTC)
    for next_update in next_updates:
        if next_update is not None:
            limit = min(limit, (next_update - now).total_seconds())
    return max(limit, 0)
