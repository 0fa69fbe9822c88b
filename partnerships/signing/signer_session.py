"""Which invitation a browser is answering, kept in its session.

The emailed link carries the invitation's token. Opening it once puts the invitation in the
browser's session and moves the browser to a token-free address, so the token never reaches
another site in a `Referer`, never stays in the address bar to be shared or seen in history,
and never appears in the logs of the pages that follow. The session cookie is then what lets
this browser act; another browser opening the same link gets its own session, while the one-
time codes, the link's single use and the revision checks still hold for the invitation.
"""

from django.utils import timezone

from partnerships.models import SigningInvitation

SESSION_KEY = "signing_invitation"


def bind(request, invitation: SigningInvitation) -> None:
    """This browser now answers `invitation` (replacing any other it was answering)."""
    if request.session.get(SESSION_KEY) != invitation.pk:
        # A new session key, so a session id planted before the link was opened is useless.
        request.session.cycle_key()
    request.session[SESSION_KEY] = invitation.pk


def current(request) -> SigningInvitation | None:
    """The invitation this browser answers, or None (never opened here, or the session ended)."""
    invitation_id = request.session.get(SESSION_KEY)
    if invitation_id is None:
        return None
    return (
        SigningInvitation.objects.select_related(
            "mou__authority", "mou__partner", "mou__partner_signatory", "contact"
        )
        .filter(pk=invitation_id)
        .first()
    )


def open_invitation_of(mou) -> SigningInvitation | None:
    """The invitation of `mou` that can still be answered, if there is one."""
    return (
        mou.invitations.filter(
            used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("mou__authority", "mou__partner", "mou__partner_signatory", "contact")
        .order_by("-created_at")
        .first()
    )
