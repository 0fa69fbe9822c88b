"""Invitations to the partner's legal representative, and the one-time codes they ask for.

The link's token is the only credential of the public signing page: 256 random bits, sent by
email to the MoU's partner signatory, stored only as a SHA-256, valid until it expires, and
spent once used to sign or decline. Sending a new invitation replaces the previous ones.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerships.authorities.permissions import can_manage_mou
from partnerships.core.mail import send_after_commit
from partnerships.models import Mou, SigningCode, SigningInvitation
from partnerships.models.signing import code_digest, token_digest
from partnerships.mous.lifecycle import MouError, record_event
from partnerships.signing import emails
from partnerships.signing.revisions import (
    require_authority_signed,
    require_business_unsigned,
    require_sent,
)
from partnerships.signing.setup import SigningSetup

# A new code no sooner than this after the previous one (a user double-clicking, a script).
CODE_INTERVAL = timedelta(seconds=60)

LINK_EXPIRED = gettext_lazy(
    "This signing link has expired. Ask the authority that sent it for a new invitation."
)
LINK_REPLACED = gettext_lazy(
    "This signing link was replaced by a newer invitation: use the link in the latest email."
)
LINK_USED = gettext_lazy("This signing link has already been used.")


def invitation_blockers(mou: Mou) -> list[str]:
    """Why staff cannot invite the partner to sign now."""
    if mou.state != "sent":
        return [_("Only an MoU sent for signature can be signed.")]
    try:
        require_authority_signed(mou)
        require_business_unsigned(mou)
    except MouError as error:
        return [error.message]
    contact = mou.partner_signatory
    if contact is None:
        return [_("Choose the partner's signatory first.")]
    if not contact.email:
        return [
            _("%(name)s has no email address: add one on the partner's page first.")
            % {"name": contact.full_name}
        ]
    return []


def send_invitation(
    mou: Mou, *, actor, setup: SigningSetup | None = None, request=None
) -> SigningInvitation:
    """Email the partner's legal representative a personal link to review and sign the MoU.

    Earlier invitations still open are replaced. The email, in the contact's language, goes
    out once the invitation is committed (never for one that was rolled back).
    """
    if not can_manage_mou(actor, mou):
        raise PermissionDenied(_("You may not do this to this MoU."))
    setup = setup or SigningSetup.from_settings()
    blockers = invitation_blockers(mou)
    if blockers:
        raise MouError(" ".join(str(blocker) for blocker in blockers))
    contact = mou.partner_signatory
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        Mou.objects.select_for_update().filter(pk=mou.pk).first()
        mou.invitations.filter(used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
        invitation = SigningInvitation.objects.create(
            mou=mou,
            contact=contact,
            email=contact.email,
            token_hash=token_digest(token),
            created_by=actor,
            expires_at=now + timedelta(days=settings.SIGNING_INVITATION_DAYS),
        )
        record_event(
            mou,
            action="mou.invitation_sent",
            actor=actor,
            note=f"{contact.full_name} <{contact.email}>",
            details={
                "invitation": invitation.pk,
                "contact": contact.pk,
                "expires_at": invitation.expires_at.isoformat(),
            },
        )
        link = setup.public_url(reverse("invitation", args=[token]), request)
        send_after_commit([emails.invitation_message(invitation, link=link)], kind="invitation")
    return invitation


def find_invitation(token: str) -> SigningInvitation | None:
    """The invitation whose link carries `token`, whatever its state; None if there is none."""
    if not token or len(token) > 100:
        return None
    return (
        SigningInvitation.objects.select_related(
            "mou__authority", "mou__partner", "mou__partner_signatory", "contact"
        )
        .filter(token_hash=token_digest(token))
        .first()
    )


def closed_reason(invitation: SigningInvitation):
    """Why the link can no longer be used to sign or decline, or None."""
    if invitation.used_at:
        return LINK_USED
    if invitation.revoked_at:
        return LINK_REPLACED
    if invitation.is_expired:
        return LINK_EXPIRED
    if invitation.mou.state != "sent":
        return _("This MoU is no longer waiting for a signature.")
    return None


def require_open(invitation: SigningInvitation) -> None:
    reason = closed_reason(invitation)
    if reason is not None:
        raise MouError(reason)


def mark_opened(invitation: SigningInvitation, *, ip: str | None, user_agent: str) -> None:
    """The first time the link is opened: recorded, with where from."""
    if invitation.opened_at is not None:
        return
    now = timezone.now()
    if SigningInvitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
        opened_at=now
    ):
        invitation.opened_at = now
        record_event(
            invitation.mou,
            action="mou.invitation_opened",
            actor=None,
            details={"invitation": invitation.pk, "ip": ip, "user_agent": user_agent},
        )


def mark_invitation_opened(
    invitation: SigningInvitation, *, ip: str | None = None, user_agent: str = ""
) -> None:
    """For the signer's page: record, once, that the invitation was opened (the staff's
    MoU page shows it as a step of the signing progress)."""
    mark_opened(invitation, ip=ip, user_agent=user_agent)


def send_code(invitation: SigningInvitation, *, ip: str | None, user_agent: str) -> SigningCode:
    """Email a 6-digit code to the invitation's address, to confirm a registry seal. Only a
    keyed hash of the code is kept; earlier codes stop working."""
    require_open(invitation)
    mou = invitation.mou
    require_sent(mou)
    require_authority_signed(mou)
    require_business_unsigned(mou)
    now = timezone.now()
    with transaction.atomic():
        # One request at a time per invitation, so the limits below cannot be raced.
        SigningInvitation.objects.select_for_update().filter(pk=invitation.pk).first()
        codes = invitation.codes.all()
        if codes.count() >= settings.SIGNING_CODES_PER_INVITATION:
            raise MouError(
                _("Too many codes were sent for this link. Ask the authority for a new invitation.")
            )
        latest = codes.order_by("-created_at").first()
        if latest is not None and now - latest.created_at < CODE_INTERVAL:
            raise MouError(
                _(
                    "A code was sent less than a minute ago: check your mailbox (and the spam "
                    "folder) before asking for another."
                )
            )
        codes.filter(confirmed_at__isnull=True, expires_at__gt=now).update(expires_at=now)
        code = f"{secrets.randbelow(10**6):06d}"
        salt = secrets.token_hex(16)
        signing_code = SigningCode.objects.create(
            invitation=invitation,
            code_hash=code_digest(code, salt=salt),
            salt=salt,
            sent_to=invitation.email,
            expires_at=now + timedelta(minutes=settings.SIGNING_CODE_MINUTES),
            ip_address=ip,
            user_agent=user_agent[:300],
        )
        record_event(
            mou,
            action="mou.signing_code_sent",
            actor=None,
            details={
                "invitation": invitation.pk,
                "code": signing_code.pk,
                "sent_to": invitation.email,
                "expires_at": signing_code.expires_at.isoformat(),
                "ip": ip,
                "user_agent": user_agent[:300],
            },
        )
        message = emails.code_message(invitation, code=code, minutes=settings.SIGNING_CODE_MINUTES)
        send_after_commit([message], kind="signing code")
    return signing_code


def check_code(invitation: SigningInvitation, code: str) -> SigningCode:
    """The invitation's current code, if `code` is it; else MouError saying what to do. Each
    try counts, and is counted before it is checked, so parallel guesses cannot exceed the
    limit."""
    now = timezone.now()
    current = invitation.codes.filter(confirmed_at__isnull=True).order_by("-created_at").first()
    if current is None:
        raise MouError(_("Ask for a code first."))
    if current.expires_at <= now:
        raise MouError(_("The code has expired: ask for a new one."))
    limit = settings.SIGNING_CODE_MAX_ATTEMPTS
    counted = SigningCode.objects.filter(pk=current.pk, attempts__lt=limit).update(
        attempts=F("attempts") + 1
    )
    if not counted:
        raise MouError(_("Too many wrong codes were entered: ask for a new code."))
    current.refresh_from_db(fields=["attempts"])
    if current.matches((code or "").strip()):
        return current
    left = limit - current.attempts
    if left <= 0:
        record_event(
            invitation.mou,
            action="mou.signing_code_locked",
            actor=None,
            details={"invitation": invitation.pk, "code": current.pk},
        )
        raise MouError(_("Too many wrong codes were entered: ask for a new code."))
    raise MouError(
        _("The code is not right. You can try %(count)s more time(s).") % {"count": left}
    )
