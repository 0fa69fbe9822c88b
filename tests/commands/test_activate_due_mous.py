"""activate_due_mous: signed MoUs whose term has started become active; safe to rerun."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from partnerships.models import AuditEvent, Mou, MouState
from tests.factories import bring_to, make_mou


def activate() -> str:
    out = StringIO()
    call_command("activate_due_mous", stdout=out)
    return out.getvalue()


def signed_mou(world, number, start_offset):
    today = timezone.localdate()
    mou = make_mou(
        world.ben_luc, world.garment, number=number, term_start=today + timedelta(start_offset)
    )
    return bring_to(mou, MouState.SIGNED)


def state_of(mou):
    return Mou.objects.get(pk=mou.pk).state


def test_it_activates_signed_mous_whose_start_date_has_come(world):
    started_yesterday = signed_mou(world, 10, -1)
    starts_today = signed_mou(world, 11, 0)
    starts_tomorrow = signed_mou(world, 12, 1)

    output = activate()

    assert state_of(started_yesterday) == MouState.ACTIVE
    assert state_of(starts_today) == MouState.ACTIVE
    assert state_of(starts_tomorrow) == MouState.SIGNED
    assert "2 MoU(s) activated." in output
    assert started_yesterday.document_number in output
    event = AuditEvent.objects.filter(mou=starts_today).latest("id")
    assert (event.action, event.actor, event.from_state, event.to_state) == (
        "mou.activated",
        None,
        MouState.SIGNED,
        MouState.ACTIVE,
    )


def test_it_leaves_mous_in_other_states_alone(world):
    # world.mou is a draft whose term started yesterday.
    sent = bring_to(make_mou(world.ben_luc, world.garment, number=20), MouState.SENT)
    terminated = bring_to(make_mou(world.ben_luc, world.garment, number=21), MouState.TERMINATED)

    activate()

    assert state_of(world.mou) == MouState.DRAFT
    assert state_of(sent) == MouState.SENT
    assert state_of(terminated) == MouState.TERMINATED


def test_running_it_twice_changes_nothing_the_second_time(world):
    mou = signed_mou(world, 10, -3)
    activate()
    events_after_first = AuditEvent.objects.count()
    activated_at = Mou.objects.get(pk=mou.pk).activated_at

    output = activate()

    assert "0 MoU(s) activated." in output
    assert AuditEvent.objects.count() == events_after_first
    assert Mou.objects.get(pk=mou.pk).activated_at == activated_at
    assert AuditEvent.objects.filter(mou=mou, action="mou.activated").count() == 1
