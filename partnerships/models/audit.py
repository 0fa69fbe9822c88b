"""The audit trail: who did what, when, to which MoU, partner or person."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One recorded action. Rows are only ever added, never changed."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Namespaced action code, e.g. "mou.sent", "mou.edited", "partner.created".
    action = models.CharField(_("action"), max_length=60, db_index=True)
    mou = models.ForeignKey(
        "partnerships.Mou",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="audit_events",
    )
    partner = models.ForeignKey(
        "partnerships.Partner",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="audit_events",
    )
    # Whose personal data the action concerned (e.g. "person.identity_viewed"); never the
    # data itself: details hold ids only.
    person = models.ForeignKey(
        "partnerships.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)
    # Facts worth keeping with the event, e.g. the SHA-256 of the PDF that was sent.
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"
