"""People placed through MoUs, and their placements in jobs and training.

A person's identity is sensitive personal data (Law 91/2025/QH15): the national ID number is
kept only as a keyed hash, the full name only encrypted (see partnerships.core.privacy), and
withdrawing consent erases both while the person's placements keep counting anonymously.

Delivery is counted in SQL from `Placement` rows (see partnerships.placements.delivery): a pledge's
delivered places are its confirmed placements; retention comes from start and end dates.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, FSMModelMixin, transition

from partnerships.models.mous import Pledge, PledgeKind
from partnerships.models.parties import Authority, TargetGroup

# The largest wage the monthly_wage column (a PostgreSQL bigint) holds: forms refuse more,
# so an absurd number is a message beside the field, not a database error.
MAX_MONTHLY_WAGE = 2**63 - 1


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class ConsentScope(models.TextChoices):
    PLACEMENT = "placement", _("Referral to a job or training, and follow-up of the placement")
    PLACEMENT_AND_SUPPORT = (
        "placement_support",
        _("Referral and follow-up, and support services (counselling, loans)"),
    )


class Person(models.Model):
    """Someone re-entering society who is placed through an MoU.

    Identified by `id_hash`, the HMAC of the national ID number: one row per number, so a
    person reported twice is the same person. The owning authority's staff manage the
    person and are the only ones who may see the name (permissions.can_see_identity).
    Once consent is withdrawn the row keeps only what anonymous counts need.
    """

    id_hash = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
    )
    full_name_encrypted = models.TextField(blank=True, editable=False)
    target_group = models.ForeignKey(
        TargetGroup, verbose_name=_("target group"), on_delete=models.PROTECT, related_name="people"
    )
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    # Kept after consent is withdrawn, for counts by age band; the year itself is erased.
    birth_decade = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    commune = models.ForeignKey(
        Authority,
        verbose_name=_("commune of residence"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="residents",
    )
    owning_authority = models.ForeignKey(
        Authority,
        verbose_name=_("managed by"),
        on_delete=models.PROTECT,
        related_name="people",
    )
    consent_given_on = models.DateField(_("consent given on"))
    consent_scope = models.CharField(
        _("consent covers"),
        max_length=30,
        choices=ConsentScope.choices,
        default=ConsentScope.PLACEMENT,
    )
    consent_withdrawn_on = models.DateField(_("consent withdrawn on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The database itself refuses identifying data on a person who withdrew consent,
            # and a person with consent but no identifier.
            models.CheckConstraint(
                condition=(
                    Q(consent_withdrawn_on__isnull=True, id_hash__isnull=False)
                    | Q(
                        consent_withdrawn_on__isnull=False,
                        id_hash__isnull=True,
                        full_name_encrypted="",
                        birth_year__isnull=True,
                        commune__isnull=True,
                    )
                ),
                name="person_identified_only_with_consent",
            ),
        ]
        indexes = [models.Index(fields=["owning_authority", "created_at"])]

    def __str__(self) -> str:
        # Never the name: this string reaches logs, admin pages and error reports.
        return f"#{self.pk}"

    @property
    def reference(self) -> str:
        return f"#{self.pk}"

    @property
    def is_anonymised(self) -> bool:
        return self.consent_withdrawn_on is not None

    @staticmethod
    def decade_of(birth_year: int | None) -> int | None:
        return None if birth_year is None else birth_year - birth_year % 10


class ContractType(models.TextChoices):
    LABOUR_12_MONTHS_OR_MORE = "labour_12m_plus", _("Labour contract of 12 months or more")
    LABOUR_UNDER_12_MONTHS = "labour_under_12m", _("Labour contract under 12 months")
    SEASONAL = "seasonal", _("Seasonal work")
    TRAINING_COURSE = "training_course", _("Training course")


class PlacementStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("placement status", "Active")
    COMPLETED = "completed", _("Completed")
    LEFT = "left", _("Left")
    DISMISSED = "dismissed", _("Dismissed")


class Confirmation(models.TextChoices):
    REPORTED = "reported", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class Placement(FSMModelMixin, models.Model):
    """One person placed in a job, training or apprenticeship under one pledge line.

    Reported by the business (or recorded by staff), then confirmed or rejected by staff of
    the MoU's authority; only confirmed placements count as delivered. The services in
    partnerships.placements.services create and change placements; the transitions hold the rule.
    """

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="placements"
    )
    pledge = models.ForeignKey(
        Pledge, verbose_name=_("pledge"), on_delete=models.PROTECT, related_name="placements"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PledgeKind.choices)
    start_date = models.DateField(_("start date"))
    occupation = models.CharField(_("occupation or trade"), max_length=200)
    monthly_wage = models.PositiveBigIntegerField(_("monthly wage (VND)"), null=True, blank=True)
    contract_type = models.CharField(_("contract"), max_length=20, choices=ContractType.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PlacementStatus.choices,
        default=PlacementStatus.ACTIVE,
    )
    end_date = models.DateField(_("end date"), null=True, blank=True)
    end_reason = models.TextField(_("reason for ending"), blank=True)

    confirmation = FSMField(
        _("confirmation"),
        max_length=20,
        choices=Confirmation.choices,
        default=Confirmation.REPORTED,
        protected=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)

    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reported_at = models.DateTimeField(auto_now_add=True)
    import_batch = models.ForeignKey(
        "partnerships.ImportBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="placements",
    )

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        ordering = ["-start_date", "-id"]
        constraints = [
            # The natural key: importing the same row twice adds nothing. A rejected report
            # does not block a corrected one.
            models.UniqueConstraint(
                fields=["person", "pledge", "start_date"],
                condition=~Q(confirmation="rejected"),
                name="one_placement_per_person_pledge_and_start",
                violation_error_message=_("This placement is already recorded."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="placement_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status="active", end_date__isnull=True)
                | (~Q(status="active") & Q(end_date__isnull=False)),
                name="placement_end_date_iff_ended",
            ),
        ]
        indexes = [
            # Per-pledge delivery and retention read these columns only.
            models.Index(
                fields=["pledge", "confirmation", "start_date", "end_date"],
                name="placement_delivery_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def reference(self) -> str:
        return f"#{self.pk}"

    @property
    def is_ended(self) -> bool:
        return self.status != PlacementStatus.ACTIVE

    # --- Transitions: the rule only; see partnerships.placements.services for the services. ---

    @transition(
        field=confirmation,
        source=Confirmation.REPORTED,
        target=Confirmation.CONFIRMED,
    )
    def confirm(self) -> None:
        """Staff of the MoU's authority confirm the person really started."""

    @transition(
        field=confirmation,
        source=Confirmation.REPORTED,
        target=Confirmation.REJECTED,
    )
    def reject(self) -> None:
        """Staff of the MoU's authority find the report wrong; it never counts."""


class IdentityConflict(models.Model):
    """A report whose details differ from the person registered under the same ID number,
    made by someone who may not see that person (a business, or staff of another authority).

    The reporter is told nothing (the answer is the same as for a new number: the
    placement awaits confirmation); the staff of the person's managing authority compare the
    details and decide. Until they do, the placement cannot be confirmed. The reported name
    is kept only encrypted and only until the conflict is settled (the row is then deleted).
    """

    placement = models.OneToOneField(
        Placement, on_delete=models.CASCADE, related_name="identity_conflict"
    )
    reported_name_encrypted = models.TextField(editable=False)
    reported_gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    reported_birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("identity conflict")
        verbose_name_plural = _("identity conflicts")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"#{self.pk}"
