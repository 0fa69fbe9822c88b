"""Mid-term and final reviews (sơ kết / tổng kết) of an MoU."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partnerships.formats import day


class ReviewKind(models.TextChoices):
    MID_TERM = "mid_term", _("Mid-term review")
    FINAL = "final", _("Final review")


class Assessment(models.TextChoices):
    MET = "met", _("Met")
    PARTLY_MET = "partly_met", _("Partly met")
    NOT_MET = "not_met", _("Not met")


class Review(models.Model):
    mou = models.ForeignKey("partnerships.Mou", on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(_("kind"), max_length=20, choices=ReviewKind.choices)
    reviewed_on = models.DateField(_("reviewed on"))
    assessment = models.CharField(_("assessment"), max_length=20, choices=Assessment.choices)
    notes = models.TextField(_("notes"), blank=True)
    recommendation = models.TextField(_("recommendation"), blank=True)
    # The pledge and delivery figures at the moment the review was recorded
    # (reports.snapshot.review_figures), kept as they were: later placements, confirmations
    # or ends change the live reports, never what the reviewers saw. Empty for reviews
    # recorded before snapshots were kept.
    figures = models.JSONField(_("figures at the review"), default=dict, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["reviewed_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {day(self.reviewed_on)}"
