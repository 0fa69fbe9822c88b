"""Bulk imports of placements from a spreadsheet: one row per uploaded file.

Between the preview and the user's confirmation the parsed rows are kept here, on the
server, never in the page: national ID numbers already reduced to their keyed hash and
names already encrypted. The uploaded file itself is kept (encrypted) only until it has been
read. After the import, or when it is cancelled or expires, the rows are cleared.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    READING = "reading", _("Reading the file")
    PREVIEW = "preview", _("Ready to check")
    FAILED = "failed", _("Not imported")
    IMPORTING = "importing", _("Importing")
    IMPORTED = "imported", _("Imported")
    CANCELLED = "cancelled", _("Cancelled")


class ImportBatch(models.Model):
    """One uploaded file of placements, from upload through preview to import.

    Internal bookkeeping, never edited through a form: its fields need no labels.
    """

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    # The upload, Fernet-encrypted, until the background reader has parsed it.
    pending_file = models.BinaryField(null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.READING
    )
    # Why the whole file was refused: a message code and its parameters (translated when
    # shown, so each user reads it in their own language).
    error_code = models.CharField(max_length=40, blank=True)
    error_params = models.JSONField(default=dict, blank=True)

    total_rows = models.PositiveIntegerField(default=0)
    # Progress of the current step (reading, then importing), for the page that polls.
    rows_done = models.PositiveIntegerField(default=0)
    # Valid rows, ready to save: pledge id, id hash, encrypted name, values. See
    # partnerships.placements.imports.validation.PreparedRow.
    rows = models.JSONField(default=list, blank=True, editable=False)
    # [{"row": 7, "problems": [{"code": ..., "params": {...}, "column": ...}]}, ...]
    row_errors = models.JSONField(default=list, blank=True, editable=False)
    rows_already_recorded = models.PositiveIntegerField(default=0)
    placements_added = models.PositiveIntegerField(default=0)
    people_added = models.PositiveIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("placement import")
        verbose_name_plural = _("placement imports")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The same file is imported once; a second upload of it is refused.
            models.UniqueConstraint(
                fields=["file_sha256"],
                condition=Q(status="imported"),
                name="one_import_per_file",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    @property
    def is_busy(self) -> bool:
        return self.status in {ImportStatus.READING, ImportStatus.IMPORTING}

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.rows_done / self.total_rows))
