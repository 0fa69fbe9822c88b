"""Shared actors for tests, built in plain code: each role, and an outsider of each kind.

The world: province Long An with communes Bến Lức and Thạnh Lợi and a dissolved district
(Bến Lức district) whose successor is Bến Lức commune; a second province, Hà Nam, with the
commune Kim Bảng. Two partners, one in each province.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from partnerships.models import (
    Authority,
    AuthorityLevel,
    Contact,
    Mou,
    Partner,
    Pledge,
    PledgeKind,
    Role,
    TargetGroup,
    UserProfile,
)


class World:
    pass


def make_user(username, role=None, *, authority=None, partner=None, superuser=False):
    user = User.objects.create_user(username=username, password="pw-" + username)
    if superuser:
        user.is_superuser = user.is_staff = True
        user.save()
    if role:
        user.groups.add(Group.objects.get(name=role))
    UserProfile.objects.create(user=user, authority=authority, partner=partner)
    return user


def make_mou(authority, partner, *, number=None, ready=True, **fields):
    """A draft MoU; `ready` gives it what sending needs (pledge, signatories, term)."""
    today = timezone.localdate()
    number = number or (Mou.objects.filter(authority=authority).count() + 1)
    defaults = {
        "title": f"MoU {number}",
        "year": today.year,
        "number": number,
    }
    if ready:
        defaults |= {
            "authority_signatory_name": "Võ Minh Tâm",
            "authority_signatory_position": "TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH",
            "partner_signatory": partner.contacts.get(is_legal_representative=True),
            "term_start": today - timedelta(days=1),
            "term_end": today + timedelta(days=365),
        }
    mou = Mou.objects.create(authority=authority, partner=partner, **(defaults | fields))
    if ready:
        pledge = Pledge.objects.create(
            mou=mou, kind=PledgeKind.JOB, quantity=5, occupation="Công nhân may"
        )
        pledge.target_groups.add(TargetGroup.objects.get(code="completed_prison"))
    return mou


@pytest.fixture
def world(db):
    w = World()
    w.long_an = Authority.objects.create(
        name="UBND tỉnh Long An", level=AuthorityLevel.PROVINCE, code="UBND"
    )
    w.ben_luc = Authority.objects.create(
        name="UBND xã Bến Lức", level=AuthorityLevel.COMMUNE, parent=w.long_an, code="UBND"
    )
    w.thanh_loi = Authority.objects.create(
        name="UBND xã Thạnh Lợi", level=AuthorityLevel.COMMUNE, parent=w.long_an, code="UBND"
    )
    w.ben_luc_district = Authority.objects.create(
        name="UBND huyện Bến Lức",
        level=AuthorityLevel.DISTRICT,
        parent=w.long_an,
        successor=w.ben_luc,
        code="UBND",
        is_dissolved=True,
    )
    w.ha_nam = Authority.objects.create(
        name="UBND tỉnh Hà Nam", level=AuthorityLevel.PROVINCE, code="UBND"
    )
    w.kim_bang = Authority.objects.create(
        name="UBND phường Kim Bảng", level=AuthorityLevel.COMMUNE, parent=w.ha_nam, code="UBND"
    )

    w.garment = Partner.objects.create(
        name="Công ty May Bến Lức", tax_code="0312345678", registered_by=w.ben_luc
    )
    Contact.objects.create(
        partner=w.garment, full_name="Nguyễn Thị Hoa", position="Giám đốc",
        email="hoa@example.com", is_legal_representative=True,
    )
    w.quarry = Partner.objects.create(
        name="Công ty Đá Kim Bảng", tax_code="0700000001", registered_by=w.kim_bang
    )
    Contact.objects.create(
        partner=w.quarry, full_name="Lê Văn Sơn", position="Giám đốc",
        email="son@example.com", is_legal_representative=True,
    )

    w.staff = make_user("staff", Role.AUTHORITY_STAFF, authority=w.ben_luc)
    w.official = make_user("official", Role.OFFICIAL, authority=w.long_an)
    w.business = make_user("business", Role.BUSINESS_REPRESENTATIVE, partner=w.garment)
    w.admin = make_user("admin", Role.ADMINISTRATOR, superuser=True)
    # Outsiders, one of each kind.
    w.other_staff = make_user("other_staff", Role.AUTHORITY_STAFF, authority=w.thanh_loi)
    w.other_province_official = make_user("other_official", Role.OFFICIAL, authority=w.ha_nam)
    w.other_business = make_user(
        "other_business", Role.BUSINESS_REPRESENTATIVE, partner=w.quarry
    )
    w.no_role = make_user("no_role")

    w.mou = make_mou(w.ben_luc, w.garment)
    return w
