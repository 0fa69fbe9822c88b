"""Services that create and change drafts: MoUs with their pledges, and partners.

State changes are in lifecycle.py; these services change content, which only a draft
MoU may have changed. Each writes one audit event.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerships.authorities.permissions import can_renew_mou
from partnerships.documents import rendering
from partnerships.models import (
    DocumentTemplate,
    Mou,
    MouState,
    MouTemplate,
    PartnerStatus,
    Pledge,
)
from partnerships.mous.lifecycle import CONFLICT_MESSAGE, MouError, record_event

_NUMBER_ATTEMPTS = 5


def _next_number(mou: Mou) -> int:
    taken = Mou.objects.filter(authority_id=mou.authority_id, year=mou.year).aggregate(
        highest=Max("number")
    )["highest"]
    return (taken or 0) + 1


def save_mou_draft(*, form, pledge_formset, actor) -> Mou:
    """Save a new or edited draft MoU and its pledges, all or nothing.

    Raises MouError when the MoU is no longer a draft, when someone saved it since the
    form was loaded (the form carries the revision it started from), or when the number
    is already taken.
    """
    mou = form.instance
    creating = mou.pk is None
    auto_number = not form.cleaned_data.get("number")
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
                    if stored["revision"] != form.cleaned_data.get("revision"):
                        raise MouError(CONFLICT_MESSAGE)
                    mou.revision = stored["revision"] + 1
                else:
                    mou.created_by = actor
                if auto_number:
                    mou.number = _next_number(mou)
                mou = form.save()
                _save_pledges(pledge_formset, mou)
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


def _save_pledges(pledge_formset, mou: Mou) -> None:
    """Save a draft's pledges and number them 1..n: the kept ones in their order, then the
    new ones in the form's order. Deleting a line moves the lines below it up, so the
    document never shows a gap; nothing outside a draft names its lines yet (placements
    and imports need a signed MoU, whose pledges no longer change)."""
    pledge_formset.instance = mou
    pledges = pledge_formset.save(commit=False)
    for removed in pledge_formset.deleted_objects:
        removed.delete()
    kept = mou.pledges.order_by("line").values_list("pk", flat=True)
    lines = {pk: line for line, pk in enumerate(kept, start=1)}
    # Lowest first: each pledge moves up into a number already freed, so the unique
    # (mou, line) constraint holds at every step.
    for pk, line in lines.items():
        Pledge.objects.filter(pk=pk).exclude(line=line).update(line=line)
    next_line = len(lines) + 1
    for pledge in pledges:
        if pledge.pk in lines:
            pledge.line = lines[pledge.pk]
        else:
            pledge.line, next_line = next_line, next_line + 1
        pledge.save()
    pledge_formset.save_m2m()


def save_partner(*, form, contact_formset, actor):
    """Save a partner and its contacts together and record who did it."""
    creating = form.instance.pk is None
    with transaction.atomic():
        partner = form.save()
        contact_formset.instance = partner
        contacts = contact_formset.save(commit=False)
        for removed in contact_formset.deleted_objects:
            removed.delete()
        # Save the contacts losing the representative role before the one gaining it,
        # so the one-representative constraint holds at every step.
        for contact in sorted(contacts, key=lambda c: c.is_legal_representative):
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
