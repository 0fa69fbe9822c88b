"""Work queues: which MoUs wait for someone, as conditions on MoUs. The dashboard counts them
(partnerships.dashboard.selectors) and the MoU list filters by them (MouFilter's `queue`),
so a count and the list it links to always agree."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerships.models import (
    MouState,
    Review,
    ReviewKind,
    Signature,
    SignatureParty,
    SigningInvitation,
)

# A review is "due" this many days ahead, so it can be prepared.
REVIEW_WINDOW_DAYS = 30

AWAITING_AUTHORITY = "awaiting_authority"
INVITATION_OPEN = "invitation_open"
INVITATION_EXPIRING = "invitation_expiring"
REVIEW_DUE = "review_due"

QUEUE_CHOICES = [
    (AWAITING_AUTHORITY, _("Waiting for the authority's signature")),
    (INVITATION_OPEN, _("Invitation open, waiting for the business")),
    (INVITATION_EXPIRING, _("Invitation expiring soon")),
    (REVIEW_DUE, _("Review due within 30 days")),
]


def _authority_signed():
    return Exists(
        Signature.objects.filter(
            mou=OuterRef("pk"),
            party=SignatureParty.AUTHORITY,
            is_verified=True,
            revision__isnull=False,
        )
    )


def _open_invitations(now):
    return SigningInvitation.objects.filter(
        mou=OuterRef("pk"), used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    )


def _review_missing(kind: str):
    return ~Exists(Review.objects.filter(mou=OuterRef("pk"), kind=kind))


def queue_condition(queue: str, *, now=None) -> Q:
    """The condition an MoU meets when it is in `queue` (an empty match for an unknown one)."""
    now = now or timezone.now()
    sent = Q(state=MouState.SENT)
    if queue == AWAITING_AUTHORITY:
        return sent & ~Q(_authority_signed())
    if queue == INVITATION_OPEN:
        return sent & Q(Exists(_open_invitations(now)))
    if queue == INVITATION_EXPIRING:
        soon = now + timedelta(days=settings.SIGNING_REMINDER_DAYS)
        return sent & Q(Exists(_open_invitations(now).filter(expires_at__lte=soon)))
    if queue == REVIEW_DUE:
        horizon = timezone.localdate(now) + timedelta(days=REVIEW_WINDOW_DAYS)
        mid = Q(mid_review_date__lte=horizon) & _review_missing(ReviewKind.MID_TERM)
        final = Q(final_review_date__lte=horizon) & _review_missing(ReviewKind.FINAL)
        return Q(state=MouState.ACTIVE) & (mid | final)
    return Q(pk__in=[])
