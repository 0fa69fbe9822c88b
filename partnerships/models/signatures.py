"""Signatures applied to an MoU's PDF.

For now a row records that a party's signature exists and was verified; the signing
work (PAdES via pyHanko) will attach the signed PDF revision to each row.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .mous import Mou


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
    mou = models.ForeignKey(Mou, on_delete=models.CASCADE, related_name="signatures")
    party = models.CharField(_("party"), max_length=20, choices=SignatureParty.choices)
    method = models.CharField(_("method"), max_length=20, choices=SignatureMethod.choices)
    signer_name = models.CharField(_("signer"), max_length=200)
    signed_at = models.DateTimeField(_("signed at"))
    is_verified = models.BooleanField(_("verified"), default=False)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["mou", "party"], name="one_signature_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.signer_name} ({self.get_party_display()})"
