"""/verify/'s memory of recent verdicts: the same file checked again within RECENT_SECONDS
gets the verdict of its first check (public_verdicts keeps and reads it)."""

import threading
import time
from collections import OrderedDict

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


def lasting(description: dict) -> bool:
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
    """What is left of `budget` after counting the values in `value`; negative once spent,
    or once its text passes MAX_KEPT_TEXT characters, without looking further."""
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


def setup_key(setup) -> tuple:
    """What of the trust setting (SigningSetup) a verdict depends on."""
    return (
        tuple(sorted(root.sha256 for root in setup.trust_roots)),
        tuple(sorted(seal.sha256 for seal in setup.registry_seals)),
        tuple(sorted(crl.sha256 for crl in setup.crls)),
        setup.revocation_mode,
    )
