"""A time budget for the network work of signing: the time-stamping authority, and the OCSP
responders, CRL and certificate servers that validation asks.

These answer while a person waits for the page, so a server that accepts a connection and
never answers must not hold the web worker until its own timeout kills it. The caller
opens a budget (`network_budget(seconds)`, the deployment's SIGNING_NETWORK_TIMEOUT) around
everything one request signs and checks; each step below runs its network work under what
is left (`run_within_budget`), and every client is made with that as its own timeout
(`seconds_left()`). When the budget runs out the step raises NetworkTimeout (a
SigningError), and nothing has been signed.

Without an open budget each step gets DEFAULT_BUDGET on its own.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.utils.translation import gettext_lazy as _

from partnerships.signing.pdf.errors import SigningError

T = TypeVar("T")

DEFAULT_BUDGET = 10.0

# The moment (time.monotonic()) the network work of the current request must be over.
_deadline: ContextVar[float | None] = ContextVar("signing_network_deadline", default=None)


class NetworkTimeout(SigningError):
    """The network servers signing needs did not answer within the time budget."""

    MESSAGE = _(
        "The time-stamping or certificate status servers did not answer in time. "
        "Nothing was signed; please try again in a few minutes."
    )

    def __init__(self, message=MESSAGE):
        super().__init__(message)


@contextmanager
def network_budget(seconds: float) -> Iterator[None]:
    """Everything inside shares `seconds` of network waiting (a budget opened inside
    another ends no later than the outer one)."""
    deadline = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(deadline if outer is None else min(deadline, outer))
    try:
        yield
    finally:
        _deadline.reset(token)


def seconds_left() -> float:
    """What is left of the budget (DEFAULT_BUDGET outside any), at least a moment."""
    deadline = _deadline.get()
    if deadline is None:
        return DEFAULT_BUDGET
    return max(deadline - time.monotonic(), 0.001)


def run_within_budget(work: Callable[[], Awaitable[T]]) -> T:
    """Run the coroutine `work()` in an event loop of its own, for at most what is left of
    the budget; NetworkTimeout when it takes longer (it is cancelled)."""
    deadline = _deadline.get()
    if deadline is not None and deadline <= time.monotonic():
        raise NetworkTimeout()
    seconds = seconds_left()
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(asyncio.wait_for(work(), seconds))
    except TimeoutError as exc:
        raise NetworkTimeout() from exc
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            # Unlike asyncio.run(), close() does not wait for helper threads (a name being
            # resolved): they end by themselves, after the answer has been given.
            loop.close()
