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
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from asn1crypto import pem
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
    Referral,
    ReferralStatus,
    Signature,
)
from partnerships.signing.demo_pki import ROOT_NAME
from partnerships.signing.pdf.verify import verify_pdf
from partnerships.signing.setup import demo_setup
from tests.signing import outside_tools
from tests.signing.pdf.tampering import flip_a_signed_byte


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


def test_the_demo_dialogue_brought_eighty_people_and_its_mous_together(seeded_demo, client_as):
    from partnerships.events.selectors import event_report
    from partnerships.models import Event

    event = Event.objects.get(title__contains="Đối thoại")
    official = User.objects.get(username="demo_official")
    report = event_report(user=official, event=event)
    assert report.total == 80
    assert 0 < report.female < report.male
    assert {row.target_group.code for row in report.attendance if row.total} == {
        "completed_prison",
        "amnesty",
        "conditional_release",
        "community_sentence",
        "post_rehab",
        "drug_user",
    }
    # The commune's MoU and the one its dissolved district signed, both signed there.
    assert {mou.authority.name for mou in report.mous} == {"UBND xã Bến Lức", "UBND huyện Bến Lức"}
    assert len(report.partners) >= 2
    # Recorded through the service, once.
    assert AuditEvent.objects.filter(action="event.created").count() == 1
    assert "Dialogue events: 1 new." in seeded_demo.first_output
    assert "Dialogue events: 0 new." in seeded_demo.second_output
    page = client_as(official).get(event.get_absolute_url())
    assert 'data-testid="attendance-total">80<' in page.content.decode()


# --- Long-term validation of the completed demo MoUs ------------------------------------------

# Past the signers' certificates (five years) and the demo root (ten), within the demo TSA's.
TEN_YEARS_AHEAD = datetime.now(UTC) + timedelta(days=10 * 365 + 60)


def completed_final_pdfs() -> list[tuple[str, bytes]]:
    """(document number, final PDF) of every demo MoU both parties signed."""
    signed = Mou.objects.filter(state__in=MouState.SIGNED_ONCE).order_by("pk")
    return [
        (mou.document_number, bytes(mou.pdf_revisions.order_by("-sequence").first().pdf))
        for mou in signed
    ]


def test_a_completed_demo_mou_is_b_lta_and_verifies_ten_years_ahead(seeded_demo, db):
    setup = demo_setup(settings.DEMO_PKI_DIR)
    completed = completed_final_pdfs()
    assert len(completed) >= 4
    for number, pdf in completed:
        today = setup.verify(pdf)
        # Only what the file holds: no CRL from the demo folder, nothing fetched.
        later = verify_pdf(
            pdf,
            trust_roots=setup.trust_roots,
            registry_seals=setup.registry_seals,
            moment=TEN_YEARS_AHEAD,
            allow_fetching=False,
        )

        for verdict in (today, later):
            assert verdict.ok, (number, verdict.as_dict())
            signatures = [s for s in verdict.signatures if s.kind == "signature"]
            assert [s.pades_level for s in signatures] == ["B-LTA", "B-LTA"], number
        archive = later.signatures[-1]
        # Judged at the archive timestamp's time: the certificates have expired by then.
        assert all(s.validated_at == archive.signed_at for s in later.signatures[:-1])
        assert archive.kind == "timestamp" and archive.validated_at is None


# --- Tools we did not write agree --------------------------------------------------------------


def outside_verdicts(pdf: bytes, folder: Path, *, cafile: Path, nss: str) -> dict:
    """Per signature, in signing order: does OpenSSL find it intact and trusted on its byte
    range; per approval signature, does pdfsig; and qpdf's check of the whole file."""
    path = folder / "document.pdf"
    path.write_bytes(pdf)
    ranges = outside_tools.signed_ranges(pdf)
    return {
        "kinds": [signed.kind for signed in ranges],
        "openssl": [
            outside_tools.openssl_verifies(signed, cafile=cafile, folder=folder)
            for signed in ranges
        ],
        "pdfsig": [
            (report.field, report.signature_valid and report.certificate_trusted)
            for report in outside_tools.pdfsig(path, nss_database=nss)
        ],
        "qpdf": outside_tools.qpdf_check(path),
    }


@pytest.mark.skipif(
    bool(outside_tools.missing_tools()),
    reason=f"missing: {', '.join(outside_tools.missing_tools())}",
)
def test_pdfsig_qpdf_and_openssl_agree_with_the_verdict_on_every_completed_mou(
    seeded_demo, db, tmp_path
):
    setup = demo_setup(settings.DEMO_PKI_DIR)
    # The tools trust exactly what the registry trusts: the demo root and the demo TSA's.
    cafile = tmp_path / "roots.pem"
    cafile.write_bytes(b"".join(pem.armor("CERTIFICATE", r.dump()) for r in setup.trust_roots))
    (tmp_path / "nss").mkdir()
    nss = outside_tools.nss_database(tmp_path / "nss", setup.trust_roots)
    for number, pdf in completed_final_pdfs():
        # A letter of the business signature's /Reason changed: inside its byte range and the
        # archive timestamp's, outside the authority's.
        for tampered, document in [(False, pdf), (True, flip_a_signed_byte(pdf))]:
            verdict = setup.verify(document)
            outside = outside_verdicts(document, tmp_path, cafile=cafile, nss=nss)

            registry = [s.intact and s.valid and s.trusted for s in verdict.signatures]
            context = (number, tampered, verdict.as_dict(), outside)
            assert outside["kinds"] == [s.kind for s in verdict.signatures], context
            assert outside["openssl"] == registry, context
            # pdfsig does not check document timestamps ("Signature has not yet been
            # verified"): OpenSSL's ts -verify speaks for those.
            assert [field for field, _ok in outside["pdfsig"]] == [
                s.field for s in verdict.signatures
            ], context
            for (_field, pdfsig_ok), report, ok in zip(
                outside["pdfsig"], verdict.signatures, registry, strict=True
            ):
                assert report.kind == "timestamp" or pdfsig_ok == ok, context
            if tampered:
                assert not verdict.ok and "signature_broken" in verdict.codes, context
                assert registry == [True, False, False], context
            else:
                assert verdict.ok and all(registry), context
                assert outside["qpdf"][0], context


def test_the_demo_has_referrals_in_every_outcome_made_through_the_services(seeded_demo, db):
    demo_referrals = Referral.objects.all()
    assert set(demo_referrals.values_list("status", flat=True)) == set(ReferralStatus.values)
    assert (
        demo_referrals.filter(status=ReferralStatus.NOT_HIRED)
        .values("not_hired_reason")
        .distinct()
        .count()
        >= 2
    )
    hired = demo_referrals.get(status=ReferralStatus.HIRED)
    assert hired.placement.confirmation == Confirmation.CONFIRMED
    assert hired.placement.start_date >= hired.referred_on
    ended = demo_referrals.get(status=ReferralStatus.ENDED)
    assert ended.person.is_anonymised and ended.contact_encrypted == ""
    # Each referral was made, and each outcome recorded, through the audited services.
    for referral in demo_referrals:
        actions = set(
            AuditEvent.objects.filter(details__referral=referral.pk).values_list(
                "action", flat=True
            )
        )
        assert "referral.created" in actions
        if not referral.is_in_progress:
            assert f"referral.{referral.status}" in actions
    assert "  Referrals made: 8" in seeded_demo.first_output
    assert "  Referrals made: 0" in seeded_demo.second_output


def test_the_demo_business_sees_its_referrals_and_the_official_counts_only(seeded_demo, client_as):
    business = User.objects.get(username="demo_business")
    listed = client_as(business).get(reverse("referral_list")).context["page"]
    assert len(listed) == Referral.objects.count()
    counts = dict(
        client_as(User.objects.get(username="demo_official"))
        .get(reverse("referral_list"))
        .context["counts"]
    )
    assert sum(counts.values()) == Referral.objects.count()
