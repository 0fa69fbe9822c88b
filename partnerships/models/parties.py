"""The parties to an MoU: authorities, partner businesses and their contacts."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

TAX_CODE_PATTERN = re.compile(r"^\d{10}(-\d{3})?$")


def validate_tax_code(value: str) -> None:
    """A Vietnamese tax code (MST): 10 digits, or 10 digits, '-' and a 3-digit branch suffix."""
    if not TAX_CODE_PATTERN.match(value or ""):
        raise ValidationError(
            _(
                "A tax code has 10 digits, or 10 digits followed by '-' and a 3-digit "
                "branch number (e.g. 0312345678 or 0312345678-001)."
            ),
            code="invalid_tax_code",
        )


def email_language_field() -> models.CharField:
    """The language a person's emails are written in (Vietnamese unless they choose English)."""
    return models.CharField(
        _("language of emails"), max_length=5, choices=settings.LANGUAGES, default="vi"
    )


class AuthorityLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    COMMUNE = "commune", _("Commune / ward")
    DISTRICT = "district", _("District (before the 2025 reform)")
    DEPARTMENT = "department", _("Provincial department")


class Authority(models.Model):
    """A public body that signs MoUs: a People's Committee, a police unit, a department.

    Authorities form a tree through `parent`. A body dissolved by the 2025 reform keeps
    its row (its MoUs stay valid) and names the `successor` that now looks after them.
    """

    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=20, choices=AuthorityLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent authority"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
        help_text=_("For a dissolved authority: the one that now looks after its MoUs."),
    )
    code = models.CharField(
        _("document code"),
        max_length=20,
        help_text=_("Used in document numbers, e.g. UBND in 12/BGN-UBND."),
        # Letters, digits and dashes only, so a document number stays unambiguous.
        validators=[
            RegexValidator(r"^[A-ZĐ0-9-]+$", _("Use capital letters, digits and dashes only."))
        ],
    )
    place_name = models.CharField(
        _("place name"),
        max_length=100,
        blank=True,
        help_text=_("Written before the date on documents, e.g. Bến Lức."),
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    is_dissolved = models.BooleanField(_("dissolved"), default=False)

    class Meta:
        verbose_name = _("authority")
        verbose_name_plural = _("authorities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": _("An authority cannot be its own parent.")})
        if self.successor_id and self.successor_id == self.pk:
            raise ValidationError({"successor": _("An authority cannot succeed itself.")})


class PartnerStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("partner status", "Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class Partner(models.Model):
    """A business (company, cooperative, household business) that pledges jobs or training."""

    name = models.CharField(_("name"), max_length=255)
    tax_code = models.CharField(
        _("tax code"), max_length=14, unique=True, validators=[validate_tax_code]
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    sector = models.CharField(_("sector"), max_length=150, blank=True)
    workforce_size = models.PositiveIntegerField(_("workforce size"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PartnerStatus.choices, default=PartnerStatus.ACTIVE
    )
    registered_by = models.ForeignKey(
        Authority,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="registered_partners",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def legal_representative(self) -> "Contact | None":
        return next((c for c in self.contacts.all() if c.is_legal_representative), None)


class Contact(models.Model):
    """A person at a partner; exactly one may be the legal representative who signs."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="contacts"
    )
    full_name = models.CharField(_("full name"), max_length=150)
    position = models.CharField(_("position"), max_length=150, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_legal_representative = models.BooleanField(_("legal representative"), default=False)
    language = email_language_field()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_legal_representative", "full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(is_legal_representative=True),
                name="one_legal_representative_per_partner",
                violation_error_message=_(
                    "Only one contact can be marked as the legal representative who signs."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.position})" if self.position else self.full_name


class TargetGroup(models.Model):
    """A group of people the pledges are for; administrators edit the list."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255)
    is_active = models.BooleanField(_("in use"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi


class Role(models.TextChoices):
    """The groups a user can belong to; each maps to a Django auth Group of the same name."""

    AUTHORITY_STAFF = "authority_staff", _("Authority staff")
    OFFICIAL = "official", _("Provincial official")
    BUSINESS_REPRESENTATIVE = "business_representative", _("Business representative")
    ADMINISTRATOR = "administrator", _("Administrator")


class UserProfile(models.Model):
    """Ties a user to the authority (staff, officials) or partner (representatives) they act for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    authority = models.ForeignKey(
        Authority, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    language = email_language_field()

    class Meta:
        verbose_name = _("user profile")
        verbose_name_plural = _("user profiles")

    def __str__(self) -> str:
        return str(self.user)
