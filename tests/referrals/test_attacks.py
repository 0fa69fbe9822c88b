"""Attacks on referrals that the page tests do not make: a referral whose time ran out
before the sweeper expired it, a hire recorded twice, another business's ids, and the
list's filter read by an outsider."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from partnerships.models import AuditEvent, ContractType, Placement, Referral, ReferralStatus
from tests.factories import dmy
from tests.factories.referrals import CONTACT, PERSON_NAME, refer

pytestmark = pytest.mark.django_db


def detail(referral) -> str:
    return reverse("referral_detail", args=[referral.pk])


def outcome(referral, name: str) -> str:
    return reverse("referral_outcome", args=[referral.pk, name])


def lapsed(w):
    """A referral whose expiry day has passed, not yet expired by the sweeper (it runs every
    few minutes, or from cron: the status lags the calendar)."""
    referral = refer(w, today=w.today - timedelta(days=settings.REFERRAL_EXPIRY_DAYS + 1))
    assert referral.expires_on < w.today and referral.status == ReferralStatus.REFERRED
    return referral


def test_once_a_referral_lapsed_the_business_no_longer_sees_the_name(placements_world, client_as):
    w = placements_world
    referral = lapsed(w)

    page = client_as(w.business).get(detail(referral)).content.decode()

    assert PERSON_NAME not in page and CONTACT not in page
    assert 'data-testid="record-outcome"' not in page
    assert not AuditEvent.objects.filter(action="referral.identity_viewed").exists()


def test_on_its_last_day_the_referral_still_shows_the_name(placements_world, client_as):
    w = placements_world
    referral = refer(w, today=w.today - timedelta(days=settings.REFERRAL_EXPIRY_DAYS))
    assert referral.expires_on == w.today

    page = client_as(w.business).get(detail(referral)).content.decode()

    assert PERSON_NAME in page and 'data-testid="record-outcome"' in page


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("interviewed", {"interviewed_on": "today"}),
        ("hired", {"start_date": "today", "contract_type": ContractType.SEASONAL}),
        ("not-hired", {"reason": "skills", "decided_on": "today"}),
        ("no-show", {"on": "today"}),
    ],
)
def test_no_outcome_is_recorded_once_the_referral_lapsed(placements_world, client_as, name, data):
    w = placements_world
    referral = lapsed(w)
    data = {key: dmy(w.today) if value == "today" else value for key, value in data.items()}

    response = client_as(w.business).post_by_hand(outcome(referral, name), data, follow=True)

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REFERRED
    assert not Placement.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith=f"referral.{name[:5]}").exists()
    assert "no longer in progress" in response.content.decode()


def test_a_hire_posted_twice_makes_one_placement(placements_world, client_as):
    w = placements_world
    referral = refer(w)
    browser = client_as(w.business)
    data = {"start_date": dmy(w.today), "contract_type": ContractType.SEASONAL}

    first = browser.post_by_hand(outcome(referral, "hired"), data)
    second = browser.post_by_hand(outcome(referral, "hired"), data, follow=True)

    assert first.status_code == 302
    assert "no longer in progress" in second.content.decode()
    assert Placement.objects.count() == 1
    assert AuditEvent.objects.filter(action="referral.hired").count() == 1


def test_another_business_cannot_reach_a_referral_through_its_own_url(placements_world, client_as):
    """The other business has a referral of its own; swapping the id in its URLs reaches
    nothing of Bến Lức's business, and the 404 page names nobody."""
    w = placements_world
    referral = refer(w)
    browser = client_as(w.other_business)

    for url in (detail(referral), outcome(referral, "no-show")):
        response = (
            browser.get(url)
            if url == detail(referral)
            else browser.post_by_hand(url, {"on": dmy(w.today)})
        )
        assert response.status_code in (404, 405)
        assert PERSON_NAME not in response.content.decode()
        assert CONTACT not in response.content.decode()
    assert Referral.objects.get().status == ReferralStatus.REFERRED


@pytest.mark.parametrize("who", ["other_business", "other_staff"])
def test_the_status_filter_counts_nothing_of_others(placements_world, client_as, who):
    w = placements_world
    refer(w)

    for status in ("", "in_progress", ReferralStatus.REFERRED, "x' OR 1=1 --"):
        response = client_as(getattr(w, who)).get(reverse("referral_list"), {"status": status})
        assert response.status_code == 200
        assert list(response.context["page"]) == []


def test_nothing_personal_goes_into_the_audit_details(placements_world, client_as):
    w = placements_world
    referral = refer(w)
    browser = client_as(w.business)
    browser.get(detail(referral))
    browser.post_by_hand(
        outcome(referral, "hired"),
        {"start_date": dmy(w.today), "contract_type": ContractType.SEASONAL},
    )

    details = " ".join(str(e.details) for e in AuditEvent.objects.all())
    assert PERSON_NAME not in details and CONTACT not in details
    assert CONTACT.replace(" ", "") not in details


@pytest.mark.parametrize("wage", ["1" + "0" * 20, str(2**63)])
def test_a_wage_too_large_for_the_column_is_a_message_not_a_crash(
    placements_world, client_as, wage
):
    w = placements_world
    referral = refer(w)

    response = client_as(w.business).post_by_hand(
        outcome(referral, "hired"),
        {"start_date": dmy(w.today), "contract_type": ContractType.SEASONAL, "monthly_wage": wage},
    )

    assert response.status_code == 400
    assert "monthly_wage" in response.context["hire_form"].errors
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REFERRED
    assert not Placement.objects.exists()


def test_a_hire_the_authority_rejected_no_longer_shows_the_name(placements_world, client_as):
    """A business that claims a hire keeps the name and contact only while that hire
    stands: once staff reject the placement (it did not happen), the name is gone."""
    from partnerships.placements import services as placements
    from partnerships.referrals import services as referrals

    w = placements_world
    referral = referrals.record_hire(
        referral=refer(w), actor=w.business, start_date=w.today, contract_type="seasonal"
    )
    assert PERSON_NAME in client_as(w.business).get(detail(referral)).content.decode()

    placements.reject_placement(placement=referral.placement, actor=w.staff, reason="Không có")

    page = client_as(w.business).get(detail(referral)).content.decode()
    assert PERSON_NAME not in page and CONTACT not in page


def test_the_referral_holding_the_last_place_is_hired_and_the_line_stays_full(
    placements_world, client_as
):
    """The referral holds the line's last place: its hire takes that place (not one more),
    and the line is still full for the next referral."""
    from partnerships.models import Pledge
    from partnerships.placements.open_places import open_places_on
    from partnerships.referrals import services as referrals

    w = placements_world
    Pledge.objects.filter(pk=w.job_pledge.pk).update(quantity=1)
    referral = refer(w)
    assert open_places_on(w.job_pledge) == 0

    response = client_as(w.business).post_by_hand(
        outcome(referral, "hired"),
        {"start_date": dmy(w.today), "contract_type": ContractType.SEASONAL},
    )

    assert response.status_code == 302
    assert open_places_on(w.job_pledge) == 0
    with pytest.raises(referrals.ReferralError) as refused:
        refer(w)
    assert refused.value.code == "line_full"


def test_an_outcome_refused_on_the_page_that_shows_the_name_is_not_cached(
    placements_world, client_as
):
    """The 400 page of a refused outcome is the referral's page, name and contact included:
    like that page, it must not be kept by a browser or a proxy."""
    w = placements_world
    referral = refer(w)

    response = client_as(w.business).post_by_hand(
        outcome(referral, "hired"),
        {"start_date": dmy(w.today - timedelta(days=3)), "contract_type": ContractType.SEASONAL},
    )

    assert response.status_code == 400
    assert PERSON_NAME in response.content.decode()
    assert "no-store" in response.get("Cache-Control", "")
