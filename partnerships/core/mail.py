"""Emails the registry sends: each rendered from a pair of templates (templates/emails/,
HTML and plain text, one base layout each) in its recipient's language, from the sender
named in the settings, and sent only once the change it reports is committed."""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.headerregistry import Address

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    language: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/pdf"


def named_address(name: str, email: str) -> str:
    """Name <address>, quoted where needed; Django encodes it when the mail is sent."""
    if not name:
        return email
    return str(Address(display_name=name, addr_spec=email))


def sender() -> str:
    """The From of every email: REGISTRY_EMAIL_SENDER_NAME <DEFAULT_FROM_EMAIL>."""
    return named_address(settings.REGISTRY_EMAIL_SENDER_NAME, settings.DEFAULT_FROM_EMAIL)


def language_of(code: str | None) -> str:
    """A language the registry speaks: the given one if it does, else the default."""
    known = {language for language, _name in settings.LANGUAGES}
    return code if code in known else settings.LANGUAGE_CODE


def compose(
    template: str,
    *,
    to: Recipient,
    subject,
    context: dict,
    attachments: Sequence[Attachment] = (),
) -> EmailMultiAlternatives:
    """The email `template` (emails/<template>.txt and .html) for one recipient, rendered
    in their language. `subject` is a callable returning the subject: it is evaluated
    under the recipient's language too."""
    with translation.override(language_of(to.language)):
        context = {"recipient": to, "language": translation.get_language()} | context
        message = EmailMultiAlternatives(
            subject=" ".join(str(subject()).split()),  # a subject is one line
            body=render_to_string(f"emails/{template}.txt", context),
            from_email=sender(),
            to=[to.email],
        )
        html = render_to_string(f"emails/{template}.html", context)
        message.attach_alternative(html, "text/html")
    for attachment in attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    return message


def send_after_commit(messages: Iterable[EmailMultiAlternatives], *, kind: str) -> None:
    """Send once the surrounding transaction commits (at once outside one): nothing goes
    out for a change that is rolled back. A mail server failure is logged without the
    message or its recipients, and does not undo the committed change."""
    messages = list(messages)
    if messages:
        transaction.on_commit(lambda: send_now(messages, kind=kind))


def send_now(messages: Iterable[EmailMultiAlternatives], *, kind: str) -> int:
    sent = 0
    for message in messages:
        try:
            sent += message.send()
        except OSError as error:  # smtplib.SMTPException is an OSError
            logger.warning("Email %s could not be sent: %s", kind, type(error).__name__)
    return sent
