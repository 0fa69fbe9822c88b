"""Referrals: staff introduce a person they manage to one business for one pledge line.

The person consents to their name and contact being shared with that one business
(`share_consent_on`); the business then records what happened. A referral in progress
(referred, interviewed) holds a place on the line (open places subtract it); a referral
with nothing recorded by `expires_on` expires. Hiring creates the placement (reported, for
staff to confirm). Withdrawing consent ends every referral in progress of the person.
The services in partnerships.referrals change referrals; the transitions hold the rule.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from partnerships.models.events import Event
from partnerships.models.mous import Pledge
from partnerships.models.placements import Person, Placement


class ReferralStatus(models.TextChoices):
    REFERRED = "referred", _("Referred")
    INTERVIEWED = "interviewed", _("Interviewed")
    HIRED = "hired", _("Hired")
    NOT_HIRED = "not_hired", _("Not hired")
    NO_SHOW = "no_show", _("Did not come")
    EXPIRED = "expired", _("Expired")
    ENDED = "ended", _("Ended: consent withdrawn")


REFERRAL_IN_PROGRESS = (ReferralStatus.REFERRED, ReferralStatus.INTERVIEWED)


class NotHiredReason(models.TextChoices):
    SKILLS = "skills", _("Skills or experience did not match")
    POSITION_FILLED = "position_filled", _("The position was already filled")
    DECLINED_OFFER = "declined_offer", _("The person declined the offer")
    CONDITIONS = "conditions", _("Wage, hours or place did not suit the person")
    HEALTH = "health", _("Health requirements")
    PAPERS = "papers", _("Missing papers or eligibility")
    OTHER = "other", _("Other reason")


class Referral(FSMModelMixin, models.Model):
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="referrals"
    )
    pledge = models.ForeignKey(
        Pledge, verbose_name=_("pledge line"), on_delete=models.PROTECT, related_name="referrals"
    )
    # The day the person agreed to their name and contact going to this one business.
    share_consent_on = models.DateField(_("consent to share given on"))
    # How the business reaches the person (a phone number, as the person gave it for this
    # referral), encrypted like a name (partnerships.core.privacy); erased with the consent.
    contact_encrypted = models.TextField(blank=True, editable=False)
    referred_on = models.DateField(_("referred on"))
    expires_on = models.DateField(_("expires on"))
    status = FSMField(
        _("status"),
        max_length=20,
        choices=ReferralStatus.choices,
        default=ReferralStatus.REFERRED,
        protected=True,
    )
    interviewed_on = models.DateField(_("interviewed on"), null=True, blank=True)
    # The day of the final outcome (hired, not hired, no-show, expired, ended).
    outcome_on = models.DateField(_("outcome on"), null=True, blank=True)
    not_hired_reason = models.CharField(
        _("reason not hired"), max_length=20, choices=NotHiredReason.choices, blank=True
    )
    placement = models.OneToOneField(
        Placement,
        verbose_name=_("placement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referral",
    )
    event = models.ForeignKey(
        Event,
        verbose_name=_("made at event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-referred_on", "-id"]
        constraints = [
            # One referral in progress per person and line: a second one is refused.
            models.UniqueConstraint(
                fields=["person", "pledge"],
                condition=Q(status__in=["referred", "interviewed"]),
                name="one_open_referral_per_person_and_line",
                violation_error_message=_("This person is already referred to this line."),
            ),
            models.CheckConstraint(
                condition=Q(expires_on__gte=models.F("referred_on")),
                name="referral_expires_after_referral",
            ),
            models.CheckConstraint(
                condition=Q(not_hired_reason="") | Q(status="not_hired"),
                name="referral_reason_only_when_not_hired",
            ),
        ]
        indexes = [
            models.Index(fields=["pledge", "status"], name="referral_line_status_idx"),
            models.Index(fields=["status", "expires_on"], name="referral_expiry_idx"),
        ]

    def __str__(self) -> str:
        # Never the person's name: this string reaches logs and admin pages.
        return f"#{self.pk}"

    @property
    def reference(self) -> str:
        return f"#{self.pk}"

    @property
    def is_in_progress(self) -> bool:
        return self.status in REFERRAL_IN_PROGRESS

    def has_lapsed(self, today) -> bool:
        """Still in progress by its status, but its last day has passed: the sweeper has
        not expired it yet. It is treated as expired (no name shown, no outcome recorded)."""
        return self.is_in_progress and self.expires_on < today

    # --- Transitions: the rule only; the services check who and when. ---

    @transition(field=status, source=ReferralStatus.REFERRED, target=ReferralStatus.INTERVIEWED)
    def record_interview(self) -> None:
        """The business met the person."""

    @transition(field=status, source=list(REFERRAL_IN_PROGRESS), target=ReferralStatus.HIRED)
    def record_hire(self) -> None:
        """The business hired the person: a placement is reported with it."""

    @transition(field=status, source=list(REFERRAL_IN_PROGRESS), target=ReferralStatus.NOT_HIRED)
    def record_not_hired(self) -> None:
        """The business did not hire the person, for a reason from the list."""

    @transition(field=status, source=ReferralStatus.REFERRED, target=ReferralStatus.NO_SHOW)
    def record_no_show(self) -> None:
        """The person did not come."""

    @transition(field=status, source=list(REFERRAL_IN_PROGRESS), target=ReferralStatus.EXPIRED)
    def expire(self) -> None:
        """Nothing was recorded in time."""

    @transition(field=status, source=list(REFERRAL_IN_PROGRESS), target=ReferralStatus.ENDED)
    def end_for_withdrawn_consent(self) -> None:
        """The person withdrew consent: the referral ends and the name is no longer shown."""
