"""A small fixed-window rate limit for the public pages, counted in the database.

One row per (scope, key), locked while it is counted: every web worker counts into the same
row, so three workers allow the limit and not three times it, and a restart resets nothing.
Keys (addresses, tokens) are stored only as a hash.
"""

import hashlib
import random
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from partnerships.models import RateLimitCounter

# About one call in this many also deletes counters whose window ended a day ago or more.
_SWEEP_ONE_IN = 200


def _key(scope: str, key: str) -> str:
    return hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()


def exceeded(scope: str, key: str, *, limit: int) -> bool:
    """Has (`scope`, `key`) already used up its `limit`? (Counts nothing.)"""
    return RateLimitCounter.objects.filter(
        key=_key(scope, key), window_ends__gt=timezone.now(), hits__gte=limit
    ).exists()


def allow(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one more request for (`scope`, `key`); False once more than `limit` were made
    within `window` seconds of the first."""
    digest = _key(scope, key)
    now = timezone.now()
    if random.randrange(_SWEEP_ONE_IN) == 0:
        RateLimitCounter.objects.filter(window_ends__lt=now - timedelta(days=1)).delete()
    with transaction.atomic():
        counter = RateLimitCounter.objects.select_for_update().filter(key=digest).first()
        if counter is None:
            try:
                with transaction.atomic():
                    RateLimitCounter.objects.create(
                        key=digest, hits=1, window_ends=now + timedelta(seconds=window)
                    )
                return True
            except IntegrityError:  # another worker created it just now: count in its row
                counter = RateLimitCounter.objects.select_for_update().get(key=digest)
        if counter.window_ends <= now:
            counter.hits, counter.window_ends = 1, now + timedelta(seconds=window)
        else:
            counter.hits += 1
        counter.save(update_fields=["hits", "window_ends"])
        return counter.hits <= limit


def client_ip(request) -> str | None:
    """The client's address; behind the TLS proxy, the last address it appended."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def spend(budgets: list[tuple[str, str, int]], *, amount: int, window: int) -> bool:
    """Take `amount` from each budget (scope, key, limit) at once, or from none of them.

    For limits on a quantity rather than on requests (ID numbers checked, not forms sent):
    False, counting nothing, when any budget would go over its limit within `window`
    seconds of its first use; so a refused file does not eat what is left of the day.
    """
    now = timezone.now()
    digests = sorted((_key(scope, key), limit) for scope, key, limit in budgets)
    with transaction.atomic():
        counters = []
        for digest, limit in digests:  # locked in one order: two spenders cannot deadlock
            counter = _locked_counter(digest, now=now, window=window)
            if counter.window_ends <= now:
                counter.hits, counter.window_ends = 0, now + timedelta(seconds=window)
            if counter.hits + amount > limit:
                return False
            counters.append(counter)
        for counter in counters:
            counter.hits += amount
            counter.save(update_fields=["hits", "window_ends"])
    return True


def forget(budgets: list[tuple[str, str]]) -> None:
    """Start the counts of these (scope, key) pairs afresh."""
    RateLimitCounter.objects.filter(key__in=[_key(scope, key) for scope, key in budgets]).delete()


def _locked_counter(digest: str, *, now, window: int) -> RateLimitCounter:
    counter = RateLimitCounter.objects.select_for_update().filter(key=digest).first()
    if counter is not None:
        return counter
    try:
        with transaction.atomic():
            return RateLimitCounter.objects.create(
                key=digest, hits=0, window_ends=now + timedelta(seconds=window)
            )
    except IntegrityError:  # another worker created it just now: count in its row
        return RateLimitCounter.objects.select_for_update().get(key=digest)
