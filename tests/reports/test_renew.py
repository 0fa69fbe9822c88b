"""Renewing a reviewed MoU: staff get a new draft prefilled from it (parties, signatories,
template, pledge lines; the next free number; a term of the same length starting after the
old one ends), linked to it, with an audit event on both."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from partnerships.models import (
    Assessment,
    AuditEvent,
    Mou,
    MouState,
    ReviewKind,
)
from partnerships.mous import drafting
from partnerships.mous import reviews as reviewing
from partnerships.mous.lifecycle import MouError


def reviewed(w, mou=None):
    mou = mou or w.active_mou
    reviewing.record_review(
        mou=mou,
        actor=w.official,
        kind=ReviewKind.FINAL,
        reviewed_on=timezone.localdate(),
        assessment=Assessment.MET,
    )
    mou.refresh_from_db()
    assert mou.state == MouState.REVIEWED
    return mou


def test_staff_renew_a_reviewed_mou_from_its_page(report_world, client_as):
    w = report_world
    old = reviewed(w)
    client = client_as(w.staff)
    assert 'data-testid="renew"' in client.get(f"/mous/{old.pk}/").content.decode()
    response = client.submit(f"/mous/{old.pk}/", action=f"/mous/{old.pk}/renew/")
    new = Mou.objects.get(renewed_from=old)
    assert response.status_code == 302 and response["Location"] == f"/mous/{new.pk}/"

    assert new.state == MouState.DRAFT
    assert (new.authority, new.partner, new.partner_signatory) == (
        old.authority,
        old.partner,
        old.partner_signatory,
    )
    assert (new.authority_signatory_name, new.authority_signatory_position) == (
        old.authority_signatory_name,
        old.authority_signatory_position,
    )
    assert (new.template_id, new.language, new.title) == (old.template_id, old.language, old.title)
    assert new.term_start == old.term_end + timedelta(days=1)
    assert new.term_end - new.term_start == old.term_end - old.term_start
    assert new.year == timezone.localdate().year
    taken = Mou.objects.filter(authority=old.authority, year=new.year).exclude(pk=new.pk)
    assert new.number == max(taken.values_list("number", flat=True)) + 1
    assert [
        (p.kind, p.quantity, p.occupation, sorted(g.code for g in p.target_groups.all()))
        for p in new.pledges.order_by("pk")
    ] == [
        (p.kind, p.quantity, p.occupation, sorted(g.code for g in p.target_groups.all()))
        for p in old.pledges.order_by("pk")
    ]
    renewed = AuditEvent.objects.get(mou=old, action="mou.renewed")
    drafted = AuditEvent.objects.get(mou=new, action="mou.renewal_drafted")
    assert (renewed.actor, drafted.actor) == (w.staff, w.staff)
    assert renewed.details == {"renewal": new.pk} and drafted.details == {"renewed_from": old.pk}
    page = client.get(f"/mous/{new.pk}/").content.decode()
    assert "Renewal of" in page and old.document_number in page
    assert "Renewed as" in client.get(f"/mous/{old.pk}/").content.decode()


def test_an_mou_is_renewed_once(report_world, client_as):
    w = report_world
    old = reviewed(w)
    drafting.renew_mou(mou=old, actor=w.staff)
    with pytest.raises(MouError, match="already renewed"):
        drafting.renew_mou(mou=old, actor=w.staff)
    # The button of a page loaded before the first renewal.
    response = client_as(w.staff).post_by_hand(f"/mous/{old.pk}/renew/", follow=True)
    assert "already renewed" in response.content.decode()
    assert Mou.objects.filter(renewed_from=old).count() == 1


def test_a_dissolved_authoritys_mou_is_renewed_by_its_successor(report_world):
    w = report_world
    old = reviewed(w, w.district_mou)
    new = drafting.renew_mou(mou=old, actor=w.staff)
    assert old.authority == w.ben_luc_district and new.authority == w.ben_luc


@pytest.mark.parametrize("user", ["official", "business", "other_staff", "admin_no"])
def test_only_staff_managing_it_may_renew(report_world, client_as, user):
    w = report_world
    old = reviewed(w)
    if user == "admin_no":
        # Administrators may; shown here so the list of who may not is complete.
        assert drafting.renew_mou(mou=old, actor=w.admin).renewed_from == old
        return
    actor = getattr(w, user)
    with pytest.raises(PermissionDenied):
        drafting.renew_mou(mou=old, actor=actor)
    status = client_as(actor).post_by_hand(f"/mous/{old.pk}/renew/").status_code
    assert status in (403, 404)  # 404 for those who cannot even see it
    assert not Mou.objects.filter(renewed_from=old).exists()


def test_only_a_reviewed_mou_is_renewed(report_world, client_as):
    w = report_world
    assert (
        'data-testid="renew"'
        not in client_as(w.staff).get(f"/mous/{w.active_mou.pk}/").content.decode()
    )
    with pytest.raises(PermissionDenied):
        drafting.renew_mou(mou=w.active_mou, actor=w.staff)
