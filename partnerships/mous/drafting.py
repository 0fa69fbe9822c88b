"""Services that create and change drafts: MoUs with their pledges, and partners.

State changes are in lifecycle.py; these services change content, which only a draft
MoU may have changed. They take plain values (the pages unpack their forms into
`DraftContent`, `PledgeLine`, `PartnerDetails`, `ContactDetails`), check the actor's
permission themselves, and each writes one audit event.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerships.authorities.permissions import (
    authorities_for_drafting,
    can_create_mou,
    can_edit_partner,
    can_manage_mou,
    can_register_partner,
    can_renew_mou,
    visible_partners,
)
from partnerships.core.errors import RegistryError
from partnerships.documents import rendering
from partnerships.models import (
    Authority,
    Contact,
    DocumentTemplate,
    Mou,
    MouLanguage,
    MouState,
    MouTemplate,
    Partner,
    PartnerStatus,
    Pledge,
    TargetGroup,
)
from partnerships.mous.lifecycle import CONFLICT_MESSAGE, MouError, record_event

_NUMBER_ATTEMPTS = 5

CONTACTS_CHANGED_MESSAGE = _(
    "Someone else changed this partner's contacts while you were working on them. "
    "Reload the page to see them as they are now, then try again."
)


class PartnerError(RegistryError):
    """A change to a partner that cannot be made; the message says why."""


def _next_number(mou: Mou) -> int:
    taken = Mou.objects.filter(authority_id=mou.authority_id, year=mou.year).aggregate(
        highest=Max("number")
    )["highest"]
    return (taken or 0) + 1


@dataclass(frozen=True)
class DraftContent:
    """What a draft MoU says, as the drafter gives it (everything but its pledge lines)."""

    authority: Authority
    partner: Partner
    year: int
    title: str
    number: int | None = None  # None: the next free number of the authority and year
    partner_signatory: Contact | None = None
    authority_signatory_name: str = ""
    authority_signatory_position: str = ""
    template: DocumentTemplate | None = None  # None: the model's default template
    language: str = MouLanguage.VIETNAMESE
    term_start: date | None = None
    term_end: date | None = None
    mid_review_date: date | None = None
    final_review_date: date | None = None
    notes: str = ""


@dataclass(frozen=True)
class PledgeLine:
    """One pledge line of a draft; `pledge_id` names the stored line it changes (None: new)."""

    kind: str
    quantity: int
    occupation: str
    target_groups: tuple[TargetGroup, ...] = ()
    min_monthly_wage: int | None = None
    workplace: str = ""
    due_date: date | None = None
    pledge_id: int | None = None


_PLEDGE_FIELDS = ("kind", "quantity", "occupation", "min_monthly_wage", "workplace", "due_date")


def _check_may_draft(actor, mou: Mou, content: DraftContent) -> None:
    if mou.pk is None:
        stored_authority_id = None
        allowed = can_create_mou(actor)
    else:
        # The stored row, not the caller's copy (a form may have changed it in memory).
        stored = Mou.objects.select_related("authority").filter(pk=mou.pk).first()
        if stored is None:
            raise MouError(_("Only a draft can be changed."))
        stored_authority_id = stored.authority_id
        allowed = can_manage_mou(actor, stored)
    # A draft keeps its own authority even when that body has since been dissolved; a new
    # or changed one must be an authority the actor drafts for.
    if allowed and content.authority.pk != stored_authority_id:
        allowed = authorities_for_drafting(actor).filter(pk=content.authority.pk).exists()
    if allowed:
        allowed = visible_partners(actor).filter(pk=content.partner.pk).exists()
    if not allowed:
        raise PermissionDenied(_("You may not draft this MoU."))


def save_mou_draft(
    *,
    mou: Mou,
    content: DraftContent,
    pledges: Sequence[PledgeLine],
    revision: int | None,
    actor,
) -> Mou:
    """Save a new (unsaved `mou`) or edited draft MoU and its pledge lines, all or nothing.

    `pledges` are every line the draft keeps, in order: stored lines not among them are
    removed. `revision` is the revision the drafter's page started from. Raises
    PermissionDenied when the actor may not draft this MoU for this authority and partner,
    and MouError when the MoU is no longer a draft, when someone saved it since the page was
    loaded, or when the number is already taken.
    """
    _check_may_draft(actor, mou, content)
    creating = mou.pk is None
    auto_number = not content.number
    for attempt in range(_NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                if not creating:
                    stored = (
                        Mou.objects.select_for_update()
                        .filter(pk=mou.pk)
                        .values("state", "revision")
                        .first()
                    )
                    if stored is None or stored["state"] != MouState.DRAFT:
                        raise MouError(_("Only a draft can be changed."))
                    if stored["revision"] != revision:
                        raise MouError(CONFLICT_MESSAGE)
                    mou.revision = stored["revision"] + 1
                else:
                    mou.created_by = actor
                for field in fields(DraftContent):
                    value = getattr(content, field.name)
                    if value is not None or field.name not in ("number", "template"):
                        setattr(mou, field.name, value)
                if auto_number:
                    mou.number = _next_number(mou)
                mou.save()
                _save_pledges(mou, pledges)
                # Every saved version of a draft gets its documents prepared afresh.
                rendering.request_document(mou, actor=actor)
                record_event(
                    mou,
                    action="mou.created" if creating else "mou.edited",
                    actor=actor,
                    from_state="" if creating else MouState.DRAFT,
                    to_state=MouState.DRAFT,
                )
            return mou
        except IntegrityError as exc:
            if creating:
                mou.pk = None
            # Two drafts took the same free number at once: take the next one.
            if auto_number and attempt < _NUMBER_ATTEMPTS - 1:
                continue
            raise MouError(
                _("This authority already has an MoU with this number this year.")
            ) from exc
    raise AssertionError("unreachable")


def _save_pledges(mou: Mou, lines: Sequence[PledgeLine]) -> None:
    """Save a draft's pledges and number them 1..n: the kept ones in their order, then the
    new ones in the order typed. Deleting a line moves the lines below it up, so the
    document never shows a gap; nothing outside a draft names its lines yet (placements
    and imports need a signed MoU, whose pledges no longer change)."""
    kept = {line.pledge_id for line in lines if line.pledge_id is not None}
    mou.pledges.exclude(pk__in=kept).delete()
    stored = {pledge.pk: pledge for pledge in mou.pledges.filter(pk__in=kept)}
    if kept - stored.keys():
        # A line the page showed is gone: the draft changed under it (the revision lock
        # makes this rare); nothing is saved.
        raise MouError(CONFLICT_MESSAGE)
    # Lowest first: each pledge moves up into a number already freed, so the unique
    # (mou, line) constraint holds at every step.
    in_order = sorted(stored.values(), key=lambda pledge: pledge.line)
    for number, pledge in enumerate(in_order, start=1):
        if pledge.line != number:
            Pledge.objects.filter(pk=pledge.pk).update(line=number)
            pledge.line = number
    next_line = len(in_order) + 1
    for line in lines:
        if line.pledge_id is not None:
            pledge = stored[line.pledge_id]
        else:
            pledge = Pledge(mou=mou, line=next_line)
            next_line += 1
        for field in _PLEDGE_FIELDS:
            setattr(pledge, field, getattr(line, field))
        pledge.save()
        pledge.target_groups.set(line.target_groups)


@dataclass(frozen=True)
class PartnerDetails:
    """What the registry records of a business or cooperative."""

    name: str
    tax_code: str
    address: str = ""
    sector: str = ""
    workforce_size: int | None = None
    status: str = PartnerStatus.ACTIVE


@dataclass(frozen=True)
class ContactDetails:
    """One contact person of a partner; `contact_id` names the stored one it changes."""

    full_name: str
    position: str = ""
    email: str = ""
    phone: str = ""
    is_legal_representative: bool = False
    contact_id: int | None = None


def save_partner(
    *,
    partner: Partner,
    details: PartnerDetails,
    contacts: Sequence[ContactDetails],
    removed_contact_ids: Iterable[int] = (),
    actor,
) -> Partner:
    """Save a new (unsaved `partner`, its `registered_by` set) or edited partner with its
    contacts together, and record who did it.

    `contacts` are the contacts to add or change; `removed_contact_ids` those to delete.
    Raises PermissionDenied when the actor may not register or edit this partner, and
    PartnerError when a contact the page showed was removed meanwhile.
    """
    creating = partner.pk is None
    allowed = can_register_partner(actor) if creating else can_edit_partner(actor, partner)
    if not allowed:
        raise PermissionDenied(_("You may not change this partner."))
    with transaction.atomic():
        for field in fields(PartnerDetails):
            setattr(partner, field.name, getattr(details, field.name))
        partner.save()
        partner.contacts.filter(pk__in=list(removed_contact_ids)).delete()
        changed_ids = {c.contact_id for c in contacts if c.contact_id is not None}
        stored = {contact.pk: contact for contact in partner.contacts.filter(pk__in=changed_ids)}
        if changed_ids - stored.keys():
            raise PartnerError(CONTACTS_CHANGED_MESSAGE)
        # Save the contacts losing the representative role before the one gaining it,
        # so the one-representative constraint holds at every step.
        for given in sorted(contacts, key=lambda c: c.is_legal_representative):
            contact = stored[given.contact_id] if given.contact_id is not None else Contact()
            for field in fields(ContactDetails):
                if field.name != "contact_id":
                    setattr(contact, field.name, getattr(given, field.name))
            contact.partner = partner
            contact.save()
        record_event(
            action="partner.created" if creating else "partner.edited",
            actor=actor,
            partner=partner,
        )
    return partner


def renew_mou(*, mou: Mou, actor) -> Mou:
    """Draft the renewal of a reviewed MoU: a new draft with the same parties, signatories,
    template and pledge lines, the next free number, and a term of the same length starting
    the day after the old one ends; linked to it (`renewed_from`), with an audit event on
    both. An MoU of a dissolved authority is renewed by its successor.

    Raises PermissionDenied for anyone but staff managing the MoU, and MouError when it is
    not reviewed, was already renewed, or its partner no longer operates.
    """
    from partnerships.placements.services import owner_for

    if not can_renew_mou(actor, mou):
        raise PermissionDenied(_("You may not renew this MoU."))
    active_renewal = mou.renewals.exclude(state__in=MouState.NEVER_SIGNED)
    renewal = active_renewal.order_by("pk").first()
    if renewal is not None:
        raise MouError(
            _("This MoU was already renewed as %(number)s.") % {"number": renewal.document_number}
        )
    if mou.partner.status != PartnerStatus.ACTIVE:
        raise MouError(_("The partner is not active: it cannot sign a renewal."))
    draft = _renewal_draft(mou, authority=owner_for(mou), actor=actor)
    for attempt in range(_NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                draft.number = _next_number(draft)
                draft.save()
                _copy_pledges(mou, draft)
                rendering.request_document(draft, actor=actor)
                record_event(
                    draft,
                    action="mou.renewal_drafted",
                    actor=actor,
                    from_state="",
                    to_state=MouState.DRAFT,
                    note=mou.document_number,
                    details={"renewed_from": mou.pk},
                )
                record_event(
                    mou,
                    action="mou.renewed",
                    actor=actor,
                    note=draft.document_number,
                    details={"renewal": draft.pk},
                )
            return draft
        except IntegrityError:
            draft.pk = None
            # Someone took the same free number at once: take the next one.
            if attempt == _NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _renewal_draft(mou: Mou, *, authority, actor) -> Mou:
    today = timezone.localdate()
    start = mou.term_end + timedelta(days=1) if mou.term_end else today
    shift = start - mou.term_start if mou.term_start else timedelta(0)
    length = (mou.term_end - mou.term_start) if mou.term_start and mou.term_end else None
    signatory = mou.partner_signatory
    if signatory is None or signatory.partner_id != mou.partner_id:
        signatory = mou.partner.contacts.filter(is_legal_representative=True).first()
    template_key = mou.template_id
    if not DocumentTemplate.objects.filter(key=template_key, is_active=True).exists():
        template_key = MouTemplate.MEMORANDUM_VI.value
    return Mou(
        authority=authority,
        partner=mou.partner,
        year=today.year,
        title=mou.title,
        authority_signatory_name=mou.authority_signatory_name,
        authority_signatory_position=mou.authority_signatory_position,
        partner_signatory=signatory,
        template_id=template_key,
        language=mou.language,
        term_start=start,
        term_end=start + length if length else None,
        mid_review_date=mou.mid_review_date + shift if mou.mid_review_date else None,
        final_review_date=mou.final_review_date + shift if mou.final_review_date else None,
        renewed_from=mou,
        created_by=actor,
    )


def _copy_pledges(source: Mou, draft: Mou) -> None:
    shift = (draft.term_start - source.term_start) if source.term_start else timedelta(0)
    links = Pledge.target_groups.through
    for pledge in source.pledges.order_by("line").prefetch_related("target_groups"):
        copy = Pledge.objects.create(
            mou=draft,
            line=pledge.line,
            kind=pledge.kind,
            quantity=pledge.quantity,
            occupation=pledge.occupation,
            min_monthly_wage=pledge.min_monthly_wage,
            workplace=pledge.workplace,
            due_date=pledge.due_date + shift if pledge.due_date else None,
        )
        links.objects.bulk_create(
            links(pledge_id=copy.pk, targetgroup_id=group.pk)
            for group in pledge.target_groups.all()
        )
