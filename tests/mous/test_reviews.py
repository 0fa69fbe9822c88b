from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from partnerships.models import (
    Assessment,
    AuditEvent,
    MouState,
    Review,
    ReviewKind,
    Signature,
    SignatureMethod,
    SignatureParty,
)
from partnerships.mous import lifecycle
from partnerships.mous import reviews as reviewing
from tests.factories import dmy


def _active(mou):
    lifecycle.perform(mou, "send", actor=None)
    for party in SignatureParty:
        Signature.objects.create(
            mou=mou,
            party=party,
            method=SignatureMethod.DEMO,
            signer_name="x",
            signed_at=timezone.now(),
            is_verified=True,
        )
    lifecycle.perform(mou, "sign", actor=None)
    lifecycle.perform(mou, "activate", actor=None)
    return mou


def _review(world, kind, actor=None):
    return reviewing.record_review(
        mou=world.mou,
        actor=actor or world.official,
        kind=kind,
        reviewed_on=timezone.localdate(),
        assessment=Assessment.PARTLY_MET,
        notes="8 of 10 places filled",
    )


def test_a_mid_term_review_keeps_the_mou_active(world):
    _active(world.mou)
    _review(world, ReviewKind.MID_TERM)
    world.mou.refresh_from_db()
    assert world.mou.state == MouState.ACTIVE
    assert (
        AuditEvent.objects.filter(mou=world.mou, action="mou.mid_term_review_recorded").count() == 1
    )


def test_a_final_review_closes_the_mou(world):
    _active(world.mou)
    _review(world, ReviewKind.FINAL)
    world.mou.refresh_from_db()
    assert world.mou.state == MouState.REVIEWED
    event = AuditEvent.objects.get(mou=world.mou, action="mou.reviewed")
    assert (event.actor, event.from_state, event.to_state) == (
        world.official,
        MouState.ACTIVE,
        MouState.REVIEWED,
    )


def test_staff_and_outside_officials_cannot_review(world):
    _active(world.mou)
    for outsider in (world.staff, world.other_province_official, world.business):
        with pytest.raises(PermissionDenied):
            _review(world, ReviewKind.FINAL, actor=outsider)
    assert not Review.objects.exists()


def test_a_draft_cannot_be_reviewed(world):
    with pytest.raises(lifecycle.MouError):
        _review(world, ReviewKind.FINAL)
    assert not Review.objects.exists()


def test_the_official_records_a_final_review_from_the_mou_page(world, client):
    _active(world.mou)
    client.force_login(world.official)
    response = client.submit(
        f"/mous/{world.mou.pk}/",
        {
            "kind": ReviewKind.FINAL,
            "reviewed_on": dmy(timezone.localdate() - timedelta(days=0)),
            "assessment": Assessment.MET,
            "notes": "",
            "recommendation": "Renew",
        },
        action=f"/mous/{world.mou.pk}/reviews/",
    )
    assert response.status_code == 302
    world.mou.refresh_from_db()
    assert world.mou.state == MouState.REVIEWED
    assert Review.objects.get(mou=world.mou).recommendation == "Renew"


def test_a_review_dated_in_the_future_is_refused_with_a_message(world, client_as):
    _active(world.mou)
    response = client_as(world.official).submit(
        f"/mous/{world.mou.pk}/",
        {
            "kind": ReviewKind.FINAL,
            "reviewed_on": dmy(timezone.localdate() + timedelta(days=1)),
            "assessment": Assessment.MET,
        },
        action=f"/mous/{world.mou.pk}/reviews/",
        follow=True,
    )
    assert "A review cannot be dated in the future" in response.content.decode()
    world.mou.refresh_from_db()
    assert world.mou.state == MouState.ACTIVE
    assert not Review.objects.exists()
