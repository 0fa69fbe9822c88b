"""Dialogue and job-fair events: where people re-entering society meet businesses.

An authority holds the event; the registry keeps when and where, who organised it, how many
people came (counts by target group and gender, never names), the businesses present, the
MoUs signed there and the referrals made there (Referral.event).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from partnerships.models.mous import Mou
from partnerships.models.parties import Authority, Partner, TargetGroup
from partnerships.models.placements import Gender

# More people of one group and gender than this at one meeting is a typing mistake (the
# largest provincial job fairs count a few thousand visitors in all).
MAX_ATTENDANCE_COUNT = 10_000


class EventKind(models.TextChoices):
    DIALOGUE = "dialogue", _("Dialogue with businesses")
    JOB_FAIR = "job_fair", _("Job fair")
    OTHER = "other", _("Other meeting")


class Event(models.Model):
    authority = models.ForeignKey(
        Authority,
        verbose_name=_("held by"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    title = models.CharField(_("title"), max_length=255)
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=300)
    # Other organisers (the police, the Youth Union, a vocational school...), as written.
    organisers = models.CharField(_("other organisers"), max_length=500, blank=True)
    partners = models.ManyToManyField(
        Partner, verbose_name=_("businesses present"), blank=True, related_name="events"
    )
    mous = models.ManyToManyField(
        Mou, verbose_name=_("MoUs signed at the event"), blank=True, related_name="events"
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["authority", "held_on"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("event_detail", args=[self.pk])


class EventAttendance(models.Model):
    """How many people of one target group and gender came: a count, never a name."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendance")
    target_group = models.ForeignKey(
        TargetGroup, verbose_name=_("target group"), on_delete=models.PROTECT, related_name="+"
    )
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    count = models.PositiveIntegerField(
        _("people"),
        validators=[MinValueValidator(0), MaxValueValidator(MAX_ATTENDANCE_COUNT)],
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "target_group", "gender"], name="one_attendance_count_per_group"
            ),
            models.CheckConstraint(
                condition=models.Q(count__lte=MAX_ATTENDANCE_COUNT),
                name="attendance_count_within_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}: {self.count}"
