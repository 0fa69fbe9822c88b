"""MoUs, their pledges, and the state machine that governs them.

The `@transition` methods hold only the rule (source, target, conditions); who may run each
one is in `partnerships.authorities.permissions.MOU_ACTION_RULES`, and
`partnerships.mous.lifecycle` is the one place that checks it, runs them, saves, and audits.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from partnerships.models.parties import (
    Authority,
    Contact,
    Partner,
    TargetGroup,
)
from partnerships.models.signing import new_public_id

# Decree 30/2020: "BGN" is the code for a memorandum (bản ghi nhớ).
DOCUMENT_TYPE_CODE = "BGN"


class MouState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent for signature")
    SIGNED = "signed", _("Signed")
    ACTIVE = "active", _("Active")
    REVIEWED = "reviewed", _("Reviewed")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    TERMINATED = "terminated", _("Terminated")


# The groups of states the rules speak of, each defined once here (set after the class:
# an enum's members do not exist yet inside its body).
# Signed once, whatever happened since: its pledges are real promises, counted in reports and
# able to hold placements. Drafts and sent MoUs promise nothing yet.
MouState.SIGNED_ONCE = (MouState.SIGNED, MouState.ACTIVE, MouState.REVIEWED, MouState.TERMINATED)
# Signed and still running: placements may be reported on it, and it can lag behind its
# pledges. A reviewed or terminated MoU is history.
MouState.IN_FORCE = (MouState.SIGNED, MouState.ACTIVE)
# Closed before anyone signed: it never bound anybody.
MouState.NEVER_SIGNED = (MouState.DECLINED, MouState.CANCELLED)


class MouTemplate(models.TextChoices):
    """Keys of the built-in templates in mou_templates/ (DocumentTemplate.key)."""

    MEMORANDUM_VI = "bgn_vi", _("Memorandum (Vietnamese, Decree 30 layout)")
    MEMORANDUM_EN = "mou_en", _("Memorandum (English)")


class MouLanguage(models.TextChoices):
    VIETNAMESE = "vi", _("Vietnamese")
    ENGLISH = "en", _("English")


@dataclass(frozen=True)
class MouParties:
    """Who an MoU is between, in the words its document uses: Bên A (the authority) and
    Bên B (the business, its tax code and its representative). Read through `Mou.parties`."""

    authority_name: str
    authority_code: str
    authority_address: str
    place_name: str
    partner_name: str
    partner_tax_code: str
    partner_address: str
    signatory_name: str
    signatory_position: str
    # True once the MoU was sent: the values are those of the document sent for signature,
    # whatever the authority's and the partner's records say today.
    is_fixed: bool = False

    # The Mou field each value is fixed in (Mou.fix_parties, migration 0017).
    FIELDS = {
        "authority_name": "sent_authority_name",
        "authority_code": "sent_authority_code",
        "authority_address": "sent_authority_address",
        "place_name": "sent_place_name",
        "partner_name": "sent_partner_name",
        "partner_tax_code": "sent_partner_tax_code",
        "partner_address": "sent_partner_address",
        "signatory_name": "sent_signatory_name",
        "signatory_position": "sent_signatory_position",
    }

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.FIELDS}


def _fixed_party_field(verbose_name, max_length: int) -> models.CharField:
    return models.CharField(verbose_name, max_length=max_length, blank=True, editable=False)


class Mou(ConcurrentTransitionMixin, models.Model):
    """A memorandum of understanding between an authority (Bên A) and a partner (Bên B)."""

    authority = models.ForeignKey(
        Authority, verbose_name=_("authority"), on_delete=models.PROTECT, related_name="mous"
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="mous"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"), validators=[MinValueValidator(1)])
    title = models.CharField(_("title"), max_length=300)
    authority_signatory_name = models.CharField(
        _("authority signatory"), max_length=150, blank=True
    )
    authority_signatory_position = models.CharField(
        _("authority signatory's position"),
        max_length=200,
        blank=True,
        help_text=_("With its prefix, e.g. 'TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH'."),
    )
    partner_signatory = models.ForeignKey(
        Contact,
        verbose_name=_("partner signatory"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mous_to_sign",
    )
    template = models.ForeignKey(
        "partnerships.DocumentTemplate",
        verbose_name=_("template"),
        to_field="key",
        db_column="template",
        on_delete=models.PROTECT,
        default=MouTemplate.MEMORANDUM_VI.value,
        limit_choices_to={"is_active": True},
        related_name="mous",
    )
    language = models.CharField(
        _("language"), max_length=5, choices=MouLanguage.choices, default=MouLanguage.VIETNAMESE
    )
    term_start = models.DateField(_("term start"), null=True, blank=True)
    term_end = models.DateField(_("term end"), null=True, blank=True)
    mid_review_date = models.DateField(_("mid-term review date"), null=True, blank=True)
    final_review_date = models.DateField(_("final review date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    state = FSMField(
        _("state"), default=MouState.DRAFT, choices=MouState.choices, protected=True, db_index=True
    )
    # Optimistic lock for edits: a form carries the revision it was loaded at.
    revision = models.PositiveIntegerField(default=1)
    # The PDF frozen when the MoU was sent: what both parties sign.
    signable_document = models.ForeignKey(
        "partnerships.MouDocument",
        verbose_name=_("PDF sent for signature"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signable_pdf_sha256 = models.CharField(_("SHA-256 of the PDF sent"), max_length=64, blank=True)
    # The MoU's identifier in its public verification URL (printed as a QR code on the PDF).
    public_id = models.CharField(
        _("public identifier"), max_length=24, unique=True, default=new_public_id, editable=False
    )
    # The parties as the document sent for signature names them, fixed when the MoU is sent
    # and cleared when it goes back to draft: renaming a partner or changing its tax code
    # afterwards must not change what a sent or signed MoU says it is between. Read them
    # through `parties`, which gives a draft the live records instead.
    parties_fixed_at = models.DateTimeField(
        _("parties fixed at"), null=True, blank=True, editable=False
    )
    sent_authority_name = _fixed_party_field(_("Party A's name as sent"), 200)
    sent_authority_code = _fixed_party_field(_("Party A's document code as sent"), 20)
    sent_authority_address = _fixed_party_field(_("Party A's address as sent"), 300)
    sent_place_name = _fixed_party_field(_("place name as sent"), 200)
    sent_partner_name = _fixed_party_field(_("Party B's name as sent"), 255)
    sent_partner_tax_code = _fixed_party_field(_("Party B's tax code as sent"), 14)
    sent_partner_address = _fixed_party_field(_("Party B's address as sent"), 300)
    sent_signatory_name = _fixed_party_field(_("Party B's representative as sent"), 150)
    sent_signatory_position = _fixed_party_field(
        _("Party B's representative's position as sent"), 150
    )
    closing_reason = models.TextField(_("reason"), blank=True)
    # A renewal is a new draft prefilled from a reviewed MoU (drafting.renew_mou).
    renewed_from = models.ForeignKey(
        "self",
        verbose_name=_("renewal of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewals",
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("MoU")
        verbose_name_plural = _("MoUs")
        ordering = ["-year", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "year", "number"],
                name="unique_mou_number_per_authority_and_year",
                violation_error_message=_(
                    "This authority already has an MoU with this number this year."
                ),
            ),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True)
                | Q(term_start__isnull=True)
                | Q(term_end__gt=models.F("term_start")),
                name="mou_term_ends_after_start",
                violation_error_message=_("The term must end after it starts."),
            ),
        ]
        indexes = [
            models.Index(fields=["authority", "state"]),
            # Newest first (lists and reports): read in index order, stopping at the page.
            models.Index(fields=["year", "number", "id"], name="mou_year_number_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.document_number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("mou_detail", args=[self.pk])

    @property
    def document_number(self) -> str:
        """The Decree 30 style number, e.g. 12/BGN-UBND, with the authority's code as the
        document sent for signature prints it."""
        code = self.sent_authority_code if self.parties_fixed_at else self.authority.code
        return f"{self.number}/{DOCUMENT_TYPE_CODE}-{code}"

    @property
    def parties(self) -> MouParties:
        """The parties as this MoU names them: fixed since it was sent, live for a draft
        (and for one cancelled before it was ever sent)."""
        if self.parties_fixed_at:
            return MouParties(
                **{name: getattr(self, field) for name, field in MouParties.FIELDS.items()},
                is_fixed=True,
            )
        return self.live_parties()

    def live_parties(self) -> MouParties:
        """The parties as the authority's and the partner's records say today."""
        authority, partner, signatory = self.authority, self.partner, self.partner_signatory
        return MouParties(
            authority_name=authority.name,
            authority_code=authority.code,
            authority_address=authority.address,
            place_name=authority.place_name,
            partner_name=partner.name,
            partner_tax_code=partner.tax_code,
            partner_address=partner.address,
            signatory_name=signatory.full_name if signatory else "",
            signatory_position=signatory.position if signatory else "",
        )

    def fix_parties(self, parties: MouParties, *, at) -> None:
        """Store `parties` as the ones this MoU is between (on sending; not saved here)."""
        for name, field in MouParties.FIELDS.items():
            setattr(self, field, getattr(parties, name))
        self.parties_fixed_at = at

    def release_parties(self) -> None:
        """Back to draft: the parties are read from the live records again (not saved)."""
        for field in MouParties.FIELDS.values():
            setattr(self, field, "")
        self.parties_fixed_at = None

    def clean(self) -> None:
        errors = {}
        if self.term_start and self.term_end and self.term_end <= self.term_start:
            errors["term_end"] = _("The term must end after it starts.")
        for field in ("mid_review_date", "final_review_date"):
            value = getattr(self, field)
            if value and self.term_start and value < self.term_start:
                errors[field] = _("A review date cannot fall before the term starts.")
        if (
            self.partner_signatory_id
            and self.partner_id
            and self.partner_signatory.partner_id != self.partner_id
        ):
            errors["partner_signatory"] = _("The signatory must be a contact of this partner.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_editable(self) -> bool:
        return self.state == MouState.DRAFT

    # --- Conditions. Each `*_blockers` lists, in words, what stops the transition. ---

    def send_blockers(self) -> list[str]:
        blockers = []
        if not self.pledges.exists():
            blockers.append(_("Add at least one pledge."))
        if not (self.authority_signatory_name and self.authority_signatory_position):
            blockers.append(_("Name the authority's signatory and their position."))
        if not self.partner_signatory_id:
            blockers.append(_("Choose the partner's signatory."))
        if not (self.term_start and self.term_end and self.term_end > self.term_start):
            blockers.append(_("Set a term that ends after it starts."))
        if not blockers:
            document = self.ready_document()
            if document is None:
                blockers.append(
                    _("Prepare the PDF of this version first, and wait until it is ready.")
                )
            elif document.parties and document.parties != self.live_parties().as_dict():
                # The PDF would name the parties as they were, the registry as they are now.
                blockers.append(
                    _(
                        "The authority's or the partner's details changed since the PDF was "
                        "prepared: prepare it again."
                    )
                )
        return blockers

    def ready_document(self):
        """The newest finished rendering of the current revision, if any."""
        from partnerships.models.documents import RenderStatus

        return (
            self.documents.filter(mou_revision=self.revision, status=RenderStatus.READY)
            .defer("docx", "pdf")
            .first()
        )

    def activate_blockers(self, today: date | None = None) -> list[str]:
        today = today or timezone.localdate()
        if not self.term_start or self.term_start > today:
            return [_("The term has not started yet.")]
        return []

    def sign_blockers(self) -> list[str]:
        from partnerships.models.signatures import SignatureParty
        from partnerships.models.signing import PdfRevision

        verified = set(self.signatures.filter(is_verified=True).values_list("party", flat=True))
        missing = [party.label for party in SignatureParty if party.value not in verified]
        if missing:
            return [_("Verified signatures are missing: %s.") % ", ".join(map(str, missing))]
        # The signed PDF must be the sent one plus its signatures, revision after revision.
        return PdfRevision.chain_problems(self)

    def recall_blockers(self) -> list[str]:
        if self.pdf_revisions.exists():
            return [
                _(
                    "The PDF that was sent has been signed already: it can no longer be "
                    "changed. Cancel this MoU and draft a new one instead."
                )
            ]
        return []

    def review_blockers(self) -> list[str]:
        from partnerships.models.reviews import ReviewKind

        if not self.reviews.filter(kind=ReviewKind.FINAL).exists():
            return [_("Record the final review first.")]
        return []

    def _ready_to_send(self) -> bool:
        return not self.send_blockers()

    def _not_signed_yet(self) -> bool:
        return not self.recall_blockers()

    def _term_started(self) -> bool:
        return not self.activate_blockers()

    def _required_signatures_verified(self) -> bool:
        return not self.sign_blockers()

    def _has_final_review(self) -> bool:
        return not self.review_blockers()

    # --- Transitions: the rule only; see lifecycle.py for the services that run them. ---

    @transition(
        field=state,
        source=MouState.DRAFT,
        target=MouState.SENT,
        conditions=[_ready_to_send],
    )
    def send(self) -> None:
        """Send the draft to the partner for signature."""

    @transition(
        field=state,
        source=MouState.SENT,
        target=MouState.DRAFT,
        conditions=[_not_signed_yet],
    )
    def recall(self) -> None:
        """Take a sent MoU back to draft so it can be changed."""

    @transition(field=state, source=MouState.SENT, target=MouState.DECLINED)
    def decline(self) -> None:
        """The partner refuses to sign."""

    @transition(
        field=state,
        source=[MouState.DRAFT, MouState.SENT],
        target=MouState.CANCELLED,
    )
    def cancel(self) -> None:
        """The authority abandons the MoU before it is signed."""

    @transition(
        field=state,
        source=MouState.SENT,
        target=MouState.SIGNED,
        conditions=[_required_signatures_verified],
    )
    def sign(self) -> None:
        """Both parties' signatures are verified."""
        self.signed_at = timezone.now()

    @transition(
        field=state,
        source=MouState.SIGNED,
        target=MouState.ACTIVE,
        conditions=[_term_started],
    )
    def activate(self) -> None:
        """The term has started: the partner's pledges now run."""
        self.activated_at = timezone.now()

    @transition(
        field=state,
        source=MouState.ACTIVE,
        target=MouState.REVIEWED,
        conditions=[_has_final_review],
    )
    def review(self) -> None:
        """The final review is recorded."""

    @transition(
        field=state,
        source=MouState.IN_FORCE,
        target=MouState.TERMINATED,
    )
    def terminate(self) -> None:
        """End a signed MoU early."""


class PledgeKind(models.TextChoices):
    JOB = "job", _("Job")
    VOCATIONAL_TRAINING = "training", _("Vocational training")
    APPRENTICESHIP = "apprenticeship", _("Apprenticeship")


class Pledge(models.Model):
    """One line of what the partner promises: so many places of a kind, for given groups."""

    mou = models.ForeignKey(Mou, on_delete=models.CASCADE, related_name="pledges")
    # The pledge's number on its MoU (1, 2, ...): printed in the legal document and named
    # by the placement import file. Drafting numbers a draft's pledges 1..n in their order
    # each time it is saved; from the moment it is sent the pledges, and so their numbers,
    # no longer change.
    line = models.PositiveSmallIntegerField(_("line"), validators=[MinValueValidator(1)])
    kind = models.CharField(_("kind"), max_length=20, choices=PledgeKind.choices)
    quantity = models.PositiveIntegerField(
        _("quantity"), validators=[MinValueValidator(1, _("The quantity must be at least 1."))]
    )
    target_groups = models.ManyToManyField(
        TargetGroup, verbose_name=_("target groups"), related_name="pledges"
    )
    occupation = models.CharField(_("occupation or trade"), max_length=200)
    min_monthly_wage = models.PositiveBigIntegerField(
        _("minimum monthly wage (VND)"), null=True, blank=True
    )
    workplace = models.CharField(_("workplace"), max_length=300, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["mou_id", "line"]
        constraints = [
            models.UniqueConstraint(fields=["mou", "line"], name="one_pledge_per_mou_line"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1),
                name="pledge_quantity_positive",
                violation_error_message=_("The quantity must be at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.occupation} ({self.get_kind_display()})"
