"""Partner pages: who sees and edits which partner, and bad input when registering one.

The garment company is registered by Bến Lức (staff's commune); the quarry by Kim Bảng."""

import pytest
from django.urls import reverse

from partnerships.models import (
    AuditEvent,
    Contact,
    Partner,
    Role,
)
from tests.factories import bring_to, make_mou, make_user, partner_form_data

# --- Seeing partners ---


@pytest.mark.parametrize(
    ("who", "listed"),
    [
        ("staff", {"Công ty May Bến Lức", "Công ty Đá Kim Bảng"}),
        ("official", {"Công ty May Bến Lức", "Công ty Đá Kim Bảng"}),
        ("admin", {"Công ty May Bến Lức", "Công ty Đá Kim Bảng"}),
        ("business", {"Công ty May Bến Lức"}),
        ("other_business", {"Công ty Đá Kim Bảng"}),
    ],
)
def test_the_partner_list_shows_what_the_role_may_see(client_as, world, who, listed):
    response = client_as(getattr(world, who)).get(reverse("partner_list"))
    assert response.status_code == 200
    assert {partner.name for partner in response.context["partners"]} == listed


@pytest.mark.parametrize(
    ("who", "partner", "status"),
    [
        ("business", "garment", 200),
        ("business", "quarry", 404),
        ("other_business", "garment", 404),
        ("staff", "quarry", 200),
        ("other_province_official", "garment", 200),
    ],
)
def test_a_partner_page_opens_only_for_those_who_may_see_it(client_as, world, who, partner, status):
    target = getattr(world, partner)
    response = client_as(getattr(world, who)).get(reverse("partner_detail", args=[target.pk]))
    assert response.status_code == status
    if status == 404:
        assert target.tax_code.encode() not in response.content


def test_a_partner_page_lists_only_the_mous_the_user_may_see(client_as, world):
    sent = bring_to(make_mou(world.ben_luc, world.garment, number=2, title="BL-SENT"), "sent")
    make_mou(world.thanh_loi, world.garment, number=3, title="TL-DRAFT")

    def listed(user):
        response = client_as(user).get(reverse("partner_detail", args=[world.garment.pk]))
        return {mou.title for mou in response.context["mous"]}

    assert listed(world.staff) == {world.mou.title, sent.title}
    assert listed(world.business) == {sent.title}  # drafts stay internal
    assert listed(world.other_province_official) == set()


# --- Editing partners ---


@pytest.mark.parametrize(
    ("who", "partner", "status"),
    [
        ("staff", "garment", 200),
        ("staff", "quarry", 403),  # registered by another authority
        ("other_staff", "garment", 403),
        ("official", "garment", 403),
        ("business", "garment", 403),
        ("business", "quarry", 404),
        ("admin", "quarry", 200),
    ],
)
def test_only_staff_whose_scope_covers_the_registering_authority_edit_a_partner(
    client_as, world, who, partner, status
):
    target = getattr(world, partner)
    browser = client_as(getattr(world, who))
    url = reverse("partner_edit", args=[target.pk])
    assert browser.get(url).status_code == status

    data = partner_form_data(name="Đổi tên", tax_code=target.tax_code, contacts=[])
    post = browser.submit if status == 200 else browser.post_by_hand
    response = post(url, data)

    assert Partner.objects.get(pk=target.pk).name == ("Đổi tên" if status == 200 else target.name)
    assert response.status_code == (302 if status == 200 else status)


def test_province_staff_edit_partners_registered_by_their_communes(client_as, world):
    province_staff = make_user("province_staff", Role.AUTHORITY_STAFF, authority=world.long_an)
    data = partner_form_data(name="May Bến Lức (mới)", tax_code="0312345678", contacts=[])
    response = client_as(province_staff).submit(
        reverse("partner_edit", args=[world.garment.pk]), data
    )
    assert response.status_code == 302
    assert Partner.objects.get(pk=world.garment.pk).name == "May Bến Lức (mới)"
    event = AuditEvent.objects.get(partner=world.garment)
    assert (event.action, event.actor) == ("partner.edited", province_staff)


@pytest.mark.parametrize(("who", "status"), [("official", 403), ("business", 403)])
def test_only_staff_register_partners(client_as, world, who, status):
    browser = client_as(getattr(world, who))
    assert browser.get(reverse("partner_create")).status_code == status
    response = browser.post_by_hand(reverse("partner_create"), partner_form_data())
    assert response.status_code == status
    assert Partner.objects.count() == 2


# --- Registering a partner, and bad input ---


@pytest.mark.parametrize("tax_code", ["1101234567", "1101234567-001"])
def test_staff_register_a_partner_with_a_valid_tax_code(client_as, world, tax_code):
    response = client_as(world.staff).submit(
        reverse("partner_create"), partner_form_data(tax_code=tax_code)
    )
    partner = Partner.objects.get(tax_code=tax_code)
    assert response.status_code == 302
    assert response["Location"] == reverse("partner_detail", args=[partner.pk])
    assert partner.registered_by == world.ben_luc
    assert partner.legal_representative.full_name == "Trần Văn An"


@pytest.mark.parametrize(
    "tax_code",
    [
        "110123456",  # 9 digits
        "11012345678",  # 11 digits
        "11012345AB",  # letters
        "1101234567-01",  # branch suffix too short
        "1101234567_001",  # wrong separator
        "1101234567-",  # dangling dash
    ],
)
def test_it_refuses_an_invalid_tax_code(client_as, world, tax_code):
    response = client_as(world.staff).submit(
        reverse("partner_create"), partner_form_data(tax_code=tax_code)
    )
    assert response.status_code == 200
    assert "tax_code" in response.context["form"].errors
    assert "A tax code has 10 digits" in response.content.decode()
    assert Partner.objects.count() == 2
    assert not Contact.objects.filter(full_name="Trần Văn An").exists()


def test_it_refuses_a_tax_code_too_long_for_the_field(client_as, world):
    response = client_as(world.staff).submit(
        reverse("partner_create"), partner_form_data(tax_code="1101234567-0001")
    )
    assert response.status_code == 200
    assert "tax_code" in response.context["form"].errors
    assert Partner.objects.count() == 2


def test_it_refuses_a_tax_code_already_registered(client_as, world):
    response = client_as(world.staff).submit(
        reverse("partner_create"), partner_form_data(tax_code=world.quarry.tax_code)
    )
    assert response.status_code == 200
    assert "tax_code" in response.context["form"].errors
    assert Partner.objects.count() == 2


def test_it_refuses_two_legal_representatives(client_as, world):
    contacts = [
        {"full_name": "Trần Văn An", "is_legal_representative": "on"},
        {"full_name": "Lê Thị Bích", "is_legal_representative": "on"},
    ]
    response = client_as(world.staff).submit(
        reverse("partner_create"), partner_form_data(contacts=contacts)
    )
    assert response.status_code == 200
    assert response.context["contact_formset"].non_form_errors()
    assert "legal representative" in response.content.decode()
    assert Partner.objects.count() == 2
    assert not AuditEvent.objects.exists()


def test_an_edit_with_an_invalid_tax_code_leaves_the_partner_unchanged(client_as, world):
    data = partner_form_data(name="Tên mới", tax_code="03123456", contacts=[])
    response = client_as(world.staff).submit(reverse("partner_edit", args=[world.garment.pk]), data)
    assert response.status_code == 200
    stored = Partner.objects.get(pk=world.garment.pk)
    assert (stored.name, stored.tax_code) == ("Công ty May Bến Lức", "0312345678")
