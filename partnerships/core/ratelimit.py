"""A small fixed-window rate limit for the public pages, on Django's cache.

With the default local-memory cache each server process counts on its own, which is enough
to slow down guessing; a deployment with several processes can set CACHES to a shared
cache (e.g. the database cache) for one count.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(scope: str, key: str) -> str:
    return "ratelimit:" + scope + ":" + hashlib.sha256(key.encode()).hexdigest()


def exceeded(scope: str, key: str, *, limit: int) -> bool:
    """Has (`scope`, `key`) already used up its `limit`? (Counts nothing.)"""
    return (cache.get(_key(scope, key)) or 0) >= limit


def allow(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one more request for (`scope`, `key`); False once more than `limit` were made
    within `window` seconds of the first."""
    cache_key = _key(scope, key)
    if cache.add(cache_key, 1, timeout=window):
        return True
    try:
        return cache.incr(cache_key) <= limit
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window)
        return True


def client_ip(request) -> str | None:
    """The client's address; behind the TLS proxy, the last address it appended."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None
