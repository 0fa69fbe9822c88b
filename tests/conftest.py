"""Fixtures shared by every test; the data they build comes from tests/factories.py."""

import pytest

from partnerships.models import (
    Authority,
    AuthorityLevel,
    Contact,
    Partner,
    Role,
)
from tests.factories import (
    World,
    make_mou,
    make_user,
)

pytest_plugins = ["tests.signing.pdf.fixtures"]


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
        partner=w.garment,
        full_name="Nguyễn Thị Hoa",
        position="Giám đốc",
        email="hoa@example.com",
        is_legal_representative=True,
    )
    w.quarry = Partner.objects.create(
        name="Công ty Đá Kim Bảng", tax_code="0700000001", registered_by=w.kim_bang
    )
    Contact.objects.create(
        partner=w.quarry,
        full_name="Lê Văn Sơn",
        position="Giám đốc",
        email="son@example.com",
        is_legal_representative=True,
    )

    w.staff = make_user("staff", Role.AUTHORITY_STAFF, authority=w.ben_luc)
    w.official = make_user("official", Role.OFFICIAL, authority=w.long_an)
    w.business = make_user("business", Role.BUSINESS_REPRESENTATIVE, partner=w.garment)
    w.admin = make_user("admin", Role.ADMINISTRATOR, superuser=True)
    # Outsiders, one of each kind.
    w.other_staff = make_user("other_staff", Role.AUTHORITY_STAFF, authority=w.thanh_loi)
    w.other_province_official = make_user("other_official", Role.OFFICIAL, authority=w.ha_nam)
    w.other_business = make_user("other_business", Role.BUSINESS_REPRESENTATIVE, partner=w.quarry)
    w.no_role = make_user("no_role")

    w.mou = make_mou(w.ben_luc, w.garment)
    return w


@pytest.fixture
def client_as(db):
    """A logged-in test client that asks for English pages (stable message text whether or
    not the Vietnamese catalogue is compiled); `client_as(None)` stays anonymous."""
    from django.test import Client

    def login(user, language="en"):
        browser = Client(HTTP_ACCEPT_LANGUAGE=language)
        if user is not None:
            browser.force_login(user)
        return browser

    return login
