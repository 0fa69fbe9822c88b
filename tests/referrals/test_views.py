"""The referral pages, per role, with an outsider of each kind: staff of another authority,
another business, an official, someone without a role, and nobody logged in."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerships.models import (
    AuditEvent,
    Confirmation,
    ContractType,
    Placement,
    Referral,
    ReferralStatus,
)
from partnerships.placements import services as placements
from partnerships.referrals import services as referrals
from tests.factories import dmy
from tests.factories.referrals import CONTACT, PERSON_NAME, a_person, refer

pytestmark = pytest.mark.django_db

LIST = reverse("referral_list")


def detail(referral) -> str:
    return reverse("referral_detail", args=[referral.pk])


def outcome(referral, name: str) -> str:
    return reverse("referral_outcome", args=[referral.pk, name])


def refer_page(person) -> str:
    return reverse("person_refer", args=[person.pk])


# --- Referring from the person's page ---


def test_staff_refer_a_person_from_their_page(placements_world, client_as):
    w = placements_world
    person = a_person(w.ben_luc)
    browser = client_as(w.staff)
    person_page = browser.get(reverse("person_detail", args=[person.pk])).content.decode()
    assert refer_page(person) in person_page

    response = browser.submit(
        refer_page(person),
        {
            "pledge": w.job_pledge.pk,
            "contact": CONTACT,
            "share_consent_on": dmy(w.today),
            "share_consent": "on",
        },
        follow=True,
    )

    referral = Referral.objects.get()
    assert response.redirect_chain[-1][0] == detail(referral)
    assert (referral.person, referral.pledge) == (person, w.job_pledge)
    assert "Referred." in response.content.decode()


def test_the_form_offers_only_open_lines_of_the_persons_group(placements_world, client_as):
    w = placements_world
    person = a_person(w.ben_luc)
    offered = client_as(w.staff).get(refer_page(person)).context["form"].fields["pledge"]
    # The job line names completed_prison (the person's); the training line names none; the
    # quarry's MoU is not Bến Lức's; the sent MoU is not in force.
    assert set(offered.queryset) == {w.job_pledge, w.training_pledge}

    post_rehab = a_person(w.ben_luc, group="post_rehab")
    offered = client_as(w.staff).get(refer_page(post_rehab)).context["form"].fields["pledge"]
    assert set(offered.queryset) == {w.training_pledge}


def test_without_the_consent_box_nothing_is_saved_and_the_form_says_why(
    placements_world, client_as
):
    w = placements_world
    person = a_person(w.ben_luc)

    response = client_as(w.staff).submit(
        refer_page(person),
        {"pledge": w.job_pledge.pk, "contact": CONTACT, "share_consent_on": dmy(w.today)},
    )

    assert response.status_code == 200
    assert "Tick the box once the person has agreed" in response.content.decode()
    assert not Referral.objects.exists()


def test_a_full_line_is_refused_with_a_message(placements_world, client_as):
    w = placements_world
    w.job_pledge.quantity = 1
    w.job_pledge.save(update_fields=["quantity"])
    person = a_person(w.ben_luc)
    browser = client_as(w.staff)
    offered = browser.get(refer_page(person)).context["form"].fields["pledge"].queryset
    assert w.job_pledge in offered  # offered while a place is open
    refer(w)  # someone else takes it meanwhile

    response = browser.post_by_hand(
        refer_page(person),
        {
            "pledge": w.job_pledge.pk,
            "contact": CONTACT,
            "share_consent_on": dmy(w.today),
            "share_consent": "on",
        },
    )

    assert response.status_code == 200
    # No longer among the choices: the form says so and nothing more is saved.
    assert response.context["form"].errors["pledge"]
    assert Referral.objects.count() == 1


@pytest.mark.parametrize("who", ["other_staff", "official", "business", "admin"])
def test_outsiders_cannot_open_the_refer_page(placements_world, client_as, who):
    w = placements_world
    person = a_person(w.ben_luc)
    browser = client_as(getattr(w, who))
    assert browser.get(refer_page(person)).status_code == 404
    assert browser.post_by_hand(refer_page(person), {}).status_code == 404
    assert not Referral.objects.exists()


def test_without_a_role_or_a_login_the_pages_are_closed(placements_world, client_as):
    w = placements_world
    referral = refer(w)
    for url in [refer_page(referral.person), LIST, detail(referral)]:
        assert client_as(w.no_role).get(url).status_code == 403
        assert client_as(None).get(url).status_code == 302
    response = client_as(None).post_by_hand(outcome(referral, "interviewed"), {})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REFERRED


# --- The list and the counts ---


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("staff", True),
        ("business", True),
        ("admin", True),
        ("other_staff", False),
        ("other_business", False),
    ],
)
def test_the_list_shows_each_user_only_their_referrals_and_no_names(
    placements_world, client_as, who, sees
):
    w = placements_world
    referral = refer(w)

    response = client_as(getattr(w, who)).get(LIST)

    assert response.status_code == 200
    assert (referral in list(response.context["page"])) is sees
    assert PERSON_NAME not in response.content.decode()


def test_officials_see_counts_only(placements_world, client_as):
    w = placements_world
    referral = refer(w)
    refer(w)
    referrals.record_no_show(referral=referral, actor=w.business, on=w.today)

    response = client_as(w.official).get(LIST)

    assert response.status_code == 200
    counts = dict(response.context["counts"])
    assert counts[ReferralStatus.REFERRED.label] == 1
    assert counts[ReferralStatus.NO_SHOW.label] == 1
    page = response.content.decode()
    assert detail(referral) not in page
    assert PERSON_NAME not in page
    assert client_as(w.official).get(detail(referral)).status_code == 404
    # Another province's official counts nothing of Long An's.
    other = dict(client_as(w.other_province_official).get(LIST).context["counts"])
    assert sum(other.values()) == 0


# --- One referral: who sees the name ---


def test_the_business_sees_the_name_and_contact_and_the_look_is_audited(
    placements_world, client_as
):
    w = placements_world
    referral = refer(w)

    response = client_as(w.business).get(detail(referral))

    page = response.content.decode()
    assert PERSON_NAME in page and CONTACT in page
    assert response["Cache-Control"].startswith("max-age=0")
    event = AuditEvent.objects.get(action="referral.identity_viewed")
    assert (event.actor, event.person_id) == (w.business, referral.person_id)


def test_staff_see_the_referral_without_the_name_and_a_link_to_the_person(
    placements_world, client_as
):
    w = placements_world
    referral = refer(w)

    page = client_as(w.staff).get(detail(referral)).content.decode()

    assert PERSON_NAME not in page
    assert reverse("person_detail", args=[referral.person_id]) in page
    assert not AuditEvent.objects.filter(action="referral.identity_viewed").exists()


@pytest.mark.parametrize("who", ["other_business", "other_staff", "official"])
def test_outsiders_get_not_found_for_a_referral(placements_world, client_as, who):
    w = placements_world
    referral = refer(w)
    assert client_as(getattr(w, who)).get(detail(referral)).status_code == 404


def test_after_consent_withdrawal_the_business_no_longer_sees_the_name(placements_world, client_as):
    w = placements_world
    referral = refer(w)
    placements.withdraw_consent(person=referral.person, actor=w.staff)

    response = client_as(w.business).get(detail(referral))

    page = response.content.decode()
    assert response.status_code == 200
    assert PERSON_NAME not in page and CONTACT not in page
    assert str(ReferralStatus.ENDED.label) in page
    assert 'data-testid="record-outcome"' not in page


# --- Recording the outcome ---


def test_the_business_records_an_interview_then_a_hire(placements_world, client_as):
    w = placements_world
    referral = refer(w)
    browser = client_as(w.business)

    browser.submit(
        detail(referral),
        {"interviewed_on": dmy(w.today)},
        action=outcome(referral, "interviewed"),
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.INTERVIEWED

    response = browser.submit(
        detail(referral),
        {
            "start_date": dmy(w.today),
            "contract_type": ContractType.LABOUR_12_MONTHS_OR_MORE,
            "monthly_wage": "7000000",
            "occupation": "",
        },
        action=outcome(referral, "hired"),
        follow=True,
    )

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.HIRED
    assert referral.placement.confirmation == Confirmation.REPORTED
    assert "awaits confirmation" in response.content.decode()
    # Staff of the MoU's authority find it in their queue to confirm.
    queue = client_as(w.staff).get(reverse("placement_list"), {"queue": "to_confirm"})
    assert referral.placement in list(queue.context["page"])


def test_a_hire_dated_before_the_referral_is_refused_on_the_page(placements_world, client_as):
    w = placements_world
    referral = refer(w)

    response = client_as(w.business).submit(
        detail(referral),
        {
            "start_date": dmy(w.today - timedelta(days=3)),
            "contract_type": ContractType.SEASONAL,
        },
        action=outcome(referral, "hired"),
    )

    assert response.status_code == 400
    assert "before the referral" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REFERRED
    assert not Placement.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("other_business", 404), ("staff", 403), ("official", 404), ("other_staff", 404)],
)
def test_an_outcome_from_anyone_but_the_business_changes_nothing(
    placements_world, client_as, who, status
):
    w = placements_world
    referral = refer(w)
    events = AuditEvent.objects.count()

    for name, data in [
        ("interviewed", {"interviewed_on": dmy(w.today)}),
        ("hired", {"start_date": dmy(w.today), "contract_type": ContractType.SEASONAL}),
        ("not-hired", {"reason": "skills", "decided_on": dmy(w.today)}),
        ("no-show", {"on": dmy(w.today)}),
    ]:
        response = client_as(getattr(w, who)).post_by_hand(outcome(referral, name), data)
        assert response.status_code == status

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REFERRED
    assert AuditEvent.objects.count() == events
    assert not Placement.objects.exists()


def test_an_unknown_outcome_is_refused(placements_world, client_as):
    w = placements_world
    referral = refer(w)
    response = client_as(w.business).post_by_hand(outcome(referral, "promoted"), {})
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["staff", "business"])
def test_the_list_takes_the_same_queries_however_many_referrals(placements_world, client_as, who):
    w = placements_world
    browser = client_as(getattr(w, who))
    refer(w)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(LIST).status_code == 200
        return len(captured)

    before = queries()
    for _ in range(3):
        refer(w)
    assert queries() == before


def test_an_outcome_on_a_referral_that_ended_meanwhile_says_so_on_top(placements_world, client_as):
    w = placements_world
    referral = refer(w)
    browser = client_as(w.business)
    browser.get(detail(referral))  # the page, opened while still in progress
    referrals.record_no_show(referral=referral, actor=w.business, on=w.today)

    response = browser.post_by_hand(
        outcome(referral, "interviewed"), {"interviewed_on": dmy(w.today)}, follow=True
    )

    assert "no longer in progress" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.NO_SHOW
