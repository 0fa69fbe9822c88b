"""The per-event report on a hand-computed case: attendance by group and gender with its
totals, and the referrals made there counted by outcome (created directly: the counting is
under test here, not the referral services)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerships.core.privacy import encrypt_name, national_id_hash
from partnerships.events import selectors, services
from partnerships.models import (
    Confirmation,
    ConsentScope,
    ContractType,
    Gender,
    Person,
    Placement,
    Referral,
    ReferralStatus,
)

NAME = "Trần Văn Bí Mật"


def person(w, number: int) -> Person:
    return Person.objects.create(
        id_hash=national_id_hash(f"0792030{number:05d}"),
        full_name_encrypted=encrypt_name(NAME),
        target_group=w.completed_prison,
        gender=Gender.MALE,
        birth_year=1990,
        owning_authority=w.ben_luc,
        consent_given_on=w.held_on,
        consent_scope=ConsentScope.PLACEMENT,
    )


def referral(w, number: int, status: str, *, pledge=None, event=None, confirmation=None):
    someone = person(w, number)
    placement = None
    if confirmation is not None:
        placement = Placement.objects.create(
            person=someone,
            pledge=pledge or w.job_pledge,
            kind=(pledge or w.job_pledge).kind,
            start_date=w.held_on + timedelta(days=5),
            contract_type=ContractType.LABOUR_12_MONTHS_OR_MORE,
            confirmation=confirmation,
        )
    return Referral.objects.create(
        person=someone,
        pledge=pledge or w.job_pledge,
        share_consent_on=w.held_on,
        referred_on=w.held_on,
        expires_on=w.held_on + timedelta(days=30),
        status=status,
        not_hired_reason="skills" if status == ReferralStatus.NOT_HIRED else "",
        placement=placement,
        event=event,
    )


@pytest.fixture
def reported_event(events_world, details):
    w = events_world
    g = w.groups
    event = services.create_event(
        actor=w.staff,
        details=details(
            attendance={
                (g["completed_prison"].pk, Gender.FEMALE): 2,
                (g["completed_prison"].pk, Gender.MALE): 10,
                (g["post_rehab"].pk, Gender.FEMALE): 1,
                (g["post_rehab"].pk, Gender.MALE): 5,
                (g["amnesty"].pk, Gender.MALE): 3,
                (g["drug_user"].pk, Gender.FEMALE): 0,
            },
            partners=[w.quarry],
        ),
    )
    made_there = [
        (ReferralStatus.REFERRED, None, None),
        (ReferralStatus.REFERRED, None, None),
        (ReferralStatus.INTERVIEWED, None, None),
        (ReferralStatus.HIRED, None, Confirmation.CONFIRMED),
        (ReferralStatus.HIRED, None, Confirmation.REPORTED),
        (ReferralStatus.NOT_HIRED, None, None),
        (ReferralStatus.NO_SHOW, None, None),
        # To the quarry's line: counted for staff, not for the garment factory.
        (ReferralStatus.HIRED, w.quarry_mou.pledges.get(), Confirmation.CONFIRMED),
    ]
    for number, (status, pledge, confirmation) in enumerate(made_there):
        referral(w, number, status, pledge=pledge, event=event, confirmation=confirmation)
    # Made elsewhere: never counted for this event.
    referral(w, 100, ReferralStatus.HIRED, confirmation=Confirmation.CONFIRMED)
    referral(w, 101, ReferralStatus.EXPIRED)
    return event


def test_attendance_by_group_and_gender_adds_up(events_world, reported_event):
    report = selectors.event_report(user=events_world.staff, event=reported_event)
    rows = {row.target_group.code: (row.female, row.male, row.total) for row in report.attendance}
    assert rows["completed_prison"] == (2, 10, 12)
    assert rows["post_rehab"] == (1, 5, 6)
    assert rows["amnesty"] == (0, 3, 3)
    # Every group in use has its row, with nobody counted.
    assert rows["drug_user"] == (0, 0, 0)
    assert (report.female, report.male, report.total) == (3, 18, 21)


def test_referrals_made_there_are_counted_by_outcome(events_world, reported_event):
    report = selectors.event_report(user=events_world.staff, event=reported_event)
    outcomes = {outcome.status: outcome.count for outcome in report.outcomes}
    assert outcomes == {
        "referred": 2,
        "interviewed": 1,
        "hired": 3,
        "not_hired": 1,
        "no_show": 1,
        "expired": 0,
        "ended": 0,
    }
    assert report.referred == 8
    assert report.hired == 3
    assert report.placements_confirmed == 2
    assert not report.referrals_of_own_business_only


def test_a_business_counts_only_the_referrals_to_its_own_lines(events_world, reported_event):
    report = selectors.event_report(user=events_world.business, event=reported_event)
    assert report.referred == 7
    assert report.hired == 2
    assert report.placements_confirmed == 1
    assert report.referrals_of_own_business_only
    quarry = selectors.event_report(user=events_world.other_business, event=reported_event)
    assert (quarry.referred, quarry.hired, quarry.placements_confirmed) == (1, 1, 1)


def test_the_report_page_shows_the_figures_and_no_name(events_world, reported_event, client_as):
    page = client_as(events_world.official).get(reported_event.get_absolute_url())
    html = page.content.decode()
    assert 'data-testid="attendance-total">21<' in html
    assert 'data-testid="female-total">3<' in html
    assert 'data-testid="male-total">18<' in html
    assert 'data-testid="referred">8<' in html
    assert 'data-testid="placements-confirmed">2<' in html
    assert NAME not in html


def test_the_list_counts_each_figure_once(events_world, reported_event):
    listed = selectors.event_list(user=events_world.staff).get(pk=reported_event.pk)
    assert (listed.people, listed.businesses, listed.mous_signed, listed.referrals_made) == (
        21,
        2,
        1,
        8,
    )


def test_the_list_counts_for_a_business_the_referrals_its_report_counts(
    events_world, reported_event
):
    for business, referred in [(events_world.business, 7), (events_world.other_business, 1)]:
        listed = selectors.event_list(user=business).get(pk=reported_event.pk)
        assert listed.referrals_made == referred


def test_the_list_page_takes_the_same_queries_for_one_event_or_many(
    events_world, reported_event, details, client_as
):
    client = client_as(events_world.staff)
    client.get(reverse("event_list"))  # warm the session
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("event_list"))
    for number in range(5):
        services.create_event(actor=events_world.staff, details=details(title=f"Phiên {number}"))
    with CaptureQueriesContext(connection) as six:
        client.get(reverse("event_list"))
    assert len(six) == len(one)
