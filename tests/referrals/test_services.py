"""The referral services: every rule and bad input, nothing half-saved, each step audited
without names, expiry safe to run twice, consent withdrawal ending what is in progress."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import translation

from partnerships.background.sweeper import sweep
from partnerships.models import (
    AuditEvent,
    Confirmation,
    ContractType,
    DeliveryTally,
    Event,
    MouState,
    NotHiredReason,
    Placement,
    Pledge,
    Referral,
    ReferralStatus,
    TargetGroup,
)
from partnerships.placements import services as placements
from partnerships.placements.open_places import open_places_on
from partnerships.referrals import services as referrals
from partnerships.referrals.endings import expire_overdue_referrals
from tests.factories import bring_to, make_mou
from tests.factories.referrals import CONTACT, PERSON_NAME, a_person, refer
from tests.factories.reports import place

pytestmark = pytest.mark.django_db


def refused(code: str, call):
    """Run `call`, expect a ReferralError with `code`, and check nothing was saved."""
    referrals_before, events_before = Referral.objects.count(), AuditEvent.objects.count()
    with pytest.raises(referrals.ReferralError) as caught:
        call()
    assert caught.value.code == code
    assert caught.value.message  # a sentence the user can act on
    assert Referral.objects.count() == referrals_before
    assert AuditEvent.objects.count() == events_before
    return caught.value


def no_names_in_the_audit_trail():
    for note, details in AuditEvent.objects.values_list("note", "details"):
        text = f"{note} {details}"
        assert PERSON_NAME not in text
        assert CONTACT not in text


# --- Referring ---


def test_staff_refer_a_person_they_manage_with_consent(placements_world, settings):
    w = placements_world
    settings.REFERRAL_EXPIRY_DAYS = 21

    referral = refer(w)

    assert referral.status == ReferralStatus.REFERRED
    assert referral.referred_on == w.today
    assert referral.expires_on == w.today + timedelta(days=21)
    assert referral.share_consent_on == w.today
    assert referral.referred_by == w.staff
    assert CONTACT not in referral.contact_encrypted  # stored encrypted
    event = AuditEvent.objects.get(action="referral.created")
    assert event.person_id == referral.person_id
    assert event.details == {
        "referral": referral.pk,
        "pledge": w.job_pledge.pk,
        "mou": w.active_mou.pk,
        "to": "referred",
    }
    no_names_in_the_audit_trail()


def test_a_referral_in_progress_holds_a_place_on_the_line(placements_world):
    w = placements_world
    before = open_places_on(w.job_pledge)

    referral = refer(w)

    assert open_places_on(w.job_pledge) == before - 1
    referrals.record_no_show(referral=referral, actor=w.business, on=w.today)
    assert open_places_on(w.job_pledge) == before


def test_a_full_line_is_refused(placements_world):
    w = placements_world
    Pledge.objects.filter(pk=w.job_pledge.pk).update(quantity=2)
    place(w.job_pledge, started_days_ago=30)
    refer(w)  # the last place

    with translation.override("en"):
        error = refused("line_full", lambda: refer(w))
        assert "no open place" in error.message


def test_a_line_full_with_placements_awaiting_confirmation_is_refused(placements_world):
    w = placements_world
    Pledge.objects.filter(pk=w.job_pledge.pk).update(quantity=1)
    place(w.job_pledge, started_days_ago=30, confirmation=Confirmation.REPORTED)

    refused("line_full", lambda: refer(w))


def test_a_referral_past_its_last_day_holds_no_place_before_the_sweeper_runs(placements_world):
    w = placements_world
    Pledge.objects.filter(pk=w.job_pledge.pk).update(quantity=1)
    lapsed = refer(w, today=w.today - timedelta(days=60))  # its last day was a month ago

    assert open_places_on(w.job_pledge) == 1  # the sweeper has not run: still "referred"
    newer = refer(w)  # the line's one place is taken again, not refused as full

    lapsed.refresh_from_db()
    assert lapsed.status == ReferralStatus.EXPIRED
    assert lapsed.outcome_on == lapsed.expires_on
    assert AuditEvent.objects.filter(action="referral.expired", person=lapsed.person).exists()
    assert newer.status == ReferralStatus.REFERRED
    assert open_places_on(w.job_pledge) == 0


def test_the_same_person_can_be_referred_again_once_the_last_referral_lapsed(placements_world):
    w = placements_world
    person = a_person(w.ben_luc)
    refer(w, person, today=w.today - timedelta(days=60))

    again = refer(w, person)

    assert again.status == ReferralStatus.REFERRED
    assert Referral.objects.filter(person=person, status=ReferralStatus.EXPIRED).count() == 1


@pytest.mark.parametrize("state", [MouState.SENT, MouState.TERMINATED])
def test_a_line_of_an_mou_not_in_force_is_refused(placements_world, state):
    w = placements_world
    mou = bring_to(make_mou(w.ben_luc, w.garment, number=30), state)

    refused("line_closed", lambda: refer(w, pledge=mou.pledges.get()))


def test_a_line_the_staff_may_not_see_is_refused(placements_world):
    w = placements_world
    refused("line_closed", lambda: refer(w, pledge=w.quarry_mou.pledges.get()))


def test_another_authoritys_person_is_refused_and_not_described(placements_world):
    w = placements_world
    theirs = a_person(w.thanh_loi)
    refused("person_not_managed", lambda: refer(w, theirs))
    # Whether their person withdrew consent is not told either.
    placements.withdraw_consent(person=theirs, actor=w.other_staff)
    theirs.refresh_from_db()
    refused("person_not_managed", lambda: refer(w, theirs))


@pytest.mark.parametrize("who", ["business", "official", "admin", "other_staff", "no_role"])
def test_nobody_but_the_managing_staff_may_refer(placements_world, who):
    w = placements_world
    person = a_person(w.ben_luc)
    refused("person_not_managed", lambda: refer(w, person, actor=getattr(w, who)))


def test_a_person_who_withdrew_consent_is_refused(placements_world):
    w = placements_world
    person = a_person(w.ben_luc)
    placements.withdraw_consent(person=person, actor=w.staff)
    person.refresh_from_db()

    refused("consent_withdrawn", lambda: refer(w, person))


def test_a_referral_needs_the_consent_to_share_ticked_and_dated(placements_world):
    w = placements_world
    refused("share_consent_missing", lambda: refer(w, share_consent=False))
    refused("share_consent_date_missing", lambda: refer(w, share_consent_on=None))
    error = refused(
        "date_in_future", lambda: refer(w, share_consent_on=w.today + timedelta(days=1))
    )
    assert error.field == "share_consent_on"


@pytest.mark.parametrize(
    ("contact", "code"), [("   ", "contact_missing"), ("9" * 101, "contact_too_long")]
)
def test_a_referral_needs_a_contact_of_reasonable_length(placements_world, contact, code):
    refused(code, lambda: refer(placements_world, contact=contact))


def test_the_same_person_and_line_twice_is_refused_while_in_progress(placements_world):
    w = placements_world
    person = a_person(w.ben_luc)
    first = refer(w, person)

    refused("already_referred", lambda: refer(w, person))
    # Once that referral is over, the person may be referred to the line again.
    referrals.record_not_hired(
        referral=first, actor=w.business, reason=NotHiredReason.SKILLS, decided_on=w.today
    )
    assert refer(w, person).status == ReferralStatus.REFERRED


def test_a_line_whose_target_groups_leave_out_the_persons_is_refused(placements_world):
    """The line names its target groups (completed_prison here): a person of another group
    is refused. A line naming none is open to every group."""
    w = placements_world
    person = a_person(w.ben_luc, group="post_rehab")

    error = refused("target_group_mismatch", lambda: refer(w, person))
    assert str(TargetGroup.objects.get(code="post_rehab")) in error.message
    w.job_pledge.target_groups.clear()
    assert refer(w, person).status == ReferralStatus.REFERRED


# --- The business records what happened ---


def test_the_business_records_an_interview_then_a_hire(placements_world):
    w = placements_world
    referral = refer(w)
    before = open_places_on(w.job_pledge)

    referral = referrals.record_interview(
        referral=referral, actor=w.business, interviewed_on=w.today
    )
    assert referral.status == ReferralStatus.INTERVIEWED
    assert referral.interviewed_on == w.today
    referral = referrals.record_hire(
        referral=referral,
        actor=w.business,
        start_date=w.today,
        contract_type=ContractType.LABOUR_12_MONTHS_OR_MORE,
        monthly_wage=7_000_000,
        occupation="",
    )

    assert referral.status == ReferralStatus.HIRED
    assert referral.outcome_on == w.today
    assert referral.outcome_recorded_by == w.business
    placement = referral.placement
    assert placement.person_id == referral.person_id
    assert placement.confirmation == Confirmation.REPORTED  # for staff to confirm
    assert placement.occupation == w.job_pledge.occupation
    assert placement.monthly_wage == 7_000_000
    # The place moved from the referral to the placement awaiting confirmation.
    assert open_places_on(w.job_pledge) == before
    actions = list(
        AuditEvent.objects.filter(person_id=referral.person_id).values_list("action", flat=True)
    )
    assert actions == [
        "referral.created",
        "referral.interviewed",
        "placement.reported",
        "referral.hired",
    ]
    hired = AuditEvent.objects.get(action="referral.hired")
    assert (hired.details["from"], hired.details["to"]) == ("interviewed", "hired")
    assert hired.details["placement"] == placement.pk
    no_names_in_the_audit_trail()
    # Staff of the MoU's authority confirm it as any reported placement.
    placements.confirm_placement(placement=placement, actor=w.staff)


def test_a_hire_queues_a_recount_of_the_tallies(
    placements_world, django_capture_on_commit_callbacks
):
    w = placements_world
    referral = refer(w)
    with django_capture_on_commit_callbacks() as callbacks:
        referrals.record_hire(
            referral=referral,
            actor=w.business,
            start_date=w.today,
            contract_type=ContractType.LABOUR_12_MONTHS_OR_MORE,
        )
    assert callbacks


# The triggers outdate a line's tally when its referrals change (counted live meanwhile);
# the recount queued after the commit (run at once by the tests' task backend) counts it
# again, so its funnel is cheap to read.


def line_tally(pledge) -> DeliveryTally:
    return DeliveryTally.objects.get(pledge=pledge)


def test_a_referral_is_counted_in_its_lines_tally_after_the_commit(
    placements_world, django_capture_on_commit_callbacks
):
    w = placements_world
    with django_capture_on_commit_callbacks(execute=True):
        refer(w)
    tally = line_tally(w.job_pledge)
    assert (tally.as_of, tally.referred, tally.referrals_in_progress) == (w.today, 1, 1)


@pytest.mark.parametrize(
    ("step", "counted"),
    [
        (
            lambda w, referral: referrals.record_interview(
                referral=referral, actor=w.business, interviewed_on=w.today
            ),
            "interviewed",
        ),
        (
            lambda w, referral: referrals.record_not_hired(
                referral=referral, actor=w.business, reason="skills", decided_on=w.today
            ),
            "not_hired_skills",
        ),
        (
            lambda w, referral: referrals.record_no_show(
                referral=referral, actor=w.business, on=w.today
            ),
            "no_show",
        ),
        (
            lambda w, referral: expire_overdue_referrals(today=referral.expires_on + timedelta(1)),
            "referrals_expired",
        ),
    ],
    ids=["interviewed", "not_hired", "no_show", "expired"],
)
def test_every_outcome_is_counted_in_its_lines_tally_after_the_commit(
    placements_world, django_capture_on_commit_callbacks, step, counted
):
    w = placements_world
    with django_capture_on_commit_callbacks(execute=True):
        referral = refer(w)
    assert getattr(line_tally(w.job_pledge), counted) == 0
    with django_capture_on_commit_callbacks(execute=True):
        step(w, referral)
    tally = line_tally(w.job_pledge)
    assert (tally.as_of, getattr(tally, counted)) == (w.today, 1)


def test_a_hire_dated_before_the_referral_is_refused(placements_world):
    w = placements_world
    referral = refer(w)

    with pytest.raises(referrals.ReferralError) as caught:
        referrals.record_hire(
            referral=referral,
            actor=w.business,
            start_date=w.today - timedelta(days=1),
            contract_type=ContractType.LABOUR_12_MONTHS_OR_MORE,
        )

    assert caught.value.code == "hire_before_referral"
    assert caught.value.field == "start_date"
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REFERRED
    assert not Placement.objects.exists()


def test_a_hire_the_placement_rules_refuse_saves_nothing(placements_world):
    """A start outside the MoU's term: the placement service refuses, and the referral stays
    as it was (the transaction rolls back the transition too)."""
    w = placements_world
    referral = refer(w)
    w.active_mou.term_end = w.today - timedelta(days=1)
    w.active_mou.save(update_fields=["term_end"])

    with pytest.raises(placements.PlacementError):
        referrals.record_hire(
            referral=referral,
            actor=w.business,
            start_date=w.today,
            contract_type=ContractType.LABOUR_12_MONTHS_OR_MORE,
        )

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REFERRED
    assert referral.placement is None
    assert not Placement.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["referral.hired", "placement.reported"])


def test_outcome_dates_may_not_be_in_the_future_or_before_the_referral(placements_world):
    w = placements_world
    referral = refer(w)
    for day, code in [
        (w.today + timedelta(days=1), "date_in_future"),
        (w.today - timedelta(days=1), "date_before_referral"),
        (None, "date_missing"),
    ]:
        with pytest.raises(referrals.ReferralError) as caught:
            referrals.record_interview(referral=referral, actor=w.business, interviewed_on=day)
        assert caught.value.code == code
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REFERRED


def test_not_hired_takes_a_reason_from_the_list(placements_world):
    w = placements_world
    referral = refer(w)
    for reason in ["", "he has a record"]:
        with pytest.raises(referrals.ReferralError) as caught:
            referrals.record_not_hired(
                referral=referral, actor=w.business, reason=reason, decided_on=w.today
            )
        assert caught.value.code == "reason_missing"

    referral = referrals.record_not_hired(
        referral=referral, actor=w.business, reason=NotHiredReason.CONDITIONS, decided_on=w.today
    )

    assert referral.status == ReferralStatus.NOT_HIRED
    assert referral.not_hired_reason == NotHiredReason.CONDITIONS
    event = AuditEvent.objects.get(action="referral.not_hired")
    assert event.details["reason"] == NotHiredReason.CONDITIONS


def test_did_not_come_is_recorded_before_an_interview_only(placements_world):
    w = placements_world
    referral = refer(w)
    interviewed = referrals.record_interview(
        referral=referral, actor=w.business, interviewed_on=w.today
    )
    with pytest.raises(referrals.ReferralError) as caught:
        referrals.record_no_show(referral=interviewed, actor=w.business, on=w.today)
    assert caught.value.code == "not_in_progress"

    other = refer(w)
    assert (
        referrals.record_no_show(referral=other, actor=w.business, on=w.today).status
        == ReferralStatus.NO_SHOW
    )
    assert AuditEvent.objects.filter(action="referral.no_show").count() == 1


def test_a_finished_referral_takes_no_further_outcome(placements_world):
    w = placements_world
    referral = referrals.record_no_show(referral=refer(w), actor=w.business, on=w.today)
    with pytest.raises(referrals.ReferralError) as caught:
        referrals.record_hire(
            referral=referral,
            actor=w.business,
            start_date=w.today,
            contract_type=ContractType.SEASONAL,
        )
    assert caught.value.code == "not_in_progress"
    assert not Placement.objects.exists()


@pytest.mark.parametrize("who", ["other_business", "staff", "official", "admin", "other_staff"])
def test_only_the_business_referred_to_records_the_outcome(placements_world, who):
    w = placements_world
    referral = refer(w)
    events = AuditEvent.objects.count()

    for record in [
        lambda actor: referrals.record_interview(
            referral=referral, actor=actor, interviewed_on=w.today
        ),
        lambda actor: referrals.record_hire(
            referral=referral,
            actor=actor,
            start_date=w.today,
            contract_type=ContractType.SEASONAL,
        ),
        lambda actor: referrals.record_not_hired(
            referral=referral, actor=actor, reason=NotHiredReason.OTHER, decided_on=w.today
        ),
        lambda actor: referrals.record_no_show(referral=referral, actor=actor, on=w.today),
    ]:
        with pytest.raises(PermissionDenied):
            record(getattr(w, who))

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REFERRED
    assert AuditEvent.objects.count() == events
    assert not Placement.objects.exists()


# --- Who sees the name ---


def test_the_business_sees_the_name_and_contact_while_in_progress_and_after_a_hire(
    placements_world,
):
    w = placements_world
    referral = refer(w)

    shown = referrals.reveal_referred_person(referral=referral, actor=w.business)

    assert (shown.full_name, shown.contact) == (PERSON_NAME, CONTACT)
    event = AuditEvent.objects.get(action="referral.identity_viewed")
    assert (event.actor, event.person_id) == (w.business, referral.person_id)
    referral = referrals.record_hire(
        referral=referral,
        actor=w.business,
        start_date=w.today,
        contract_type=ContractType.SEASONAL,
    )
    assert referrals.reveal_referred_person(referral=referral, actor=w.business).full_name
    no_names_in_the_audit_trail()


def test_the_name_is_hidden_once_the_referral_ended_otherwise(placements_world):
    w = placements_world
    referral = referrals.record_not_hired(
        referral=refer(w), actor=w.business, reason=NotHiredReason.SKILLS, decided_on=w.today
    )
    with pytest.raises(PermissionDenied):
        referrals.reveal_referred_person(referral=referral, actor=w.business)


@pytest.mark.parametrize("who", ["other_business", "staff", "official", "admin", "no_role"])
def test_nobody_else_gets_the_name_through_a_referral(placements_world, who):
    w = placements_world
    referral = refer(w)
    with pytest.raises(PermissionDenied):
        referrals.reveal_referred_person(referral=referral, actor=getattr(w, who))
    assert not AuditEvent.objects.filter(action="referral.identity_viewed").exists()


# --- Endings: consent withdrawn, expiry ---


def test_withdrawing_consent_ends_every_referral_in_progress(placements_world):
    w = placements_world
    person = a_person(w.ben_luc)
    on_jobs = refer(w, person)
    on_training = referrals.record_interview(
        referral=refer(w, person, pledge=w.training_pledge),
        actor=w.business,
        interviewed_on=w.today,
    )
    finished = referrals.record_no_show(
        referral=refer(w, person, pledge=make_second_line(w)), actor=w.business, on=w.today
    )

    placements.withdraw_consent(person=person, actor=w.staff)

    for referral, status in [
        (on_jobs, ReferralStatus.ENDED),
        (on_training, ReferralStatus.ENDED),
        (finished, ReferralStatus.NO_SHOW),
    ]:
        referral.refresh_from_db()
        assert referral.status == status
        assert referral.contact_encrypted == ""
    assert on_jobs.outcome_on == w.today
    ended = AuditEvent.objects.filter(action="referral.ended")
    assert ended.count() == 2
    assert {event.details["from"] for event in ended} == {"referred", "interviewed"}
    assert all(event.actor == w.staff for event in ended)
    # The business no longer sees the name: it is erased, and the referral is over.
    with pytest.raises(PermissionDenied):
        referrals.reveal_referred_person(referral=on_jobs, actor=w.business)


def make_second_line(w) -> Pledge:
    """A third line on the garment MoU, naming no target group (open to every group)."""
    return Pledge.objects.create(
        mou=w.active_mou, line=3, kind="job", quantity=2, occupation="Bảo vệ"
    )


def test_overdue_referrals_expire_and_running_it_twice_changes_nothing(placements_world):
    w = placements_world
    # Referred first: a referral made today expires what is overdue on its line.
    fresh = refer(w)
    overdue = refer(w, today=w.today - timedelta(days=40))
    overdue_interviewed = referrals.record_interview(
        referral=refer(w, today=w.today - timedelta(days=35)),
        actor=w.business,
        interviewed_on=w.today - timedelta(days=30),
        # Recorded that day, while the referral was still in time.
        today=w.today - timedelta(days=30),
    )
    due_today = refer(w, today=w.today - timedelta(days=30))

    assert expire_overdue_referrals(today=w.today) == 2
    assert expire_overdue_referrals(today=w.today) == 0

    for referral, status in [
        (overdue, ReferralStatus.EXPIRED),
        (overdue_interviewed, ReferralStatus.EXPIRED),
        (due_today, ReferralStatus.REFERRED),
        (fresh, ReferralStatus.REFERRED),
    ]:
        referral.refresh_from_db()
        assert referral.status == status
    assert overdue.outcome_on == overdue.expires_on
    expired = AuditEvent.objects.filter(action="referral.expired")
    assert expired.count() == 2
    assert all(event.actor is None and event.details["to"] == "expired" for event in expired)


def test_the_command_expires_what_is_overdue_and_can_run_from_cron(placements_world, capsys):
    w = placements_world
    overdue = refer(w, today=w.today - timedelta(days=60))

    call_command("expire_referrals")
    call_command("expire_referrals")

    out = capsys.readouterr().out
    assert "1 referral(s) expired." in out
    assert "0 referral(s) expired." in out
    overdue.refresh_from_db()
    assert overdue.status == ReferralStatus.EXPIRED
    assert AuditEvent.objects.filter(action="referral.expired").count() == 1


def test_the_workers_sweeper_expires_overdue_referrals_too(placements_world):
    w = placements_world
    overdue = refer(w, today=w.today - timedelta(days=60))

    first, second = sweep(), sweep()

    assert (first.referrals_expired, second.referrals_expired) == (1, 0)
    assert not first.changed_anything  # expiry is the normal course, not stale work
    overdue.refresh_from_db()
    assert overdue.status == ReferralStatus.EXPIRED


def test_a_referral_made_at_an_event_names_it_and_only_one_of_the_staffs_authority(
    placements_world,
):
    w = placements_world
    ours = Event.objects.create(
        authority=w.ben_luc, kind="dialogue", title="Đối thoại", held_on=w.today, place="Bến Lức"
    )
    theirs = Event.objects.create(
        authority=w.kim_bang, kind="job_fair", title="Phiên", held_on=w.today, place="Kim Bảng"
    )

    refused("event_unknown", lambda: refer(w, event=theirs))
    assert refer(w, event=ours).event == ours
