"""seed_demo: demonstration data in every state, and nothing new the second time; its signed,
active, reviewed and terminated MoUs signed for real, with a DEMO PKI made at the first run,
so a newcomer sees the whole flow.

Seeding renders a real PDF for every MoU and signs with pyHanko, so the command runs twice
in the whole session, not per test: the `seeded_demo` fixture keeps both runs inside one
transaction that it rolls back after this module, and each test reads the result inside
its own savepoint. Every test of the demo data belongs here, on that one seeding."""

import itertools
import re
from dataclasses import dataclass
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from pyhanko.keys import load_cert_from_pemder

from partnerships.authorities.permissions import visible_mous
from partnerships.models import (
    AuditEvent,
    Authority,
    Confirmation,
    Mou,
    MouState,
    Partner,
    PdfRevision,
    Person,
    Placement,
    PlacementStatus,
    PledgeKind,
    Signature,
)
from partnerships.signing.demo_pki import ROOT_NAME
from partnerships.signing.setup import demo_setup


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models = [*apps.get_app_config("partnerships").get_models(), User, Group]
    return {model._meta.label: model.objects.count() for model in models}


@dataclass
class SeedRuns:
    first_output: str
    counts_after_first: dict[str, int]
    second_output: str
    counts_after_second: dict[str, int]
    revisions_after_first: int


@pytest.fixture(scope="module")
def seeded_demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        first_output = seed()
        after_first = row_counts()
        revisions_after_first = PdfRevision.objects.count()
        second_output = seed()
        yield SeedRuns(
            first_output, after_first, second_output, row_counts(), revisions_after_first
        )
        transaction.set_rollback(True)


def test_it_creates_mous_in_every_state(seeded_demo, db):
    assert set(Mou.objects.values_list("state", flat=True)) == set(MouState.values)


def test_running_it_twice_creates_nothing_new(seeded_demo, db):
    assert seeded_demo.counts_after_second == seeded_demo.counts_after_first
    assert seeded_demo.counts_after_first["partnerships.Mou"] >= len(MouState.values)
    assert "(0 new MoUs," in seeded_demo.second_output
    assert "password unchanged" in seeded_demo.second_output
    assert "password unchanged" not in seeded_demo.first_output


def test_it_prints_each_new_users_password_once_and_it_works(seeded_demo, db):
    for user in User.objects.all():
        pattern = rf"^  {user.username} \(.*\): password (\S+)$"
        printed = re.findall(pattern, seeded_demo.first_output, re.M)
        assert len(printed) == 1, user.username
        assert user.check_password(printed[0])
        assert not re.findall(pattern, seeded_demo.second_output, re.M)


def test_every_mou_went_through_the_lifecycle_and_left_a_trail(seeded_demo, db):
    for mou in Mou.objects.all():
        events = [event for event in mou.audit_events.order_by("id") if event.to_state]
        assert events[0].action == "mou.created"
        assert events[-1].to_state == mou.state
        for earlier, later in itertools.pairwise(events):
            assert later.from_state == earlier.to_state


def test_it_builds_the_reformed_authorities_and_the_demo_partners(seeded_demo, db):
    dissolved = Authority.objects.filter(is_dissolved=True)
    assert dissolved.exists()
    assert all(authority.successor_id for authority in dissolved)
    names = " ".join(Partner.objects.values_list("name", flat=True)).lower()
    assert "đá" in names
    assert "may" in names


def test_the_demo_staff_see_the_dissolved_districts_mous(seeded_demo, db):
    staff = User.objects.get(username="demo_staff")
    district = Authority.objects.get(name="UBND huyện Bến Lức")
    assert district.mous.exists()
    assert set(district.mous.all()) <= set(visible_mous(staff))


def test_every_signed_demo_mou_carries_both_real_signatures(seeded_demo, db):
    setup = demo_setup(settings.DEMO_PKI_DIR)
    signed = Mou.objects.filter(state__in=MouState.SIGNED_ONCE)
    assert signed.count() >= 4
    for mou in signed:
        assert PdfRevision.chain_problems(mou) == []
        final = mou.pdf_revisions.order_by("-sequence").first()
        verdict = setup.verify(bytes(final.pdf))
        assert verdict.ok, (mou.document_number, verdict.as_dict())
        signatures = [s for s in verdict.signatures if s.kind == "signature"]
        assert [s.registry_seal for s in signatures] == [False, True]
        # Timestamped by the demo TSA, and closed by an archive timestamp.
        assert all(s.time_source == "timestamp" for s in signatures)
        assert [s.kind for s in verdict.signatures] == ["signature", "signature", "timestamp"]
        assert set(Signature.objects.filter(mou=mou).values_list("method", flat=True)) == {
            "demo",
            "registry_seal",
        }


def test_the_demo_pki_says_it_is_a_demo_and_is_made_once(seeded_demo, db):
    root = load_cert_from_pemder(settings.DEMO_PKI_DIR / "root.pem")
    assert root.subject.native["common_name"] == ROOT_NAME
    assert "not trusted outside this demo" in ROOT_NAME
    # The second run signed nothing new.
    assert PdfRevision.objects.count() == seeded_demo.revisions_after_first


def test_the_sent_demo_mou_waits_for_the_authority(seeded_demo, db):
    sent = Mou.objects.get(state=MouState.SENT)
    assert not sent.pdf_revisions.exists()


def test_the_demo_partners_delivered_through_the_services(seeded_demo, db):
    placements = Placement.objects.all()
    assert 20 <= placements.count() <= 60  # a commune's scale
    assert set(placements.values_list("confirmation", flat=True)) == set(Confirmation.values)
    assert placements.filter(status=PlacementStatus.LEFT, end_date__isnull=False).exists()
    assert placements.filter(kind=PledgeKind.VOCATIONAL_TRAINING).exists()
    # Everyone placed gave consent, and every step left its audit event.
    people = Person.objects.filter(placements__isnull=False).distinct()
    assert not people.filter(consent_given_on__isnull=True).exists()
    reported = AuditEvent.objects.filter(action="placement.reported").count()
    assert reported == placements.count()
    # Staff who record a placement themselves confirm it as they record it.
    confirmed_by_a_decision = placements.filter(confirmation=Confirmation.CONFIRMED).exclude(
        reported_by__username__startswith="demo_staff"
    )
    assert AuditEvent.objects.filter(action="placement.confirmed").count() == (
        confirmed_by_a_decision.count()
    )
    assert re.search(r", [1-9]\d* placements reported", seeded_demo.first_output)
    assert "(0 new MoUs, 0 placements reported)" in seeded_demo.second_output


def test_the_demo_official_sees_delivery_retention_and_a_lagging_partner(seeded_demo, client_as):
    official = User.objects.get(username="demo_official")

    response = client_as(official).get(reverse("report_province"))

    summary, people = response.context["summary"], response.context["people"]
    assert people["delivered_jobs"] > 0 and people["delivered_training"] > 0
    assert people["awaiting"] >= 1
    assert summary.retention_6 is not None and summary.retention_12 is not None
    assert summary.lagging_mous >= 1
    lagging = [row["name"] for row in summary.ranking if row["lagging_mous"]]
    assert any("Cơ khí Thạnh Lợi" in name for name in lagging)
