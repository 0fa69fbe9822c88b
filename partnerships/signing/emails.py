"""The signing flow's emails: the invitation, the one-time code, the reminder before the link
expires, the signed MoU with its completion certificate for both parties, and what staff of
the MoU's authority are told (a decline, an expired invitation).

Each function builds the messages; the services send them after their transaction commits
(partnerships.core.mail.send_after_commit)."""

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerships.core.mail import Attachment, Recipient, compose
from partnerships.models import Mou, Role, SigningInvitation
from partnerships.signing.setup import SigningSetup


def contact_recipient(invitation: SigningInvitation) -> Recipient:
    contact = invitation.contact
    return Recipient(email=invitation.email, name=contact.full_name, language=contact.language)


def authority_staff(mou: Mou) -> list[Recipient]:
    """Active staff of the MoU's authority with an email address; for a dissolved authority
    without staff, those of the authority that succeeded it."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.AUTHORITY_STAFF)
        .exclude(email="")
    )
    authority, seen = mou.authority, set()
    while authority is not None and authority.pk not in seen:
        seen.add(authority.pk)
        staff = users.filter(profile__authority=authority).select_related("profile")
        found = [
            Recipient(
                email=user.email,
                name=user.get_full_name() or user.get_username(),
                language=user.profile.language,
            )
            for user in staff.order_by("pk").distinct()
        ]
        if found or not authority.is_dissolved:
            return found
        authority = authority.successor
    return []


def _mou_context(mou: Mou) -> dict:
    return {
        "mou": mou,
        "number": mou.document_number,
        "mou_url": SigningSetup.from_settings().public_url(mou.get_absolute_url()),
    }


def _expires(invitation: SigningInvitation):
    return timezone.localtime(invitation.expires_at)


def invitation_message(invitation: SigningInvitation, *, link: str):
    mou = invitation.mou
    return compose(
        "invitation",
        to=contact_recipient(invitation),
        subject=lambda: (
            _("Please review and sign MoU %(number)s") % {"number": mou.document_number}
        ),
        context=_mou_context(mou) | {"link": link, "expires_at": _expires(invitation)},
    )


def code_message(invitation: SigningInvitation, *, code: str, minutes: int):
    """The code is in the body only: subjects show in notifications and mailbox lists."""
    mou = invitation.mou
    return compose(
        "signing_code",
        to=contact_recipient(invitation),
        subject=lambda: (
            _("Your one-time code to sign MoU %(number)s") % {"number": mou.document_number}
        ),
        context=_mou_context(mou) | {"code": code, "minutes": minutes},
    )


def reminder_message(invitation: SigningInvitation, *, link: str):
    mou = invitation.mou
    return compose(
        "signing_reminder",
        to=contact_recipient(invitation),
        subject=lambda: (
            _("Reminder: MoU %(number)s is waiting for your signature")
            % {"number": mou.document_number}
        ),
        context=_mou_context(mou) | {"link": link, "expires_at": _expires(invitation)},
    )


def completion_messages(
    mou: Mou, *, business: list[Recipient], final_pdf: bytes, certificate_pdf: bytes
):
    """Both parties get the signed PDF and the completion certificate."""
    stem = mou.document_number.replace("/", "-")
    attachments = [
        Attachment(f"{stem}-signed.pdf", final_pdf),
        Attachment(f"{stem}-certificate.pdf", certificate_pdf),
    ]

    def message(recipient: Recipient, *, for_staff: bool):
        return compose(
            "signing_completed",
            to=recipient,
            subject=lambda: (
                _("MoU %(number)s is signed by both parties") % {"number": mou.document_number}
            ),
            context=_mou_context(mou) | {"for_staff": for_staff},
            attachments=attachments,
        )

    return [message(recipient, for_staff=False) for recipient in business] + [
        message(recipient, for_staff=True) for recipient in authority_staff(mou)
    ]


def declined_messages(mou: Mou, *, reason: str):
    return [
        compose(
            "business_declined",
            to=recipient,
            subject=lambda: (
                _("%(company)s declined MoU %(number)s")
                % {"company": mou.parties.partner_name, "number": mou.document_number}
            ),
            context=_mou_context(mou) | {"reason": reason},
        )
        for recipient in authority_staff(mou)
    ]


def expired_messages(invitation: SigningInvitation):
    mou = invitation.mou
    return [
        compose(
            "invitation_expired",
            to=recipient,
            subject=lambda: (
                _("The signing invitation for MoU %(number)s expired unanswered")
                % {"number": mou.document_number}
            ),
            context=_mou_context(mou) | {"invitation": invitation},
        )
        for recipient in authority_staff(mou)
    ]
