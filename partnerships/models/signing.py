"""The signing flow's records: every revision of an MoU's PDF, the invitations sent to the
partner's legal representative, the one-time codes that confirm a registry seal, and the
completion certificate.

PDFs are kept in the database (BinaryField), like the rendered documents: a revision is
written in the same transaction as the signature and the audit event that describe it.
Nothing here is ever rewritten: a revision, once stored, is evidence.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerships.models.documents import sha256_hex
from partnerships.models.parties import Contact


def new_public_id() -> str:
    """The random identifier in an MoU's public verification URL (never its database id).

    Never one that starts with "-": people paste it into commands such as `manage.py mou_pdf`,
    whose argument parser would take it for an option (one id in 64 did)."""
    while True:
        identifier = secrets.token_urlsafe(12)
        if not identifier.startswith("-"):
            return identifier


def token_digest(token: str) -> str:
    """What is stored of a link's secret token: its SHA-256 (the token has 256 random bits,
    so a plain hash cannot be reversed by guessing)."""
    return hashlib.sha256(token.encode()).hexdigest()


def code_digest(code: str, *, salt: str) -> str:
    """What is stored of a one-time code: a keyed hash. Six digits are easy to enumerate, so
    the key (SECRET_KEY) and a per-code salt keep a database dump from revealing them."""
    key = f"{settings.SECRET_KEY}:signing-code:{salt}".encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


class RevisionKind(models.TextChoices):
    AUTHORITY_CERTIFICATION = "authority_certification", _("Certified by the authority")
    BUSINESS_SIGNATURE = (
        "business_signature",
        _("Signed by the business with its own certificate"),
    )
    REGISTRY_SEAL = (
        "registry_seal",
        _("Electronic signature made through the registry for the business"),
    )
    ARCHIVE_TIMESTAMP = "archive_timestamp", _("Archive timestamp")


class ImmutableRow(models.Model):
    """A row that is written once: evidence is never rewritten."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and type(self).objects.filter(pk=self.pk).exists():
            raise ValidationError(_("A stored signed document cannot be changed."))
        super().save(*args, **kwargs)


class PdfRevision(ImmutableRow):
    """One state of the MoU's PDF after it was sent: each adds one signature or timestamp
    to the previous one as an incremental update, so its bytes start with the previous
    revision's bytes (the first starts with the PDF that was sent)."""

    mou = models.ForeignKey(
        "partnerships.Mou", on_delete=models.PROTECT, related_name="pdf_revisions"
    )
    sequence = models.PositiveIntegerField(_("revision"))
    kind = models.CharField(_("what was added"), max_length=30, choices=RevisionKind.choices)
    pdf = models.BinaryField(_("PDF"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    previous_sha256 = models.CharField(_("SHA-256 of the previous revision"), max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("stored at"), auto_now_add=True)

    class Meta:
        verbose_name = _("signed PDF revision")
        verbose_name_plural = _("signed PDF revisions")
        ordering = ["mou", "sequence"]
        constraints = [
            # Two signings racing for the same next revision: the database keeps one.
            models.UniqueConstraint(fields=["mou", "sequence"], name="unique_pdf_revision")
        ]

    def __str__(self) -> str:
        return f"{self.mou_id} #{self.sequence} {self.kind}"

    @classmethod
    def chain_problems(cls, mou) -> list[str]:
        """Why the stored revisions of `mou` are not an unbroken chain from the PDF that was
        sent (each revision's bytes start with the previous one's and match their SHA-256);
        empty when they are, or when there are none."""
        from partnerships.models.documents import MouDocument

        revisions = list(cls.objects.filter(mou=mou).order_by("sequence"))
        if not revisions:
            return []
        problems = []
        if mou.signable_document_id is None:
            return [_("The PDF that was sent is missing.")]
        previous = bytes(
            MouDocument.objects.values_list("pdf", flat=True).get(pk=mou.signable_document_id)
        )
        if sha256_hex(previous) != mou.signable_pdf_sha256:
            problems.append(_("The PDF that was sent no longer matches its SHA-256."))
        for expected, revision in enumerate(revisions, start=1):
            pdf = bytes(revision.pdf)
            if revision.sequence != expected:
                problems.append(_("Revision %(n)s is missing.") % {"n": expected})
                break
            if sha256_hex(pdf) != revision.sha256:
                problems.append(
                    _("Revision %(n)s no longer matches its SHA-256.") % {"n": expected}
                )
            if revision.previous_sha256 != sha256_hex(previous) or not pdf.startswith(previous):
                problems.append(
                    _("Revision %(n)s does not extend the revision before it.") % {"n": expected}
                )
            previous = pdf
        return problems


class InvitationOutcome(models.TextChoices):
    SIGNED_WITH_SEAL = "seal", _("Signed with the registry's seal and a one-time code")
    SIGNED_WITH_CERTIFICATE = "certificate", _("Signed with the business's own certificate")
    DECLINED = "declined", _("Declined")


class SigningInvitation(models.Model):
    """A link sent to the partner's legal representative to review and sign (or decline) one
    MoU. Only the SHA-256 of its token is stored; the link is bound to the contact it was
    sent to, expires, and is spent once used to sign or decline."""

    mou = models.ForeignKey(
        "partnerships.Mou", on_delete=models.CASCADE, related_name="invitations"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("sent to"), on_delete=models.PROTECT, related_name="invitations"
    )
    email = models.EmailField(_("email address"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    opened_at = models.DateTimeField(_("first opened at"), null=True, blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=InvitationOutcome.choices, blank=True
    )
    revoked_at = models.DateTimeField(_("replaced at"), null=True, blank=True)
    # Set by send_signing_reminders, so a second run (cron overlap, a retry) sends nothing twice.
    reminded_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    expiry_notified_at = models.DateTimeField(
        _("staff told of the expiry at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("signing invitation")
        verbose_name_plural = _("signing invitations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.mou_id} → {self.contact_id} ({self.created_at:%Y-%m-%d})"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_open(self) -> bool:
        """Can still be used to sign or decline."""
        return not (self.used_at or self.revoked_at or self.is_expired)

    def status_label(self):
        if self.used_at:
            return self.get_outcome_display()
        if self.revoked_at:
            return _("Replaced by a newer invitation")
        if self.is_expired:
            return _("Expired")
        if self.opened_at:
            return _("Opened, not answered yet")
        return _("Not opened yet")


class SigningCode(models.Model):
    """A one-time code emailed to the legal representative to confirm a registry seal.
    Only a keyed hash of the code is stored, with its expiry and the attempts made."""

    invitation = models.ForeignKey(
        SigningInvitation, on_delete=models.CASCADE, related_name="codes"
    )
    code_hash = models.CharField(max_length=64, editable=False)
    salt = models.CharField(max_length=32, editable=False)
    sent_to = models.EmailField(_("sent to"))
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("requested from"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"code {self.pk} for invitation {self.invitation_id}"

    def matches(self, code: str) -> bool:
        return hmac.compare_digest(self.code_hash, code_digest(code, salt=self.salt))


class CompletionCertificate(ImmutableRow):
    """The certificate of a completed signing (signers, times, methods, the SHA-256 of each
    revision, the audit events), made once after the MoU is signed."""

    mou = models.OneToOneField(
        "partnerships.Mou", on_delete=models.PROTECT, related_name="completion_certificate"
    )
    pdf = models.BinaryField(_("PDF"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("made at"), auto_now_add=True)

    class Meta:
        verbose_name = _("completion certificate")
        verbose_name_plural = _("completion certificates")

    def __str__(self) -> str:
        return f"certificate of {self.mou_id}"
