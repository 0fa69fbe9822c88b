"""Login throttling with django-axes: failed logins are counted in the database (so every
web worker sees the same count and a restart forgets nothing) per username and address
together, and a locked-out pair sees a translated page until the cool-off ends.

Per pair, not per address alone: an office behind one address is not locked out by one
person's mistakes, and not per username alone: nobody can lock a colleague out from afar.
"""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.shortcuts import render


class LoginThrottle(AxesStandaloneBackend):
    """Axes' check before the password is tried. Code that authenticates without a request
    (the test client's login(), a shell) has no address to count by and is not throttled;
    every login through a page passes its request."""

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_page(request, original_response=None, credentials=None):
    """The page a locked-out login gets (HTTP 429): what happened and how long to wait."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(request, "auth/locked_out.html", {"cooloff_minutes": minutes}, status=429)
