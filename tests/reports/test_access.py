"""Who sees what in the reports: officials their province, staff their authority and what
is under it, a business only its own partner, and everyone only counts: no person, no
placement, no name of anyone placed."""

import csv
import io

import pytest

from tests.factories.reports import BL10, BL20, KB10, PERSON_NAME

REPORTS = [
    "/reports/mous/",
    "/reports/partners/",
    "/reports/authorities/",
    "/reports/groups/",
    "/reports/periods/",
]


def exported_mous(client, query: str = "") -> set[tuple[str, str]]:
    """(number, authority) of the MoUs in the per-MoU export."""
    response = client.get(f"/reports/mous/?{query}&_export=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return {(row[0], row[1]) for row in rows[1:-1]}  # the last row holds the totals


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("admin", {BL10, BL20, KB10}),
        ("official", {BL10, BL20}),
        ("staff", {BL10, BL20}),
        ("business", {BL10, BL20}),
        ("other_staff", set()),
        ("other_province_official", {KB10}),
        ("other_business", {KB10}),
    ],
)
def test_each_role_counts_only_its_own_mous(report_world, client_as, user, expected):
    assert exported_mous(client_as(getattr(report_world, user))) == expected


def test_outsiders_see_the_quarrys_mou_not_the_garment_factorys(report_world, client_as):
    w = report_world
    for user in (w.other_province_official, w.other_business):
        page = client_as(user).get("/reports/partners/").content.decode()
        assert w.quarry.name in page and w.garment.name not in page


def test_a_business_never_sees_another_partner(report_world, client_as):
    w = report_world
    for url in REPORTS:
        page = client_as(w.business).get(url).content.decode()
        assert w.quarry.name not in page and w.quarry.tax_code not in page, url


@pytest.mark.parametrize("url", REPORTS)
@pytest.mark.parametrize(
    "user", ["admin", "official", "staff", "business", "other_province_official"]
)
def test_reports_hold_counts_only(report_world, client_as, url, user):
    page = client_as(getattr(report_world, user)).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert PERSON_NAME not in html
    assert "/people/" not in html.split("<main>")[1]
    assert "/placements/" not in html.split("<main>")[1]
    export = client_as(getattr(report_world, user)).get(url + "?_export=csv")
    assert PERSON_NAME not in export.content.decode("utf-8-sig")


@pytest.mark.parametrize("url", [*REPORTS, "/reports/province/"])
def test_no_role_no_report(report_world, client_as, url):
    assert client_as(report_world.no_role).get(url).status_code == 403
    anonymous = client_as(None).get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_staff_cannot_open_a_branch_outside_their_scope(report_world, client_as):
    w = report_world
    client = client_as(w.staff)
    assert client.get(f"/reports/authorities/?root={w.kim_bang.pk}").status_code == 404
    assert client.get(f"/reports/authorities/?root={w.long_an.pk}").status_code == 404
    assert client.get(f"/reports/authorities/?root={w.ben_luc.pk}").status_code == 200
    assert client.get("/reports/authorities/?root=999999").status_code == 404


def test_an_official_opens_their_province_but_not_another(report_world, client_as):
    w = report_world
    client = client_as(w.official)
    page = client.get("/reports/authorities/").content.decode()
    # Straight into Long An (their only province): Bến Lức, with the district inside.
    assert "UBND xã Bến Lức" in page and "including, dissolved:" in page
    assert client.get(f"/reports/authorities/?root={w.ha_nam.pk}").status_code == 404


def test_the_authority_filter_offers_only_the_users_scope(report_world, client_as):
    w = report_world
    page = client_as(w.staff).get("/reports/mous/").content.decode()
    options = page.split('name="authority"')[1].split("</select>")[0]
    assert "UBND xã Bến Lức" in options and "UBND huyện Bến Lức" in options
    assert "Thạnh Lợi" not in options and "Kim Bảng" not in options
    # A business has no authority scope: no authority filter at all.
    assert 'name="authority"' not in client_as(w.business).get("/reports/mous/").content.decode()
    # An authority outside one's scope is no choice: the filter is ignored, the scope kept.
    staff = client_as(w.staff)
    assert exported_mous(staff, f"authority={w.kim_bang.pk}") == {BL10, BL20}
    # The district alone, or Bến Lức commune with the district it took over.
    assert exported_mous(staff, f"authority={w.ben_luc_district.pk}") == {BL20}
    assert exported_mous(staff, f"authority={w.ben_luc.pk}") == {BL10, BL20}


def test_the_province_summary_is_for_authorities_not_businesses(report_world, client_as):
    w = report_world
    assert client_as(w.business).get("/reports/province/").status_code == 403
    for user in (w.admin, w.official, w.staff, w.other_province_official):
        page = client_as(user).get("/reports/province/")
        assert page.status_code == 200
        assert PERSON_NAME not in page.content.decode()
