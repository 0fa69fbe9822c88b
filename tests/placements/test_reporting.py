"""Reporting a placement: the business portal's form and the service behind it. Every bad
input gets a clear message and nothing is half-saved."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from partnerships.models import (
    AuditEvent,
    Confirmation,
    Person,
    Placement,
    PlacementStatus,
)
from partnerships.placements import services as placements
from partnerships.placements.services import PlacementError
from tests.factories.placements import NATIONAL_ID, person_details, report


def codes(error: PlacementError) -> list[str]:
    return [problem.code for problem in error.value.problems]


def test_a_business_reports_a_placement_awaiting_confirmation(placements_world):
    w = placements_world
    placement = report(w)
    assert placement.confirmation == Confirmation.REPORTED
    assert placement.kind == w.job_pledge.kind
    assert placement.status == PlacementStatus.ACTIVE
    person = placement.person
    assert person.owning_authority == w.ben_luc
    assert person.commune == w.ben_luc
    assert person.birth_decade == 1990
    event = AuditEvent.objects.get(action="placement.reported")
    assert (event.actor, event.person) == (w.business, person)


def test_staff_record_a_placement_already_confirmed(placements_world):
    w = placements_world
    placement = report(w, w.staff)
    assert placement.confirmation == Confirmation.CONFIRMED
    assert placement.decided_by == w.staff


def test_a_person_reported_again_is_the_same_person(placements_world):
    w = placements_world
    first = report(w)
    # Typed without tone marks, and on another pledge line: still the same person.
    second = report(
        w,
        person=person_details(w, full_name="nguyen van an", national_id="079 203 001 234"),
        pledge=w.training_pledge,
    )
    assert second.person == first.person
    assert Person.objects.count() == 1


def test_a_person_of_a_dissolved_authority_belongs_to_its_successor(placements_world):
    w = placements_world
    assert (
        placements.owner_for(type("MouStub", (), {"authority": w.ben_luc_district})()) == w.ben_luc
    )


@pytest.mark.parametrize(
    ("person", "placement", "code"),
    [
        ({"national_id": "12345"}, {}, "national_id_invalid"),
        ({"full_name": "  "}, {}, "value_missing"),
        ({"birth_year": 1850}, {}, "birth_year_invalid"),
        ({}, {"monthly_wage": -1}, "wage_negative"),
        ({}, {"start_date": "before_term"}, "start_outside_term"),
        ({}, {"start_date": "tomorrow"}, "date_in_future"),
        ({"consent_given_on": "tomorrow"}, {}, "date_in_future"),
    ],
)
def test_bad_input_is_refused_with_a_reason(placements_world, person, placement, code):
    w = placements_world
    days = {"before_term": w.term_start - timedelta(days=1), "tomorrow": w.today + timedelta(1)}
    person = {key: days.get(value, value) for key, value in person.items()}
    placement = {key: days.get(value, value) for key, value in placement.items()}
    with pytest.raises(PlacementError) as error:
        report(w, person=person_details(w, **person), **placement)
    assert codes(error) == [code]
    assert not Person.objects.exists() and not Placement.objects.exists()


def test_a_placement_on_another_partners_pledge_is_refused(placements_world):
    w = placements_world
    with pytest.raises(PlacementError) as error:
        report(w, pledge=w.quarry_mou.pledges.get())
    assert codes(error) == ["pledge_of_other_partner"]
    with translation.override("en"):
        assert error.value.message == "This pledge belongs to another partner's MoU."


def test_an_mou_not_yet_signed_takes_no_placements(placements_world):
    w = placements_world
    with pytest.raises(PlacementError) as error:
        report(w, pledge=w.sent_mou.pledges.get(), start_date=w.today)
    assert codes(error) == ["mou_not_open"]
    with translation.override("en"):
        assert "is “Sent for signature”" in error.value.message


def test_staff_of_another_authority_may_not_record(placements_world):
    w = placements_world
    with pytest.raises(PermissionDenied):
        report(w, w.other_staff)
    with pytest.raises(PermissionDenied):
        report(w, w.official)


def test_staff_who_manage_the_person_are_told_of_other_details(placements_world):
    # They may see who the person is; a business is told nothing (test_lookups.py).
    w = placements_world
    report(w)
    with pytest.raises(PlacementError) as error:
        report(
            w, w.staff, person=person_details(w, full_name="Lê Thị Mai"), pledge=w.training_pledge
        )
    assert codes(error) == ["person_conflict"]
    with pytest.raises(PlacementError) as error:
        report(w, w.staff, person=person_details(w, birth_year=1991), pledge=w.training_pledge)
    assert codes(error) == ["person_conflict"]
    assert Placement.objects.count() == 1


def test_the_same_placement_is_recorded_once(placements_world):
    w = placements_world
    report(w)
    with pytest.raises(PlacementError) as error:
        report(w)
    assert codes(error) == ["already_recorded"]


def test_nothing_is_half_saved(placements_world):
    w = placements_world
    with (
        mock.patch.object(Placement, "save", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        report(w)
    assert not Person.objects.exists()
    assert not AuditEvent.objects.filter(action="placement.reported").exists()


# --- The form in the business portal ---


def form_data(w, **overrides):
    return {
        "pledge": w.job_pledge.pk,
        "start_date": (w.term_start + timedelta(days=3)).strftime("%d/%m/%Y"),
        "occupation": "",
        "monthly_wage": "6500000",
        "contract_type": "labour_12m_plus",
        "national_id": NATIONAL_ID,
        "full_name": "Nguyễn Văn An",
        "gender": "male",
        "birth_year": "1990",
        "target_group": w.completed_prison.pk,
        "consent_given_on": w.term_start.strftime("%d/%m/%Y"),
        "consent_scope": "placement",
    } | overrides


def test_the_business_reports_through_the_form(placements_world, client_as):
    w = placements_world
    url = f"/mous/{w.active_mou.pk}/placements/new/"
    response = client_as(w.business).submit(url, form_data(w))
    assert response.status_code == 302
    placement = Placement.objects.get()
    assert placement.occupation == w.job_pledge.occupation  # empty: the pledge's
    assert placement.monthly_wage == 6_500_000


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("monthly_wage", "-100", "The monthly wage cannot be negative."),
        ("monthly_wage", "nhiều", "Enter a whole number."),
        # Beyond the bigint column: a message, not a database error.
        ("monthly_wage", "1" + "0" * 20, "less than or equal to"),
        ("start_date", "31/02/2025", "Enter a valid date."),
        ("start_date", "01/01/2000", "outside the MoU&#x27;s term"),
        ("national_id", "0792", "A national ID number has 12 digits"),
        ("pledge", "999999", "Select a valid choice."),
    ],
)
def test_the_form_explains_bad_input_and_saves_nothing(
    placements_world, client_as, field, value, message
):
    w = placements_world
    url = f"/mous/{w.active_mou.pk}/placements/new/"
    response = client_as(w.business).submit(url, form_data(w, **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Placement.objects.exists() and not Person.objects.exists()


def test_a_pledge_of_another_mou_cannot_be_posted(placements_world, client_as):
    w = placements_world
    url = f"/mous/{w.active_mou.pk}/placements/new/"
    response = client_as(w.business).submit(url, form_data(w, pledge=w.quarry_mou.pledges.get().pk))
    assert response.status_code == 200
    assert not Placement.objects.exists()


@pytest.mark.parametrize(
    ("actor", "status"),
    [("other_business", 404), ("official", 403), ("other_staff", 404), ("no_role", 403)],
)
def test_only_the_partner_and_its_authority_open_the_form(
    placements_world, client_as, actor, status
):
    w = placements_world
    response = client_as(getattr(w, actor)).get(f"/mous/{w.active_mou.pk}/placements/new/")
    assert response.status_code == status


def test_the_form_is_closed_on_an_mou_not_signed(placements_world, client_as):
    w = placements_world
    response = client_as(w.business).get(f"/mous/{w.sent_mou.pk}/placements/new/")
    assert response.status_code == 403


def test_a_negative_wage_does_not_hide_the_forms_other_mistakes(placements_world, client_as):
    w = placements_world
    url = f"/mous/{w.active_mou.pk}/placements/new/"
    response = client_as(w.business).submit(
        url,
        form_data(
            w,
            monthly_wage="-100",
            start_date="01/01/2000",
            national_id="0792",
            birth_year="1800",
            full_name="",
        ),
    )
    page = response.content.decode()
    assert "The monthly wage cannot be negative." in page
    assert "outside the MoU&#x27;s term" in page
    assert "A national ID number has 12 digits" in page
    assert "The birth year must be between" in page
    assert "This field is required." in page
    assert not Placement.objects.exists()


def _pledge_minimum(w, minimum):
    w.job_pledge.min_monthly_wage = minimum
    w.job_pledge.save()


def test_a_wage_below_the_pledged_minimum_asks_for_a_confirmation(placements_world, client_as):
    w = placements_world
    _pledge_minimum(w, 5_000_000)
    url = f"/mous/{w.active_mou.pk}/placements/new/"
    browser = client_as(w.business)

    response = browser.submit(url, form_data(w, monthly_wage="650000"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "below the minimum of 5,000,000 VND pledged on line 1" in page
    assert 'value="650000"' in page  # what was typed is kept
    assert not Placement.objects.exists()

    response = browser.submit(url, form_data(w, monthly_wage="650000", low_wage_confirmed="on"))

    assert response.status_code == 302
    assert Placement.objects.get().monthly_wage == 650_000


def test_a_wage_at_the_pledged_minimum_is_recorded_at_once(placements_world, client_as):
    w = placements_world
    _pledge_minimum(w, 6_500_000)
    url = f"/mous/{w.active_mou.pk}/placements/new/"

    response = client_as(w.business).submit(url, form_data(w))

    assert response.status_code == 302
    assert Placement.objects.exists()


@pytest.mark.parametrize("page", ["/", "/placements/"])
def test_the_business_reaches_the_report_form_from_its_dashboard_and_placements(
    placements_world, client_as, page
):
    w = placements_world
    html = client_as(w.business).get(page).content.decode()
    assert f'href="/mous/{w.active_mou.pk}/placements/new/"' in html
    # The sent MoU takes no placements yet; the other partner's MoU is not theirs.
    assert f'href="/mous/{w.sent_mou.pk}/placements/new/"' not in html
    assert f'href="/mous/{w.quarry_mou.pk}/placements/new/"' not in html


def test_the_report_links_are_for_business_representatives(placements_world, client_as):
    html = client_as(placements_world.staff).get("/").content.decode()
    assert 'data-testid="report-placement-links"' not in html


def test_the_placement_list_shows_the_authority_beside_the_mou_number(placements_world, client_as):
    w = placements_world
    report(w)
    page = client_as(w.staff).get("/placements/").content.decode()
    assert (
        f"{w.active_mou.document_number}</a>"
        f'<span class="of-authority">{w.ben_luc.name}</span>' in page
    )
