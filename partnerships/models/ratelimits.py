"""Counters of the rate limits (partnerships/core/ratelimit.py), in the database so that every
web worker counts into the same row and a restart forgets nothing."""

from django.db import models


class RateLimitCounter(models.Model):
    # sha256 of scope and key: the key may be an address or a token, never stored as such.
    key = models.CharField(max_length=64, unique=True)
    hits = models.PositiveIntegerField(default=0)
    window_ends = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key[:12]}…: {self.hits} until {self.window_ends:%H:%M:%S}"
