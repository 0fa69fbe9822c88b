"""The business signs with its own certificate: it downloads the PDF the authority signed
from its link, signs it elsewhere (here: pyHanko with the test PKI's business certificate, as
a USB token's app would), and uploads it. A file that is not exactly that is refused with
its own reason, and nothing changes."""

import pytest
from django.urls import reverse

from partnerships.models import (
    AuditEvent,
    InvitationOutcome,
    MouState,
    PdfRevision,
    RevisionKind,
    Signature,
    SignatureMethod,
    SigningInvitation,
)
from partnerships.signing.pdf import pades
from tests.factories.signing import anonymous, certify, invite, page_text, signer_get, upload
from tests.signing.pdf import attacks, tampering


@pytest.fixture
def invited(client_as, world, sent_mou, signing_settings):
    staff = client_as(world.staff)
    assert certify(staff, sent_mou).status_code == 302
    invitation = invite(staff, sent_mou)
    business = anonymous()
    prepared = signer_get(business, invitation.token, "invitation_document").content
    return sent_mou, invitation, business, prepared


def snapshot(mou):
    mou.refresh_from_db()
    return (
        mou.state,
        list(PdfRevision.objects.filter(mou=mou).values_list("sequence", "sha256")),
        list(Signature.objects.filter(mou=mou).values_list("party", "method")),
        list(SigningInvitation.objects.filter(mou=mou).values_list("used_at", "outcome")),
    )


def test_the_business_uploads_the_pdf_it_signed_and_the_mou_is_signed(
    invited, signer_for, client_as, world
):
    mou, invitation, business, prepared = invited
    assert prepared == bytes(PdfRevision.objects.get(mou=mou, sequence=1).pdf)
    signed = pades.sign_as_business(prepared, signer_for("business"))

    response = upload(business, invitation.token, signed)

    assert response.status_code == 302, page_text(response)[:3000]
    mou.refresh_from_db()
    assert mou.state == MouState.SIGNED
    chain = list(PdfRevision.objects.filter(mou=mou).order_by("sequence"))
    assert [revision.kind for revision in chain] == [
        RevisionKind.AUTHORITY_CERTIFICATION,
        RevisionKind.BUSINESS_SIGNATURE,
        RevisionKind.ARCHIVE_TIMESTAMP,
    ]
    assert bytes(chain[1].pdf) == signed  # stored as uploaded
    assert bytes(chain[2].pdf).startswith(signed)
    signature = Signature.objects.get(mou=mou, party="business")
    assert signature.method == SignatureMethod.CERTIFICATE
    assert signature.signer_name == "Nguyễn Thị Hoa"
    assert "MST:0312345678" in signature.certificate_subject
    assert signature.is_verified and signature.revision == chain[1]
    event = AuditEvent.objects.get(mou=mou, action="mou.business_signed")
    assert event.details["sha256"] == chain[1].sha256
    assert event.details["ip"] == "127.0.0.1"
    assert SigningInvitation.objects.get().outcome == InvitationOutcome.SIGNED_WITH_CERTIFICATE
    # The business's account sees the final PDF on the MoU page too.
    owner = client_as(world.business)
    assert "Download the signed PDF" in page_text(owner.get(mou.get_absolute_url()))
    assert owner.get(reverse("mou_final_pdf", args=[mou.pk])).content == bytes(chain[2].pdf)


@pytest.mark.parametrize(
    ("make_upload", "message"),
    [
        (
            lambda prepared, signer_for: tampering.flip_a_signed_byte(
                pades.sign_as_business(prepared, signer_for("business"))
            ),
            "The signature does not match the document",
        ),
        (
            lambda prepared, signer_for: pades.sign_as_business(prepared, signer_for("other")),
            "The signing certificate does not belong to this business: its tax code "
            "0312345678 is not in the certificate.",
        ),
        (
            lambda prepared, signer_for: tampering.append_page_content(
                pades.sign_as_business(prepared, signer_for("business"))
            ),
            "Part of the document (a page, its content or another object) was changed",
        ),
        (
            lambda prepared, signer_for: attacks.planted_in_upload(
                prepared, signer_for("business"), attacks.plant_white_box
            )[0],
            "A signed part of the file holds hidden objects that nothing uses",
        ),
        (
            lambda prepared, signer_for: attacks.annotation_in_upload(
                prepared, signer_for("business")
            ),
            "An annotation (a comment, a stamp or a drawing over the page) was added",
        ),
        (
            lambda prepared, signer_for: pades.sign_as_business(prepared, signer_for("revoked")),
            "The signing certificate has been revoked.",
        ),
        (lambda prepared, signer_for: prepared, "The file has no new signature"),
        (lambda prepared, signer_for: b"PK\x03\x04 not a pdf", "The file is not a PDF."),
    ],
    ids=[
        "tampered",
        "another business",
        "page changed",
        "planted objects",
        "annotation",
        "revoked",
        "unsigned",
        "not a pdf",
    ],
)
def test_an_upload_that_is_not_the_signed_pdf_is_refused_and_nothing_changes(
    invited, signer_for, make_upload, message
):
    mou, invitation, business, prepared = invited
    before = snapshot(mou)

    response = upload(business, invitation.token, make_upload(prepared, signer_for))

    assert response.status_code == 400
    assert message in page_text(response)
    assert snapshot(mou) == before
    assert not AuditEvent.objects.filter(mou=mou, action="mou.business_signed").exists()
    # The link still works for another try.
    assert signer_get(business, invitation.token).status_code == 200


def test_a_pdf_signed_from_another_base_is_refused(invited, signer_for, world):
    mou, invitation, business, _prepared = invited
    before = snapshot(mou)
    other_base = pades.certify_as_authority(
        bytes(mou.signable_document.pdf),
        signer_for("authority"),
        signer_name="Võ Minh Tâm",
        position="Chủ tịch",
        verification_url="https://registry.example.org/v/other/",
    )

    response = upload(
        business, invitation.token, pades.sign_as_business(other_base, signer_for("business"))
    )

    assert response.status_code == 400
    assert "The file is not the document we sent" in page_text(response)
    assert snapshot(mou) == before


def test_an_upload_too_large_is_refused(invited, settings):
    _mou, invitation, business, prepared = invited
    settings.SIGNING_MAX_UPLOAD_MB = 0

    response = upload(business, invitation.token, prepared + b"%" * 10)

    assert response.status_code == 400
    assert "larger than 0 MB" in page_text(response)
