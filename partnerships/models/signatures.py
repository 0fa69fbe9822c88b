"""Signatures applied to an MoU's PDF.

A row records that a party's signature exists and was verified; a signature made through the
signing flow points at the PDF revision that added it (demo rows made before the flow
existed have none).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SignatureParty(models.TextChoices):
    AUTHORITY = "authority", _("the authority")
    BUSINESS = "business", _("the business")


class SignatureMethod(models.TextChoices):
    CERTIFICATE = "certificate", _("Digital certificate")
    REGISTRY_SEAL = (
        "registry_seal",
        _("Electronic signature made through the registry (not the business's digital signature)"),
    )
    DEMO = "demo", _("Demo signature (DEMO PKI)")


class Signature(models.Model):
    mou = models.ForeignKey("partnerships.Mou", on_delete=models.CASCADE, related_name="signatures")
    party = models.CharField(_("party"), max_length=20, choices=SignatureParty.choices)
    method = models.CharField(_("method"), max_length=20, choices=SignatureMethod.choices)
    signer_name = models.CharField(_("signer"), max_length=200)
    signed_at = models.DateTimeField(_("signed at"))
    is_verified = models.BooleanField(_("verified"), default=False)
    revision = models.OneToOneField(
        "partnerships.PdfRevision",
        verbose_name=_("PDF revision"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signature",
    )
    certificate_subject = models.CharField(_("certificate"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["mou", "party"], name="one_signature_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.signer_name} ({self.get_party_display()})"
