"""Two signatures on the same MoU at the same moment: one wins, the other is told plainly
and nothing of it is stored; the stored PDF stays an unbroken chain."""

import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from partnerships.models import (
    Mou,
    MouState,
    PdfRevision,
    Signature,
    SigningInvitation,
)
from partnerships.mous.lifecycle import MouError
from partnerships.signing import business, revisions
from partnerships.signing.pdf import pades
from partnerships.signing.revisions import SIGNING_CONFLICT, SigningConflict
from tests.factories import bring_to, make_mou, make_user
from tests.factories.signing import (
    anonymous,
    certify,
    confirm_code,
    invite,
    page_text,
    request_code,
    upload,
)

EVIDENCE = business.Evidence(ip="127.0.0.1", user_agent="test")


@pytest.fixture
def invited(client_as, world, sent_mou, signing_settings):
    staff = client_as(world.staff)
    assert certify(staff, sent_mou).status_code == 302
    return sent_mou, invite(staff, sent_mou)


def test_a_page_loaded_before_the_authority_signed_gets_a_conflict(
    client_as, world, sent_mou, signing_settings
):
    staff = client_as(world.staff)
    assert certify(staff, sent_mou).status_code == 302
    stored = bytes(PdfRevision.objects.get(mou=sent_mou).pdf)

    # A colleague's page still showed "not signed yet" (revision 0) and its button.
    colleague = client_as(world.staff)
    response = colleague.post_by_hand(
        reverse("mou_certify", args=[sent_mou.pk]), {"expected_revision": 0}
    )

    assert response.status_code == 302
    follow = page_text(colleague.get(sent_mou.get_absolute_url())).replace("&#x27;", "'")
    assert str(SIGNING_CONFLICT) in follow
    assert PdfRevision.objects.filter(mou=sent_mou).count() == 1
    assert bytes(PdfRevision.objects.get(mou=sent_mou).pdf) == stored
    assert Signature.objects.filter(mou=sent_mou).count() == 1


def test_a_signature_made_on_a_stale_revision_is_refused(invited, signer_for):
    mou, invitation = invited
    browser = anonymous()
    code = request_code(browser, invitation.token)

    # The page was loaded when revision 0 was the latest (before the authority signed).
    response = confirm_code(browser, invitation.token, code, expected_revision=0)

    assert response.status_code == 409
    assert str(SIGNING_CONFLICT) in page_text(response).replace("&#x27;", "'")
    assert PdfRevision.objects.filter(mou=mou).count() == 1
    mou.refresh_from_db()
    assert mou.state == MouState.SENT


def test_a_stale_revision_is_a_signing_conflict_not_just_any_refusal(
    world, sent_mou, signing_settings
):
    from partnerships.signing import authority

    authority.certify(sent_mou, actor=world.staff, expected_sequence=0)
    # A second certification made from a page that still showed revision 0.
    with pytest.raises(SigningConflict):
        authority.certify(sent_mou, actor=world.staff, expected_sequence=0)
    # Other refusals stay plain MouErrors, so pages answer them 400, not 409.
    with pytest.raises(MouError) as refused:
        authority.certify(sent_mou, actor=world.staff, expected_sequence=1)
    assert not isinstance(refused.value, SigningConflict)
    assert PdfRevision.objects.filter(mou=sent_mou).count() == 1


def test_the_revision_is_checked_again_under_the_lock(invited, signer_for, monkeypatch):
    """Deterministic race: the business's upload is checked against revision 1, then, before
    it is stored, the seal is stored (as a parallel request would). The upload loses."""
    mou, invitation = invited
    browser = anonymous()
    prepared = bytes(PdfRevision.objects.get(mou=mou, sequence=1).pdf)
    signed = pades.sign_as_business(prepared, signer_for("business"))
    code = request_code(browser, invitation.token)
    original = business.locked_for_signing
    state = {"raced": False}

    def locked_after_a_parallel_seal(locked_mou, *, expected_sequence):
        if not state["raced"]:
            state["raced"] = True
            assert confirm_code(browser, invitation.token, code).status_code == 302
        return original(locked_mou, expected_sequence=expected_sequence)

    monkeypatch.setattr(business, "locked_for_signing", locked_after_a_parallel_seal)
    response = upload(anonymous(), invitation.token, signed)

    # The uploader is told the MoU is signed already, on the page with its outcome.
    assert response.status_code == 409
    assert "Nothing was signed twice." in page_text(response)
    assert 'data-testid="signed"' in page_text(response)
    mou.refresh_from_db()
    assert mou.state == MouState.SIGNED
    assert Signature.objects.get(mou=mou, party="business").method == "registry_seal"
    assert PdfRevision.chain_problems(mou) == []
    assert not PdfRevision.objects.filter(mou=mou, sha256=revisions.sha256_hex(signed)).exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lacks row locks (SELECT ... FOR UPDATE); the real race runs on PostgreSQL",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_signatures_at_the_same_moment_one_wins(
    world, signing_settings, signer_for, monkeypatch
):
    staff = make_user("race_staff", "authority_staff", authority=world.ben_luc)
    mou = bring_to(make_mou(world.ben_luc, world.garment, number=77), MouState.SENT)
    from partnerships.signing import authority, invitations

    authority.certify(mou, actor=staff)
    invitation = invitations.send_invitation(mou, actor=staff)
    invitations.send_code(invitation, ip="127.0.0.1", user_agent="test")
    code_row = invitation.codes.get()
    # The code itself is only in the email; make a known one for the test.
    from partnerships.models.signing import code_digest

    type(code_row).objects.filter(pk=code_row.pk).update(
        code_hash=code_digest("123456", salt=code_row.salt)
    )
    prepared = bytes(PdfRevision.objects.get(mou=mou, sequence=1).pdf)
    signed = pades.sign_as_business(prepared, signer_for("business"))

    barrier = threading.Barrier(2)
    original = business.locked_for_signing

    def together(locked_mou, *, expected_sequence):
        # Both have made and verified their signature; now both try to store it at once.
        barrier.wait(timeout=60)
        return original(locked_mou, expected_sequence=expected_sequence)

    monkeypatch.setattr(business, "locked_for_signing", together)
    outcomes = []

    def attempt(kind):
        try:
            own = SigningInvitation.objects.select_related(
                "mou__partner", "mou__authority", "mou__partner_signatory", "contact"
            ).get(pk=invitation.pk)
            with translation.override("en"):
                try:
                    if kind == "seal":
                        business.seal_with_code(
                            own, code="123456", consent=True, expected_sequence=1, evidence=EVIDENCE
                        )
                    else:
                        business.accept_upload(
                            own, uploaded=signed, expected_sequence=1, evidence=EVIDENCE
                        )
                except MouError as error:
                    outcomes.append(("refused", str(error.message)))
                else:
                    outcomes.append(("signed", kind))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(kind,)) for kind in ("seal", "upload")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(kind for kind, _detail in outcomes) == ["refused", "signed"], outcomes
    with translation.override("en"):
        assert ("refused", str(SIGNING_CONFLICT)) in outcomes
    mou = Mou.objects.get(pk=mou.pk)
    assert mou.state == MouState.SIGNED
    assert Signature.objects.filter(mou=mou, party="business").count() == 1
    assert PdfRevision.chain_problems(mou) == []
    assert PdfRevision.objects.filter(mou=mou).count() == 3  # certified, signed, archived
