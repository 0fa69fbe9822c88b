"""Authority staff confirm or reject what businesses report; only confirmed placements count
as delivered. Ending a placement records the date retention is computed from."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from partnerships.models import (
    AuditEvent,
    Confirmation,
    Placement,
    PlacementStatus,
)
from partnerships.placements import services as placements
from partnerships.placements.selectors import pledge_delivery
from partnerships.placements.services import PlacementError
from tests.factories.placements import person_details, report


def delivered(w):
    return {pledge.pk: pledge.delivered for pledge in pledge_delivery(w.active_mou)}[
        w.job_pledge.pk
    ]


def test_staff_of_the_mous_authority_confirm(placements_world):
    w = placements_world
    placement = report(w)
    assert delivered(w) == 0
    confirmed = placements.confirm_placement(placement=placement, actor=w.staff)
    assert confirmed.confirmation == Confirmation.CONFIRMED
    assert confirmed.decided_by == w.staff and confirmed.decided_at
    assert delivered(w) == 1
    event = AuditEvent.objects.get(action="placement.confirmed")
    assert event.actor == w.staff and event.person_id == placement.person_id
    assert event.details["placement"] == placement.pk


@pytest.mark.parametrize("actor", ["business", "other_staff", "official", "other_business"])
def test_no_one_else_confirms(placements_world, actor):
    w = placements_world
    placement = report(w)
    with pytest.raises(PermissionDenied):
        placements.confirm_placement(placement=placement, actor=getattr(w, actor))
    placement.refresh_from_db()
    assert placement.confirmation == Confirmation.REPORTED


def test_a_rejection_needs_a_reason_and_never_counts(placements_world):
    w = placements_world
    placement = report(w)
    with pytest.raises(PlacementError):
        placements.reject_placement(placement=placement, actor=w.staff, reason=" ")
    rejected = placements.reject_placement(
        placement=placement, actor=w.staff, reason="Không có hợp đồng lao động."
    )
    assert rejected.confirmation == Confirmation.REJECTED
    assert rejected.rejection_reason == "Không có hợp đồng lao động."
    assert delivered(w) == 0
    # A corrected report of the same person, pledge and start date may be made again.
    assert report(w).confirmation == Confirmation.REPORTED


def test_a_decision_is_made_once(placements_world):
    w = placements_world
    placement = report(w)
    stale = Placement.objects.get(pk=placement.pk)
    placements.confirm_placement(placement=placement, actor=w.staff)
    with pytest.raises(PlacementError) as error:
        placements.reject_placement(placement=stale, actor=w.staff, reason="Sai.")
    assert error.value.problems[0].code == "changed_meanwhile"
    assert Placement.objects.get(pk=placement.pk).confirmation == Confirmation.CONFIRMED


def test_the_employer_records_the_end(placements_world):
    w = placements_world
    placement = report(w)
    end = placement.start_date + timedelta(days=40)
    ended = placements.end_placement(
        placement=placement, actor=w.business, status=PlacementStatus.LEFT, end_date=end
    )
    assert (ended.status, ended.end_date) == (PlacementStatus.LEFT, end)
    with pytest.raises(PlacementError) as error:
        placements.end_placement(
            placement=ended, actor=w.business, status=PlacementStatus.LEFT, end_date=end
        )
    assert error.value.problems[0].code == "not_ongoing"


@pytest.mark.parametrize(("days", "code"), [(-1, "end_before_start"), (None, "date_in_future")])
def test_an_end_date_must_make_sense(placements_world, days, code):
    w = placements_world
    placement = report(w)
    end = placement.start_date + timedelta(days=days) if days else w.today + timedelta(days=1)
    with pytest.raises(PlacementError) as error:
        placements.end_placement(
            placement=placement, actor=w.staff, status=PlacementStatus.COMPLETED, end_date=end
        )
    assert [problem.code for problem in error.value.problems] == [code]


def test_another_business_cannot_end_a_placement(placements_world):
    w = placements_world
    placement = report(w)
    with pytest.raises(PermissionDenied):
        placements.end_placement(
            placement=placement,
            actor=w.other_business,
            status=PlacementStatus.LEFT,
            end_date=w.today,
        )


# --- Pages ---


def test_staff_confirm_from_the_placement_page(placements_world, client_as):
    w = placements_world
    placement = report(w)
    browser = client_as(w.staff)
    page = browser.get(f"/placements/{placement.pk}/").content.decode()
    assert f"/placements/{placement.pk}/confirm/" in page
    response = browser.submit(
        f"/placements/{placement.pk}/", action=f"/placements/{placement.pk}/confirm/"
    )
    assert response.status_code == 302
    assert Placement.objects.get(pk=placement.pk).confirmation == Confirmation.CONFIRMED


def test_the_business_sees_no_confirm_button_and_cannot_post(placements_world, client_as):
    w = placements_world
    placement = report(w)
    browser = client_as(w.business)
    page = browser.get(f"/placements/{placement.pk}/").content.decode()
    assert "/confirm/" not in page
    assert browser.post_by_hand(f"/placements/{placement.pk}/confirm/").status_code == 403
    reject = f"/placements/{placement.pk}/reject/"
    assert browser.post_by_hand(reject, {"reason": "x"}).status_code == 403


def test_staff_confirm_several_at_once(placements_world, client_as):
    w = placements_world
    first = report(w)
    second = report(w, person=person_details(w, national_id="079203009999", full_name="Lý Văn Tư"))
    theirs = report(
        w,
        w.other_business,
        pledge=w.quarry_mou.pledges.get(),
        person=person_details(w, national_id="035200000001", full_name="Hà Thị Lan"),
    )
    # The list's form, with one more placement slipped in that the list does not offer.
    response = client_as(w.staff).submit(
        "/placements/",
        {"placement": [first.pk, second.pk, theirs.pk]},
        action="/placements/confirm/",
    )
    assert response.status_code == 302
    confirmed = set(
        Placement.objects.filter(confirmation=Confirmation.CONFIRMED).values_list("pk", flat=True)
    )
    assert confirmed == {first.pk, second.pk}  # not the other authority's


def test_the_end_form_reports_bad_dates(placements_world, client_as):
    w = placements_world
    placement = report(w)
    browser = client_as(w.business)
    page, end = f"/placements/{placement.pk}/", f"/placements/{placement.pk}/end/"
    response = browser.submit(
        page, {"status": "left", "end_date": "01/01/1999", "reason": ""}, action=end, follow=True
    )
    assert "The end date cannot be before the start date." in response.content.decode()
    assert Placement.objects.get(pk=placement.pk).status == PlacementStatus.ACTIVE
    response = browser.submit(
        page, {"status": "left", "end_date": "hôm qua"}, action=end, follow=True
    )
    assert response.status_code == 200
    assert Placement.objects.get(pk=placement.pk).status == PlacementStatus.ACTIVE
