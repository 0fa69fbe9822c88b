"""Services that create and change drafts: MoUs with their pledges, and partners.

State changes are in lifecycle.py; these services change content, which only a draft
MoU may have changed. Each writes one audit event.
"""

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from partnerships import rendering
from partnerships.lifecycle import CONFLICT_MESSAGE, MouError, record_event
from partnerships.models import Mou, MouState

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
                pledge_formset.instance = mou
                pledge_formset.save()
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
