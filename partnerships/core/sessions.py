"""Sessions that end after a while without use, without writing on every page.

Django's SESSION_SAVE_EVERY_REQUEST would push a session's end ahead on each request by
saving it: a database write on every page, reads included. Here the end is pushed ahead at
most once every SESSION_RENEW_SECONDS (a tenth of the idle time, at most five minutes), so a
session ends between SESSION_COOKIE_AGE and SESSION_COOKIE_AGE + SESSION_RENEW_SECONDS after
its last use, and pages that only read write nothing in between.
"""

import time

from django.conf import settings

RENEWED_AT = "_renewed_at"


def renew_seconds() -> int:
    return min(300, max(1, settings.SESSION_COOKIE_AGE // 10))


def mark_renewed(session) -> None:
    session[RENEWED_AT] = int(time.time())


def on_login(sender, request, user, **kwargs):
    """Logging in saves the session anyway: start the count there."""
    mark_renewed(request.session)


class RenewIdleSessions:
    """Push an active session's end ahead, at most once per renewal interval."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if session.session_key is not None:
            renewed_at = session.get(RENEWED_AT, 0)
            if time.time() - renewed_at >= renew_seconds():
                mark_renewed(session)  # modified: the session middleware saves it
        return self.get_response(request)
