"""The dashboard's work queues, per role, with outsiders: each count is what the user may
act on, nothing from another authority is counted, and each links to a list showing
exactly the counted items."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnerships.dashboard.selectors import work_queues
from partnerships.models import (
    Mou,
    MouState,
    PdfRevision,
    Review,
    ReviewKind,
    RevisionKind,
    Role,
    Signature,
    SignatureMethod,
    SignatureParty,
    SigningInvitation,
)
from partnerships.models.signing import token_digest
from partnerships.placements import services as placements
from partnerships.referrals import services as referrals
from tests.factories import bring_to, make_mou, make_user
from tests.factories.placements import person_details, report
from tests.factories.referrals import a_person, refer


def certified_by_authority(mou):
    revision = PdfRevision.objects.create(
        mou=mou,
        sequence=1,
        kind=RevisionKind.AUTHORITY_CERTIFICATION,
        pdf=b"%PDF-1.7 certified",
        sha256="a" * 64,
        previous_sha256="b" * 64,
        size=18,
    )
    Signature.objects.create(
        mou=mou,
        party=SignatureParty.AUTHORITY,
        method=SignatureMethod.CERTIFICATE,
        signer_name="Võ Minh Tâm",
        signed_at=timezone.now(),
        is_verified=True,
        revision=revision,
    )
    return mou


def invite(mou, *, expires_in: timedelta, token: str):
    contact = mou.partner_signatory
    return SigningInvitation.objects.create(
        mou=mou,
        contact=contact,
        email=contact.email,
        token_hash=token_digest(token),
        expires_at=timezone.now() + expires_in,
    )


def sent(authority, partner, number):
    return bring_to(make_mou(authority, partner, number=number), MouState.SENT)


@pytest.fixture
def queues_world(placements_world):
    w = placements_world
    today = timezone.localdate()
    # Bến Lức: no. 11 (sent, waiting for the authority) comes from placements_world.
    w.expiring = certified_by_authority(sent(w.ben_luc, w.garment, 20))
    invite(w.expiring, expires_in=timedelta(days=2), token="expiring")
    w.open = certified_by_authority(sent(w.ben_luc, w.garment, 21))
    invite(w.open, expires_in=timedelta(days=10), token="open")
    w.expired = certified_by_authority(sent(w.ben_luc, w.garment, 22))
    invite(w.expired, expires_in=timedelta(days=-1), token="expired")
    Mou.objects.filter(pk=w.active_mou.pk).update(mid_review_date=today + timedelta(days=10))
    reviewed = bring_to(make_mou(w.ben_luc, w.garment, number=23), MouState.ACTIVE)
    Mou.objects.filter(pk=reviewed.pk).update(
        mid_review_date=today - timedelta(days=5), final_review_date=today + timedelta(days=60)
    )
    Review.objects.create(
        mou=reviewed, kind=ReviewKind.MID_TERM, reviewed_on=today, assessment="met"
    )
    # Outsiders: Thạnh Lợi (same province), Kim Bảng (another province).
    w.outsider_sent = sent(w.thanh_loi, w.garment, 30)
    Mou.objects.filter(pk=w.quarry_mou.pk).update(mid_review_date=today + timedelta(days=5))
    # Placements: two reported and one confirmed at Bến Lức, one reported at Kim Bảng.
    report(w, person=person_details(w, national_id="079203000001"))
    report(w, person=person_details(w, national_id="079203000002"))
    confirmed = report(w, person=person_details(w, national_id="079203000003"))
    placements.confirm_placement(placement=confirmed, actor=w.staff)
    report(
        w,
        actor=w.other_business,
        person=person_details(w, national_id="079203000004"),
        pledge=w.quarry_mou.pledges.get(),
    )
    return w


def counts(user) -> dict[str, int]:
    return {queue.key: queue.count for queue in work_queues(user=user)}


def test_staff_count_their_authoritys_work_only(queues_world):
    assert counts(queues_world.staff) == {
        "awaiting_authority": 1,
        "invitation_open": 2,
        "invitation_expiring": 1,
        "placements_to_confirm": 2,
        "review_due": 1,
    }


def test_staff_of_another_authority_see_only_theirs(queues_world):
    assert counts(queues_world.other_staff) == {
        "awaiting_authority": 1,
        "invitation_open": 0,
        "invitation_expiring": 0,
        "placements_to_confirm": 0,
        "review_due": 0,
    }


def test_officials_see_the_reviews_due_in_their_province(queues_world):
    assert counts(queues_world.official) == {"review_due": 1}
    assert counts(queues_world.other_province_official) == {"review_due": 1}


def test_administrators_see_everything(queues_world):
    assert counts(queues_world.admin) == {
        "awaiting_authority": 2,
        "invitation_open": 2,
        "invitation_expiring": 1,
        "placements_to_confirm": 3,
        "review_due": 2,
    }


def test_business_representatives_count_the_referrals_waiting_for_them(queues_world, client_as):
    w = queues_world
    assert counts(w.business) == {"referrals_to_answer": 0}
    first, second = refer(w), refer(w)
    kim_bang_staff = make_user("kim_bang_staff", Role.AUTHORITY_STAFF, authority=w.kim_bang)
    refer(w, a_person(w.kim_bang), pledge=w.quarry_mou.pledges.get(), actor=kim_bang_staff)
    referrals.record_no_show(referral=second, actor=w.business, on=w.today)

    assert counts(w.business) == {"referrals_to_answer": 1}
    # The quarry counts its own referral only, none of the garment company's.
    assert counts(w.other_business) == {"referrals_to_answer": 1}
    queue = work_queues(user=w.business)[0]
    listed = client_as(w.business).get(queue.url).context["page"]
    assert list(listed) == [first]


def test_users_without_a_role_have_no_queues(queues_world):
    assert counts(queues_world.no_role) == {}


@pytest.mark.parametrize("role", ["staff", "other_staff", "official", "admin"])
def test_each_count_links_to_a_list_of_exactly_those_items(queues_world, client_as, role):
    user = getattr(queues_world, role)
    browser = client_as(user)
    page = browser.get(reverse("dashboard")).content.decode()
    for queue in work_queues(user=user):
        assert f'href="{queue.url.replace("&", "&amp;")}"' in page
        response = browser.get(queue.url)
        assert response.status_code == 200
        if queue.key in ("placements_to_confirm", "identity_conflicts"):
            listed = response.context["page"].paginator.count
        else:
            listed = len(response.context["table"].rows)
        assert listed == queue.count, queue.key


def test_the_counts_take_the_same_queries_however_much_there_is(queues_world, django_user_model):
    def queries_for(user_pk):
        user = django_user_model.objects.get(pk=user_pk)  # nothing cached on it
        with CaptureQueriesContext(connection) as captured:
            work_queues(user=user)
        return len(captured)

    before = queries_for(queues_world.staff.pk)
    for number in range(40, 46):
        mou = certified_by_authority(sent(queues_world.ben_luc, queues_world.garment, number))
        invite(mou, expires_in=timedelta(days=1), token=f"more-{number}")
        report(
            queues_world,
            person=person_details(queues_world, national_id=f"0792030001{number}"),
        )
    assert queries_for(queues_world.staff.pk) == before <= 6
    assert counts(queues_world.staff)["invitation_expiring"] == 7
