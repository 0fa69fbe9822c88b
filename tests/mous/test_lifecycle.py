"""The lifecycle services: every transition allowed or refused, its conditions, and the
audit trail each change leaves."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone, translation
from django_fsm import has_transition_perm

from partnerships.authorities.permissions import MOU_ACTION_RULES
from partnerships.models import (
    AuditEvent,
    Mou,
    MouState,
    Review,
    ReviewKind,
    Role,
)
from partnerships.mous import lifecycle
from partnerships.mous.lifecycle import CONFLICT_MESSAGE, MouError
from tests.factories import add_final_review, add_verified_signatures, bring_to, make_mou, make_user

# The specification, written out: (state, action) -> the state it leads to.
ALLOWED = {
    (MouState.DRAFT, "send"): MouState.SENT,
    (MouState.DRAFT, "cancel"): MouState.CANCELLED,
    (MouState.SENT, "recall"): MouState.DRAFT,
    (MouState.SENT, "decline"): MouState.DECLINED,
    (MouState.SENT, "cancel"): MouState.CANCELLED,
    (MouState.SENT, "sign"): MouState.SIGNED,
    (MouState.SIGNED, "activate"): MouState.ACTIVE,
    (MouState.SIGNED, "terminate"): MouState.TERMINATED,
    (MouState.ACTIVE, "review"): MouState.REVIEWED,
    (MouState.ACTIVE, "terminate"): MouState.TERMINATED,
}
AUDIT_CODES = {
    "send": "mou.sent",
    "recall": "mou.recalled",
    "decline": "mou.declined",
    "cancel": "mou.cancelled",
    "sign": "mou.signed",
    "activate": "mou.activated",
    "review": "mou.reviewed",
    "terminate": "mou.terminated",
}
ACTIONS = list(AUDIT_CODES)
NEEDS_REASON = {"decline", "cancel", "terminate"}
# Who performs each action in these tests: a user who is permitted to (None: the system).
ACTOR = {
    "send": "staff",
    "recall": "staff",
    "decline": "business",
    "cancel": "staff",
    "sign": None,
    "activate": "staff",
    "review": "official",
    "terminate": "staff",
}
FORBIDDEN = [
    (state, action)
    for state in MouState.values
    for action in ACTIONS
    if (state, action) not in ALLOWED
]


def actor_for(world, action):
    return getattr(world, ACTOR[action]) if ACTOR[action] else None


def meet_conditions(mou, action):
    """Give the MoU what `action` needs, so only its state can stand in the way."""
    if action == "sign":
        add_verified_signatures(mou)
    if action == "review":
        add_final_review(mou)


def refusal(mou, action, **kwargs) -> str:
    """Perform `action` expecting a refusal; its message as an English-speaking user reads it."""
    with translation.override("en"):
        with pytest.raises(MouError) as refused:
            lifecycle.perform(mou, action, **kwargs)
        return str(refused.value.message)


def stored_row(mou):
    return Mou.objects.filter(pk=mou.pk).values().get()


def test_the_table_covers_every_state_and_action():
    assert len(ALLOWED) + len(FORBIDDEN) == len(MouState.values) * len(lifecycle.ACTIONS) == 64
    assert set(ACTIONS) == set(lifecycle.ACTIONS)


@pytest.mark.parametrize(("state", "action"), list(ALLOWED), ids=lambda v: str(v))
def test_an_allowed_transition_moves_the_state_and_writes_one_audit_event(world, state, action):
    mou = bring_to(make_mou(world.ben_luc, world.garment, number=50), state)
    meet_conditions(mou, action)
    actor = actor_for(world, action)
    note = f"Ghi chú cho {action}"
    events_before = AuditEvent.objects.count()

    lifecycle.perform(mou, action, actor=actor, note=note)

    stored = Mou.objects.get(pk=mou.pk)
    assert stored.state == ALLOWED[(state, action)]
    assert AuditEvent.objects.count() == events_before + 1
    event = AuditEvent.objects.latest("id")
    assert event.mou_id == mou.pk
    assert event.actor == actor
    assert event.action == AUDIT_CODES[action]
    assert (event.from_state, event.to_state) == (state, ALLOWED[(state, action)])
    assert event.note == note
    if action in NEEDS_REASON:
        assert stored.closing_reason == note
    if action == "sign":
        assert stored.signed_at is not None
    if action == "activate":
        assert stored.activated_at is not None


@pytest.mark.parametrize(("state", "action"), FORBIDDEN, ids=lambda v: str(v))
def test_it_refuses_a_transition_not_allowed_from_the_state(world, state, action):
    mou = bring_to(make_mou(world.ben_luc, world.garment, number=50), state)
    meet_conditions(mou, action)
    row_before = stored_row(mou)
    events_before = AuditEvent.objects.count()

    message = refusal(mou, action, actor=actor_for(world, action), note="Lý do")

    assert "cannot be changed this way" in message
    with translation.override("en"):
        assert f"“{MouState(state).label}”" in message
    assert stored_row(mou) == row_before
    assert mou.state == state
    assert AuditEvent.objects.count() == events_before


def test_the_buttons_offered_match_the_allowed_transitions(world):
    """available_actions (the buttons) and the rules agree, for someone allowed everything
    on an MoU that meets every condition; `sign` is never a button."""
    for number, state in enumerate(MouState.values, start=60):
        mou = bring_to(make_mou(world.ben_luc, world.garment, number=number), state)
        for action in ACTIONS:
            meet_conditions(mou, action)
        offered = {action.name for action in lifecycle.available_actions(mou, world.admin)}
        expected = {action for (source, action) in ALLOWED if source == state} - {"sign"}
        assert offered == expected, state


def test_a_blocked_transition_is_explained_instead_of_offered(world):
    mou = bring_to(world.mou, MouState.ACTIVE)
    assert "review" not in {a.name for a in lifecycle.available_actions(mou, world.official)}
    with translation.override("en"):
        blocked = {
            action.name: [str(reason) for reason in reasons]
            for action, reasons in lifecycle.blocked_actions(mou, world.official)
        }
    assert blocked == {"review": ["Record the final review first."]}


def test_it_refuses_an_unknown_action(world):
    with pytest.raises(MouError):
        lifecycle.perform(world.mou, "publish", actor=world.staff)
    assert Mou.objects.get(pk=world.mou.pk).state == MouState.DRAFT


# --- Conditions of `send` ---


def _refused_send(world, mou):
    events_before = AuditEvent.objects.count()
    message = refusal(mou, "send", actor=world.staff)
    assert Mou.objects.get(pk=mou.pk).state == MouState.DRAFT
    assert AuditEvent.objects.count() == events_before
    return message


def test_it_refuses_to_send_a_draft_without_pledges(world):
    world.mou.pledges.all().delete()
    assert "Add at least one pledge." in _refused_send(world, world.mou)


@pytest.mark.parametrize("field", ["authority_signatory_name", "authority_signatory_position"])
def test_it_refuses_to_send_without_the_authority_signatory(world, field):
    Mou.objects.filter(pk=world.mou.pk).update(**{field: ""})
    mou = Mou.objects.get(pk=world.mou.pk)
    assert "Name the authority's signatory and their position." in _refused_send(world, mou)


def test_it_refuses_to_send_without_the_partner_signatory(world):
    Mou.objects.filter(pk=world.mou.pk).update(partner_signatory=None)
    mou = Mou.objects.get(pk=world.mou.pk)
    assert "Choose the partner's signatory." in _refused_send(world, mou)


@pytest.mark.parametrize("field", ["term_start", "term_end"])
def test_it_refuses_to_send_without_a_complete_term(world, field):
    Mou.objects.filter(pk=world.mou.pk).update(**{field: None})
    mou = Mou.objects.get(pk=world.mou.pk)
    assert "Set a term that ends after it starts." in _refused_send(world, mou)


def test_it_lists_every_missing_piece_at_once(world):
    mou = make_mou(world.ben_luc, world.garment, number=70, ready=False)
    message = _refused_send(world, mou)
    for expected in [
        "Add at least one pledge.",
        "Name the authority's signatory",
        "Choose the partner's signatory.",
        "Set a term that ends after it starts.",
    ]:
        assert expected in message


def test_it_sends_a_draft_that_has_everything(world):
    lifecycle.perform(world.mou, "send", actor=world.staff)
    assert Mou.objects.get(pk=world.mou.pk).state == MouState.SENT


# --- Conditions of `sign`, `activate` and `review` ---


@pytest.mark.parametrize("who", ["staff", "official", "business", "admin"])
def test_no_user_can_sign_only_the_system(world, who):
    mou = bring_to(world.mou, MouState.SENT)
    add_verified_signatures(mou)
    with pytest.raises(PermissionDenied):
        lifecycle.perform(mou, "sign", actor=getattr(world, who))
    assert Mou.objects.get(pk=mou.pk).state == MouState.SENT
    assert not AuditEvent.objects.filter(mou=mou, action="mou.signed").exists()


def test_it_refuses_to_sign_until_both_signatures_are_verified(world):
    mou = bring_to(world.mou, MouState.SENT)
    add_verified_signatures(mou)
    mou.signatures.filter(party="business").update(is_verified=False)
    message = refusal(mou, "sign", actor=None)
    assert "Verified signatures are missing: the business." in message
    assert Mou.objects.get(pk=mou.pk).state == MouState.SENT

    mou.signatures.update(is_verified=True)
    lifecycle.perform(mou, "sign", actor=None)
    assert Mou.objects.get(pk=mou.pk).state == MouState.SIGNED


def test_it_refuses_to_activate_before_the_term_starts(world):
    tomorrow = timezone.localdate() + timedelta(days=1)
    mou = make_mou(world.ben_luc, world.garment, number=80, term_start=tomorrow)
    bring_to(mou, MouState.SIGNED)
    message = refusal(mou, "activate", actor=world.staff)
    assert "The term has not started yet." in message
    assert Mou.objects.get(pk=mou.pk).state == MouState.SIGNED


def test_it_activates_on_the_day_the_term_starts(world):
    mou = make_mou(world.ben_luc, world.garment, number=81, term_start=timezone.localdate())
    bring_to(mou, MouState.SIGNED)
    lifecycle.perform(mou, "activate", actor=world.staff)
    assert Mou.objects.get(pk=mou.pk).state == MouState.ACTIVE


def test_it_refuses_to_review_without_a_final_review(world):
    mou = bring_to(world.mou, MouState.ACTIVE)
    Review.objects.create(
        mou=mou, kind=ReviewKind.MID_TERM, reviewed_on=timezone.localdate(), assessment="met"
    )
    message = refusal(mou, "review", actor=world.official)
    assert "Record the final review first." in message
    assert Mou.objects.get(pk=mou.pk).state == MouState.ACTIVE


@pytest.mark.parametrize(
    ("state", "action", "who"),
    [
        (MouState.SENT, "decline", "business"),
        (MouState.DRAFT, "cancel", "staff"),
        (MouState.ACTIVE, "terminate", "staff"),
    ],
)
@pytest.mark.parametrize("reason", ["", "   \n "])
def test_it_refuses_to_close_an_mou_without_a_reason(world, state, action, who, reason):
    mou = bring_to(world.mou, state)
    events_before = AuditEvent.objects.count()
    message = refusal(mou, action, actor=getattr(world, who), note=reason)
    assert "Give a reason." in message
    assert Mou.objects.get(pk=mou.pk).state == state
    assert AuditEvent.objects.count() == events_before


# --- Who may perform which transition ---


@pytest.mark.parametrize(
    ("state", "action", "who"),
    [
        (MouState.DRAFT, "send", "official"),
        (MouState.DRAFT, "send", "business"),
        (MouState.DRAFT, "send", "other_staff"),
        (MouState.DRAFT, "cancel", "other_province_official"),
        (MouState.SENT, "recall", "business"),
        (MouState.SENT, "decline", "other_business"),
        (MouState.SENT, "decline", "official"),
        (MouState.SIGNED, "activate", "official"),
        (MouState.ACTIVE, "terminate", "business"),
        (MouState.ACTIVE, "review", "staff"),
        (MouState.ACTIVE, "review", "other_province_official"),
        (MouState.ACTIVE, "review", "no_role"),
    ],
)
def test_it_refuses_a_transition_to_a_user_without_the_right(world, state, action, who):
    mou = bring_to(world.mou, state)
    meet_conditions(mou, action)
    row_before = stored_row(mou)
    events_before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        lifecycle.perform(mou, action, actor=getattr(world, who), note="Lý do")
    assert stored_row(mou) == row_before
    assert AuditEvent.objects.count() == events_before


def test_the_lifecycle_service_is_the_guard_not_the_state_machine(world):
    # The models hold no permission callables any more (they may not import the rules), so
    # django-fsm alone would let anyone send; the service must refuse the outsider itself.
    mou = bring_to(world.mou, MouState.DRAFT)
    assert has_transition_perm(mou.send, world.other_staff)
    with pytest.raises(PermissionDenied):
        lifecycle.perform(mou, "send", actor=world.other_staff)
    assert Mou.objects.get(pk=mou.pk).state == MouState.DRAFT
    assert "send" not in {a.name for a in lifecycle.available_actions(mou, world.other_staff)}


def test_every_action_has_exactly_one_rule_of_who_may_run_it():
    assert set(MOU_ACTION_RULES) == set(lifecycle.ACTIONS)


def test_an_official_performs_the_review(world):
    mou = bring_to(world.mou, MouState.ACTIVE)
    add_final_review(mou)
    lifecycle.perform(mou, "review", actor=world.official)
    assert Mou.objects.get(pk=mou.pk).state == MouState.REVIEWED


def test_the_business_declines_its_own_mou(world):
    mou = bring_to(world.mou, MouState.SENT)
    lifecycle.perform(mou, "decline", actor=world.business, note="Chưa có nhu cầu.")
    assert Mou.objects.get(pk=mou.pk).state == MouState.DECLINED


def test_staff_of_the_successor_manage_the_dissolved_districts_mous(world):
    mou = make_mou(world.ben_luc_district, world.garment, number=90)
    lifecycle.perform(mou, "send", actor=world.staff)
    assert Mou.objects.get(pk=mou.pk).state == MouState.SENT
    with pytest.raises(PermissionDenied):
        lifecycle.perform(mou, "recall", actor=world.other_staff)


# --- Two users at once ---


@pytest.mark.parametrize("second_action", ["send", "cancel"])
def test_a_second_user_working_on_a_stale_copy_gets_the_conflict_message(world, second_action):
    colleague = make_user("staff_colleague", Role.AUTHORITY_STAFF, authority=world.ben_luc)
    first_copy = Mou.objects.get(pk=world.mou.pk)
    second_copy = Mou.objects.get(pk=world.mou.pk)

    lifecycle.perform(first_copy, "send", actor=world.staff)
    message = refusal(second_copy, second_action, actor=colleague, note="Hủy")

    with translation.override("en"):
        assert message == str(CONFLICT_MESSAGE)
    assert Mou.objects.get(pk=world.mou.pk).state == MouState.SENT
    # The loser's copy now shows what the winner left, ready for a retry.
    assert second_copy.state == MouState.SENT
    events = AuditEvent.objects.filter(mou=world.mou).exclude(action="mou.created")
    assert [(event.action, event.actor) for event in events] == [("mou.sent", world.staff)]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lacks row locks (SELECT ... FOR UPDATE); the real race runs on PostgreSQL",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_when_two_users_send_at_the_same_moment_exactly_one_wins(world):
    colleague = make_user("staff_colleague", Role.AUTHORITY_STAFF, authority=world.ben_luc)
    # Several rounds, so the two threads really overlap in at least some of them.
    mous = [make_mou(world.ben_luc, world.garment, number=100 + round_) for round_ in range(5)]

    for mou in mous:
        barrier = threading.Barrier(2)
        outcomes = []

        def attempt(user, mou_id=mou.pk, barrier=barrier, outcomes=outcomes):
            try:
                # Each thread has its own database connection and its own copy of the MoU,
                # loaded while it is still a draft, as two browsers would have.
                copy = Mou.objects.get(pk=mou_id)
                barrier.wait(timeout=10)
                with translation.override("en"):
                    try:
                        lifecycle.perform(copy, "send", actor=user)
                    except MouError as error:
                        outcomes.append(("refused", str(error.message)))
                    else:
                        outcomes.append(("sent", user.username))
            finally:
                connection.close()

        threads = [
            threading.Thread(target=attempt, args=(user,)) for user in (world.staff, colleague)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert sorted(kind for kind, _detail in outcomes) == ["refused", "sent"]
        with translation.override("en"):
            assert ("refused", str(CONFLICT_MESSAGE)) in outcomes
        assert Mou.objects.get(pk=mou.pk).state == MouState.SENT
        assert AuditEvent.objects.filter(mou=mou, action="mou.sent").count() == 1
