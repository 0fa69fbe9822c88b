"""Who sees which placements: each role, and an outsider of each kind."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerships.authorities.permissions import visible_placements
from partnerships.models import Confirmation
from tests.factories.placements import person_details, report


@pytest.fixture
def two_placements(placements_world):
    """One on the garment factory's MoU at Bến Lức, one on the quarry's at Kim Bảng."""
    w = placements_world
    w.ours = report(w)
    w.theirs = report(
        w,
        w.other_business,
        pledge=w.quarry_mou.pledges.get(),
        person=person_details(w, national_id="035200000001", full_name="Hà Thị Lan"),
    )
    return w


@pytest.mark.parametrize(
    ("actor", "sees"),
    [
        ("business", {"ours"}),
        ("other_business", {"theirs"}),
        ("staff", {"ours"}),
        ("other_staff", set()),
        ("official", set()),
        ("other_province_official", set()),
        ("admin", {"ours", "theirs"}),
        ("no_role", set()),
    ],
)
def test_each_role_sees_its_placements(two_placements, client_as, actor, sees):
    w = two_placements
    user = getattr(w, actor)
    expected = {getattr(w, name).pk for name in sees}
    assert set(visible_placements(user).values_list("pk", flat=True)) == expected
    for name in ("ours", "theirs"):
        response = client_as(user).get(f"/placements/{getattr(w, name).pk}/")
        assert response.status_code == (200 if name in sees else 403 if actor == "no_role" else 404)


def test_staff_who_manage_the_person_see_their_placements_elsewhere(two_placements):
    w = two_placements
    # A person managed at Bến Lức, placed by the quarry at Kim Bảng.
    elsewhere = report(
        w,
        w.other_business,
        pledge=w.quarry_mou.pledges.get(),
        person=person_details(w),
    )
    assert elsewhere.person == w.ours.person
    assert elsewhere.pk in set(visible_placements(w.staff).values_list("pk", flat=True))


def test_officials_see_counts_only(two_placements, client_as):
    w = two_placements
    page = client_as(w.official).get("/placements/").content.decode()
    assert 'data-testid="placement-counts"' in page
    assert f"/placements/{w.ours.pk}/" not in page
    assert w.active_mou.document_number in page
    assert w.quarry_mou.partner.name not in page  # another province's MoU
    mou_page = client_as(w.official).get(f"/mous/{w.active_mou.pk}/placements/").content.decode()
    assert 'data-testid="pledge-delivery"' in mou_page
    assert f"/placements/{w.ours.pk}/" not in mou_page


def test_the_business_list_shows_only_its_own(two_placements, client_as):
    w = two_placements
    page = client_as(w.business).get("/placements/").content.decode()
    assert f"/placements/{w.ours.pk}/" in page
    assert f"/placements/{w.theirs.pk}/" not in page
    assert client_as(w.business).get(f"/mous/{w.quarry_mou.pk}/placements/").status_code == 404


def test_the_list_filters_by_confirmation(two_placements, client_as):
    w = two_placements
    url = f"/placements/?confirmation={Confirmation.CONFIRMED}"
    assert f"/placements/{w.ours.pk}/" not in client_as(w.business).get(url).content.decode()


def test_the_list_takes_the_same_number_of_queries_for_more_rows(placements_world, client_as):
    w = placements_world
    browser = client_as(w.staff)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert browser.get("/placements/").status_code == 200
        return len(captured)

    report(w)
    few = queries()
    for number in range(2, 12):
        report(
            w,
            person=person_details(
                w, national_id=f"0792030{number:05d}", full_name=f"Người {number}"
            ),
        )
    assert queries() == few
