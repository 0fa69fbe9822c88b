"""What cron does for open signing invitations (send_signing_reminders): remind the signer
before the link expires, and tell the authority's staff once a link expired unanswered.

Safe to run twice, or twice at once: each invitation is claimed by a conditional UPDATE of
the timestamp that records the reminder or the notice, so only one run sends it.
"""

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from partnerships.core.mail import send_after_commit
from partnerships.models import MouState, SigningInvitation
from partnerships.models.signing import token_digest
from partnerships.mous.lifecycle import record_event
from partnerships.signing import emails
from partnerships.signing.setup import SigningSetup


@dataclass
class ReminderRun:
    reminded: list[SigningInvitation] = field(default_factory=list)
    expired: list[SigningInvitation] = field(default_factory=list)


def _unanswered():
    return SigningInvitation.objects.filter(
        used_at__isnull=True, revoked_at__isnull=True, mou__state=MouState.SENT
    ).select_related("mou__authority", "mou__partner", "contact")


def send_signing_reminders(*, now=None, setup: SigningSetup | None = None) -> ReminderRun:
    """Remind each signer whose link expires within SIGNING_REMINDER_DAYS (once), and tell
    staff of each link that expired unanswered (once)."""
    now = now or timezone.now()
    setup = setup or SigningSetup.from_settings()
    run = ReminderRun()
    soon = now + timedelta(days=settings.SIGNING_REMINDER_DAYS)
    for invitation in _unanswered().filter(
        reminded_at__isnull=True, expires_at__gt=now, expires_at__lte=soon
    ):
        if _remind(invitation, now=now, setup=setup):
            run.reminded.append(invitation)
    for invitation in _unanswered().filter(expiry_notified_at__isnull=True, expires_at__lte=now):
        if _notify_expired(invitation, now=now):
            run.expired.append(invitation)
    return run


def _remind(invitation: SigningInvitation, *, now, setup: SigningSetup) -> bool:
    """Email the signer a fresh link. Only the token's hash is stored, so the reminder
    cannot repeat the first link: it replaces it (same invitation, same expiry)."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        claimed = SigningInvitation.objects.filter(
            pk=invitation.pk,
            reminded_at__isnull=True,
            used_at__isnull=True,
            revoked_at__isnull=True,
        ).update(reminded_at=now, token_hash=token_digest(token))
        if not claimed:
            return False
        record_event(
            invitation.mou,
            action="mou.signing_reminder_sent",
            actor=None,
            details={
                "invitation": invitation.pk,
                "expires_at": invitation.expires_at.isoformat(),
            },
        )
        link = setup.public_url(reverse("invitation", args=[token]))
        send_after_commit([emails.reminder_message(invitation, link=link)], kind="reminder")
    return True


def _notify_expired(invitation: SigningInvitation, *, now) -> bool:
    with transaction.atomic():
        claimed = SigningInvitation.objects.filter(
            pk=invitation.pk, expiry_notified_at__isnull=True
        ).update(expiry_notified_at=now)
        if not claimed:
            return False
        record_event(
            invitation.mou,
            action="mou.invitation_expired",
            actor=None,
            note=invitation.contact.full_name,
            details={
                "invitation": invitation.pk,
                "expires_at": invitation.expires_at.isoformat(),
            },
        )
        send_after_commit(emails.expired_messages(invitation), kind="expiry notice")
    return True
