"""Word templates, their versions, and the documents rendered from them for each MoU.

Files are kept in the database (BinaryField): a template or PDF is written in the same
transaction as the row that describes it, so no upload is half-saved and a backup of the
database is a backup of every document. Rendered documents are never overwritten.
"""

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DocumentTemplate(models.Model):
    """A kind of MoU document (e.g. the Vietnamese Decree 30 memorandum); has versions."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    language = models.CharField(
        _("language"), max_length=5, choices=[("vi", _("Vietnamese")), ("en", _("English"))]
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name

    def latest_version(self) -> "TemplateVersion | None":
        return self.versions.order_by("-number").first()


class TemplateVersion(models.Model):
    """One uploaded DOCX of a template. Old versions stay: MoUs rendered with them say so."""

    template = models.ForeignKey(
        DocumentTemplate, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    docx = models.BinaryField(_("Word file"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    variables = models.JSONField(_("variables used"), default=list)
    note = models.CharField(_("note"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("template version")
        verbose_name_plural = _("template versions")
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="unique_template_version")
        ]

    def __str__(self) -> str:
        return f"{self.template.key} v{self.number}"


class RenderStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be prepared")
    RUNNING = "running", _("Being prepared")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


# Why a rendering failed: stored as a code with parameters and put into words when shown, so
# each reader sees it in their own language (not the worker's).
RENDERING_ERRORS = {
    "conversion_corrupt": _(
        "The document could not be opened for conversion to PDF: the file is damaged or is "
        "not a Word (.docx) document."
    ),
    "conversion_crashed": _(
        "LibreOffice failed while converting the document to PDF. Please try again; if it "
        "keeps failing, tell the administrator."
    ),
    "conversion_timed_out": _(
        "Converting the document to PDF took too long and was stopped. Please try again."
    ),
    "template": _(
        "The Word template of this MoU cannot be filled in. Ask the administrator to check "
        "the template (version %(version)s of “%(template)s”), then try again."
    ),
    "signature_fields": _(
        "The PDF could not be prepared for signing: the signature blocks of the template "
        "were not found or the converted file is damaged. Ask the administrator to check "
        "the template, then try again."
    ),
    "internal": _("The document could not be prepared because of an internal error."),
    "interrupted": _(
        "The preparation was interrupted (the background worker stopped) and nothing was "
        "kept. Please try again."
    ),
    "timed_out": _(
        "The document was not prepared in time (the background worker may be stopped or "
        "overloaded) and nothing was kept. Please try again; if it keeps failing, tell the "
        "administrator."
    ),
}


def rendering_error_text(code: str, params: dict | None = None) -> str:
    """The reason a rendering failed, in the current language."""
    template = RENDERING_ERRORS.get(code, RENDERING_ERRORS["internal"])
    try:
        return str(template) % (params or {})
    except (KeyError, TypeError, ValueError):
        return str(RENDERING_ERRORS["internal"])


class MouDocument(models.Model):
    """The DOCX and signable PDF rendered for one revision of an MoU.

    Once ready, a document is never changed: a new revision of the MoU renders a new one.
    Sending the MoU freezes the PDF it was sent with (Mou.signable_document).
    """

    mou = models.ForeignKey("partnerships.Mou", on_delete=models.CASCADE, related_name="documents")
    mou_revision = models.PositiveIntegerField(_("MoU revision"))
    template_version = models.ForeignKey(
        TemplateVersion, on_delete=models.PROTECT, related_name="documents"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RenderStatus.choices, default=RenderStatus.QUEUED
    )
    # A code from RENDERING_ERRORS and its parameters; `error_message` is kept only for
    # documents that failed before codes were stored (it is in the worker's language).
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error_params = models.JSONField(_("error parameters"), default=dict, blank=True)
    error_message = models.TextField(_("error"), blank=True)
    docx = models.BinaryField(_("Word file"), null=True, blank=True)
    pdf = models.BinaryField(_("PDF ready for signatures"), null=True, blank=True)
    pdf_sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True)
    converter = models.CharField(_("converter"), max_length=20, blank=True)
    # The parties as this rendering printed them (Mou.live_parties at the time): sending
    # fixes these on the MoU, so what the registry shows is what the PDF says.
    parties = models.JSONField(_("parties as printed"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("MoU document")
        verbose_name_plural = _("MoU documents")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["mou", "mou_revision", "status"])]

    def __str__(self) -> str:
        return f"{self.mou_id} r{self.mou_revision} {self.status}"

    def save(self, *args, **kwargs):
        if self.pk:
            # Whatever status the copy in hand says: changing it must not unlock the row.
            stored = MouDocument.objects.filter(pk=self.pk).values_list("status", flat=True)
            if stored.first() == RenderStatus.READY:
                # A ready document is evidence: it is stored once and never rewritten.
                raise ValidationError(_("A finished document cannot be changed."))
        super().save(*args, **kwargs)

    @property
    def error_text(self) -> str:
        """Why it failed, in the reader's language."""
        if self.error_code:
            return rendering_error_text(self.error_code, self.error_params)
        return self.error_message
