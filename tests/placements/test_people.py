"""A person's name is seen only by staff of the authority that manages them, each look is
audited, and withdrawing consent erases what identifies them while counts stay."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from partnerships.core.privacy import national_id_hash
from partnerships.models import AuditEvent, Person, Placement
from partnerships.placements import services as placements
from partnerships.placements.delivery import delivery_annotations
from partnerships.placements.services import PlacementError
from tests.factories.placements import NATIONAL_ID, person_details, report

NAME = "Nguyễn Văn An"


@pytest.fixture
def person(placements_world):
    w = placements_world
    placements.confirm_placement(placement=report(w), actor=w.staff)
    return Person.objects.get()


def identity_views():
    return AuditEvent.objects.filter(action="person.identity_viewed")


# --- Who sees the name ---


def test_staff_of_the_owning_authority_see_the_name_and_it_is_audited(
    placements_world, person, client_as
):
    w = placements_world
    response = client_as(w.staff).get(f"/people/{person.pk}/")
    assert response.status_code == 200
    assert NAME in response.content.decode()
    event = identity_views().get()
    assert (event.actor, event.person, event.mou) == (w.staff, person, None)
    assert NAME not in repr(event.details) + event.note
    client_as(w.staff).get(f"/people/{person.pk}/")
    assert identity_views().count() == 2  # every look, not the first only


@pytest.mark.parametrize(
    "actor", ["other_staff", "official", "other_province_official", "business", "admin", "no_role"]
)
def test_nobody_else_sees_the_name(placements_world, person, client_as, actor):
    w = placements_world
    user = getattr(w, actor)
    response = client_as(user).get(f"/people/{person.pk}/")
    assert response.status_code in (403, 404)
    assert NAME not in response.content.decode()
    with pytest.raises(PermissionDenied):
        placements.reveal_identity(person=person, actor=user)
    assert not identity_views().exists()


def test_the_successor_of_a_dissolved_authority_sees_its_people(placements_world, person):
    w = placements_world
    Person.objects.filter(pk=person.pk).update(owning_authority=w.ben_luc_district)
    person.refresh_from_db()
    assert placements.reveal_identity(person=person, actor=w.staff) == NAME
    with pytest.raises(PermissionDenied):
        placements.reveal_identity(person=person, actor=w.other_staff)


def test_a_province_level_staff_member_does_not_see_commune_names(placements_world, person):
    from tests.factories import make_user

    w = placements_world
    province_staff = make_user("province_staff", "authority_staff", authority=w.long_an)
    with pytest.raises(PermissionDenied):
        placements.reveal_identity(person=person, actor=province_staff)


def test_lists_never_show_names(placements_world, person, client_as):
    w = placements_world
    for user, url in [
        (w.staff, "/people/"),
        (w.staff, "/placements/"),
        (w.business, "/placements/"),
        (w.admin, "/placements/"),
        (w.official, "/placements/"),
        (w.staff, f"/mous/{w.active_mou.pk}/placements/"),
        (w.staff, f"/placements/{person.placements.get().pk}/"),
    ]:
        page = client_as(user).get(url).content.decode()
        assert NAME not in page and NATIONAL_ID not in page, url
    assert not identity_views().exists()


def test_the_people_list_is_for_staff_who_manage_people(placements_world, person, client_as):
    w = placements_world
    assert client_as(w.staff).get("/people/").status_code == 200
    for actor in ("official", "business", "admin"):
        assert client_as(getattr(w, actor)).get("/people/").status_code == 403
    page = client_as(w.other_staff).get("/people/")
    assert page.status_code == 200 and f"/people/{person.pk}/" not in page.content.decode()


def test_staff_find_a_person_by_id_number(placements_world, person, client_as):
    w = placements_world
    response = client_as(w.staff).submit("/people/", {"national_id": "079 203 001 234"})
    assert response["Location"] == f"/people/{person.pk}/"
    assert AuditEvent.objects.get(action="person.looked_up").person == person
    response = client_as(w.other_staff).submit("/people/", {"national_id": NATIONAL_ID})
    assert response.status_code == 200
    assert "Nobody with this number is among the people you manage." in response.content.decode()
    assert AuditEvent.objects.filter(action="person.looked_up", person=None).count() == 1


# --- Withdrawing consent ---


def test_withdrawing_consent_erases_identity_but_keeps_the_counts(placements_world, person):
    w = placements_world
    before = Placement.objects.aggregate(**delivery_annotations())
    placements.withdraw_consent(person=person, actor=w.staff)
    person.refresh_from_db()
    assert person.id_hash is None
    assert person.full_name_encrypted == ""
    assert person.birth_year is None and person.commune is None
    assert (person.gender, person.target_group, person.birth_decade) == (
        "male",
        w.completed_prison,
        1990,
    )
    assert person.consent_withdrawn_on == w.today
    assert Placement.objects.filter(person=person).count() == 1
    assert Placement.objects.aggregate(**delivery_annotations()) == before
    event = AuditEvent.objects.get(action="person.consent_withdrawn")
    assert (event.actor, event.person) == (w.staff, person)
    assert not Person.objects.filter(id_hash=national_id_hash(NATIONAL_ID)).exists()


def test_a_withdrawn_person_shows_no_name_and_cannot_be_withdrawn_twice(
    placements_world, person, client_as
):
    w = placements_world
    placements.withdraw_consent(person=person, actor=w.staff)
    page = client_as(w.staff).get(f"/people/{person.pk}/").content.decode()
    assert NAME not in page and "Anonymised: consent withdrawn" in page
    assert not identity_views().exists()
    with pytest.raises(PlacementError):
        placements.withdraw_consent(person=person, actor=w.staff)


def test_the_database_refuses_identity_on_a_withdrawn_person(placements_world, person):
    w = placements_world
    placements.withdraw_consent(person=person, actor=w.staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.filter(pk=person.pk).update(full_name_encrypted="gAAAA...")


def test_reported_again_after_withdrawal_is_a_new_record(placements_world, person):
    w = placements_world
    placements.withdraw_consent(person=person, actor=w.staff)
    again = report(w, person=person_details(w), pledge=w.training_pledge)
    assert again.person != person
    assert Person.objects.count() == 2


@pytest.mark.parametrize("actor", ["other_staff", "business", "official", "admin"])
def test_only_staff_who_manage_the_person_withdraw(placements_world, person, client_as, actor):
    w = placements_world
    url = f"/people/{person.pk}/withdraw-consent/"
    response = client_as(getattr(w, actor)).post_by_hand(url, {"confirm": "yes"})
    assert response.status_code == 404
    person.refresh_from_db()
    assert not person.is_anonymised


def test_staff_withdraw_from_the_persons_page(placements_world, person, client_as):
    w = placements_world
    url = f"/people/{person.pk}/withdraw-consent/"
    page = f"/people/{person.pk}/"
    client_as(w.staff).submit(page, action=url)  # the box not ticked: nothing happens
    person.refresh_from_db()
    assert not person.is_anonymised
    response = client_as(w.staff).submit(page, {"confirm": "yes"}, action=url)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.is_anonymised
