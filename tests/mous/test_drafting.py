"""Saving drafts: numbers, the optimistic revision lock, audit events; and partners."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from partnerships.authorities.permissions import authorities_for_drafting, visible_partners
from partnerships.models import (
    AuditEvent,
    Contact,
    Mou,
    MouState,
    Partner,
)
from partnerships.mous import drafting, lifecycle
from partnerships.mous.forms import (
    ContactFormSetWithOneRepresentative,
    MouForm,
    PartnerForm,
    PledgeFormSet,
)
from partnerships.mous.lifecycle import CONFLICT_MESSAGE, MouError
from tests.factories import mou_form_data, partner_form_data


def draft_values(user, data, mou=None):
    """The values the MoU page passes to the service once its forms have checked `data`."""
    mou = mou or Mou()
    form = MouForm(
        data,
        instance=mou,
        authorities=authorities_for_drafting(user),
        partners=visible_partners(user),
    )
    pledges = PledgeFormSet(data, instance=mou, prefix="pledges")
    assert form.is_valid(), form.errors
    assert pledges.is_valid(), pledges.errors
    return {
        "mou": mou,
        "content": form.content(),
        "pledges": pledges.lines(),
        "revision": form.cleaned_data.get("revision"),
    }


def save(user, data, mou=None):
    return drafting.save_mou_draft(**draft_values(user, data, mou), actor=user)


def save_refusal(user, data, mou) -> str:
    values = draft_values(user, data, mou)
    with translation.override("en"):
        with pytest.raises(MouError) as refused:
            drafting.save_mou_draft(**values, actor=user)
        return str(refused.value.message)


def test_it_creates_a_draft_with_its_pledges_and_records_who(world):
    data = mou_form_data(authority=world.ben_luc, partner=world.garment, title="Dệt may 2026")

    mou = save(world.staff, data)

    mou.refresh_from_db()
    assert (mou.title, mou.state, mou.created_by) == ("Dệt may 2026", MouState.DRAFT, world.staff)
    assert [(p.quantity, p.occupation) for p in mou.pledges.all()] == [(5, "Công nhân may")]
    event = AuditEvent.objects.get(mou=mou)
    assert (event.action, event.actor, event.to_state) == ("mou.created", world.staff, "draft")


def test_it_takes_the_next_free_number_of_the_authority_and_year(world):
    data = mou_form_data(authority=world.ben_luc, partner=world.garment)
    assert save(world.staff, data).number == world.mou.number + 1

    other_year = mou_form_data(authority=world.ben_luc, partner=world.garment, year=2020)
    assert save(world.staff, other_year).number == 1

    other_authority = mou_form_data(authority=world.thanh_loi, partner=world.garment)
    assert save(world.admin, other_authority).number == 1


def test_an_edit_bumps_the_revision_and_is_audited(world):
    mou = world.mou
    data = mou_form_data(authority=mou.authority, partner=mou.partner, mou=mou, title="Sửa tên")

    save(world.staff, data, Mou.objects.get(pk=mou.pk))

    stored = Mou.objects.get(pk=mou.pk)
    assert (stored.title, stored.revision) == ("Sửa tên", mou.revision + 1)
    assert AuditEvent.objects.filter(mou=mou, action="mou.edited", actor=world.staff).count() == 1


def test_it_refuses_a_save_based_on_a_stale_revision_and_keeps_the_first(world):
    loaded_revision = world.mou.revision
    first = mou_form_data(authority=world.ben_luc, partner=world.garment, mou=world.mou)
    second = dict(first)
    first["title"], second["title"] = "Bản của người thứ nhất", "Bản của người thứ hai"

    save(world.staff, first, Mou.objects.get(pk=world.mou.pk))
    message = save_refusal(world.admin, second, Mou.objects.get(pk=world.mou.pk))

    with translation.override("en"):
        assert message == str(CONFLICT_MESSAGE)
    stored = Mou.objects.get(pk=world.mou.pk)
    assert (stored.title, stored.revision) == ("Bản của người thứ nhất", loaded_revision + 1)
    assert AuditEvent.objects.filter(mou=world.mou, action="mou.edited").count() == 1


def test_it_refuses_to_change_an_mou_sent_since_the_form_was_loaded(world):
    data = mou_form_data(authority=world.ben_luc, partner=world.garment, mou=world.mou)
    stale_copy = Mou.objects.get(pk=world.mou.pk)
    lifecycle.perform(Mou.objects.get(pk=world.mou.pk), "send", actor=world.staff)

    data["title"] = "Sửa sau khi gửi"
    assert "Only a draft can be changed." in save_refusal(world.staff, data, stale_copy)
    stored = Mou.objects.get(pk=world.mou.pk)
    assert (stored.state, stored.title) == (MouState.SENT, world.mou.title)


def partner_values(data, partner):
    """The values the partner page passes to the service once its forms have checked `data`."""
    form = PartnerForm(data, instance=partner)
    contacts = ContactFormSetWithOneRepresentative(data, instance=partner, prefix="contacts")
    assert form.is_valid(), form.errors
    assert contacts.is_valid(), contacts.errors
    return {
        "partner": partner,
        "details": form.details(),
        "contacts": contacts.contacts(),
        "removed_contact_ids": contacts.removed_contact_ids(),
    }


def test_it_registers_a_partner_with_its_contacts_and_records_who(world):
    data = partner_form_data(tax_code="0311111111-002")
    partner = drafting.save_partner(
        **partner_values(data, Partner(registered_by=world.ben_luc)), actor=world.staff
    )
    assert partner.legal_representative.full_name == "Trần Văn An"
    event = AuditEvent.objects.get(partner=partner)
    assert (event.action, event.actor) == ("partner.created", world.staff)


def test_the_legal_representative_can_move_to_another_contact_in_one_save(world):
    partner = world.garment
    old = partner.contacts.get()
    new = Contact.objects.create(partner=partner, full_name="Phạm Văn Bình", position="Phó GĐ")
    data = partner_form_data(name=partner.name, tax_code=partner.tax_code, contacts=[]) | {
        "contacts-TOTAL_FORMS": 2,
        "contacts-INITIAL_FORMS": 2,
    }
    for index, (contact, representative) in enumerate([(old, False), (new, True)]):
        data |= {
            f"contacts-{index}-id": contact.pk,
            f"contacts-{index}-full_name": contact.full_name,
            f"contacts-{index}-position": contact.position,
        }
        if representative:
            data[f"contacts-{index}-is_legal_representative"] = "on"

    drafting.save_partner(**partner_values(data, partner), actor=world.staff)

    assert Partner.objects.get(pk=partner.pk).legal_representative == new


def test_a_number_taken_while_the_form_was_open_is_refused_clearly(world):
    data = mou_form_data(authority=world.ben_luc, partner=world.garment, number=9)
    values = draft_values(world.staff, data)
    # Someone else takes number 9 after this form was checked but before it is saved.
    Mou.objects.create(
        authority=world.ben_luc, partner=world.garment, year=data["year"], number=9, title="X"
    )

    with translation.override("en"):
        with pytest.raises(MouError) as refused:
            drafting.save_mou_draft(**values, actor=world.staff)
        message = str(refused.value.message)

    assert "already has an MoU with this number this year" in message
    assert Mou.objects.filter(number=9).count() == 1
    assert not AuditEvent.objects.filter(action="mou.created").exists()


# --- The service's own checks: plain values, no form in between ---


def plain_content(world, **overrides) -> drafting.DraftContent:
    return drafting.DraftContent(
        authority=overrides.pop("authority", world.ben_luc),
        partner=world.garment,
        year=2026,
        title=overrides.pop("title", "Tiếp nhận lao động"),
        **overrides,
    )


def sewing_line(**overrides) -> drafting.PledgeLine:
    values = {"kind": "job", "quantity": 5, "occupation": "Công nhân may"} | overrides
    return drafting.PledgeLine(**values)


def test_a_draft_is_saved_from_plain_values(world):
    mou = drafting.save_mou_draft(
        mou=Mou(),
        content=plain_content(world),
        pledges=[sewing_line(), sewing_line(kind="training", quantity=3, occupation="Thợ may")],
        revision=None,
        actor=world.staff,
    )
    stored = Mou.objects.get(pk=mou.pk)
    assert (stored.authority, stored.number, stored.template_id) == (
        world.ben_luc,
        world.mou.number + 1,
        "bgn_vi",
    )
    assert [(p.kind, p.quantity) for p in stored.pledges.all()] == [("job", 5), ("training", 3)]


def test_it_keeps_the_lines_given_and_removes_the_others(world):
    mou = Mou.objects.get(pk=world.mou.pk)
    kept, dropped = sewing_line(quantity=7), sewing_line(quantity=2)
    mou = drafting.save_mou_draft(
        mou=mou,
        content=plain_content(world),
        pledges=[kept, dropped],
        revision=mou.revision,
        actor=world.staff,
    )
    first = mou.pledges.order_by("pk").first()

    drafting.save_mou_draft(
        mou=Mou.objects.get(pk=mou.pk),
        content=plain_content(world),
        pledges=[sewing_line(quantity=8, pledge_id=first.pk), sewing_line(occupation="Thợ cắt")],
        revision=mou.revision,
        actor=world.staff,
    )

    lines = list(Mou.objects.get(pk=mou.pk).pledges.order_by("pk"))
    assert [(p.pk == first.pk, p.quantity, p.occupation) for p in lines] == [
        (True, 8, "Công nhân may"),
        (False, 5, "Thợ cắt"),
    ]


def test_staff_cannot_draft_for_an_authority_outside_their_scope(world):
    with pytest.raises(PermissionDenied):
        drafting.save_mou_draft(
            mou=Mou(),
            content=plain_content(world, authority=world.thanh_loi),
            pledges=[sewing_line()],
            revision=None,
            actor=world.staff,
        )
    assert not Mou.objects.exclude(pk=world.mou.pk).exists()


def test_staff_of_another_authority_cannot_edit_a_draft(world):
    mou = Mou.objects.get(pk=world.mou.pk)
    with pytest.raises(PermissionDenied):
        drafting.save_mou_draft(
            mou=mou,
            content=plain_content(world, title="Đổi tên", authority=world.thanh_loi),
            pledges=[sewing_line()],
            revision=mou.revision,
            actor=world.other_staff,
        )
    assert Mou.objects.get(pk=mou.pk).title == world.mou.title
    assert not AuditEvent.objects.filter(action="mou.edited").exists()


def test_staff_cannot_edit_a_partner_registered_by_another_authority(world):
    details = drafting.PartnerDetails(name="Đổi tên", tax_code=world.quarry.tax_code)
    with pytest.raises(PermissionDenied):
        drafting.save_partner(
            partner=Partner.objects.get(pk=world.quarry.pk),
            details=details,
            contacts=[],
            actor=world.staff,
        )
    assert Partner.objects.get(pk=world.quarry.pk).name == world.quarry.name


def test_a_contact_removed_meanwhile_is_refused_and_nothing_is_saved(world):
    partner = Partner.objects.get(pk=world.garment.pk)
    gone = Contact.objects.create(partner=partner, full_name="Lê Thị Gấm")
    gone_id = gone.pk
    gone.delete()  # someone else removed it after the page was loaded
    with pytest.raises(drafting.PartnerError) as refused:
        drafting.save_partner(
            partner=partner,
            details=drafting.PartnerDetails(name="Tên mới", tax_code=partner.tax_code),
            contacts=[drafting.ContactDetails(full_name="Lê Thị Gấm", contact_id=gone_id)],
            actor=world.staff,
        )
    with translation.override("en"):
        assert "changed this partner's contacts" in str(refused.value.message)
    assert Partner.objects.get(pk=partner.pk).name == world.garment.name


def lines_of(mou):
    return [(pledge.line, pledge.occupation) for pledge in Mou.objects.get(pk=mou.pk).pledges.all()]


def test_it_numbers_the_pledges_of_a_new_draft_in_the_order_typed(world):
    typed = [{"occupation": "Thợ may"}, {"occupation": "Thợ hàn"}, {"occupation": "Lái xe"}]
    data = mou_form_data(authority=world.ben_luc, partner=world.garment, pledges=typed)

    mou = save(world.staff, data)

    assert lines_of(mou) == [(1, "Thợ may"), (2, "Thợ hàn"), (3, "Lái xe")]


def test_deleting_a_line_of_a_draft_moves_the_lines_below_it_up(world):
    typed = [{"occupation": "Thợ may"}, {"occupation": "Thợ hàn"}, {"occupation": "Lái xe"}]
    mou = save(
        world.staff, mou_form_data(authority=world.ben_luc, partner=world.garment, pledges=typed)
    )
    data = mou_form_data(
        authority=mou.authority, partner=mou.partner, mou=mou, pledges=[{"occupation": "Bếp"}]
    )
    data["pledges-0-DELETE"] = "on"

    save(world.staff, data, Mou.objects.get(pk=mou.pk))

    # No gap in the document: the lines kept keep their order, the new one comes last.
    assert lines_of(mou) == [(1, "Thợ hàn"), (2, "Lái xe"), (3, "Bếp")]


def test_editing_a_draft_keeps_its_line_numbers(world):
    typed = [{"occupation": "Thợ may"}, {"occupation": "Thợ hàn"}]
    mou = save(
        world.staff, mou_form_data(authority=world.ben_luc, partner=world.garment, pledges=typed)
    )
    data = mou_form_data(authority=mou.authority, partner=mou.partner, mou=mou, pledges=[])
    data["pledges-0-quantity"] = 9

    save(world.staff, data, Mou.objects.get(pk=mou.pk))

    assert lines_of(mou) == [(1, "Thợ may"), (2, "Thợ hàn")]
    assert Mou.objects.get(pk=mou.pk).pledges.get(line=1).quantity == 9
