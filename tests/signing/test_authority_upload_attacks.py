"""Attacks on the authority's signed upload: staff of another authority or the business
posting a properly signed file, a file that is not a PDF, one over the size limit, and an
upload to an MoU that is not waiting for signatures."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partnerships.models import AuditEvent, MouState, PdfRevision, Signature
from partnerships.signing.pdf import pades
from tests.factories.signing import AUTHORITY, page_text, upload_as_authority
from tests.factories.world import make_mou

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_server_signer(signing_settings, tmp_path):
    """No authority signs on the server: every authority is offered the upload."""
    signing_settings.SIGNING_AUTHORITY_SHARED = False
    signing_settings.SIGNING_AUTHORITY_PKCS12 = ""
    path = tmp_path / "authorities.json"
    path.write_text(json.dumps({"authorities": {}}), encoding="utf-8")
    signing_settings.SIGNING_AUTHORITIES_FILE = str(path)
    return signing_settings


def post_upload(browser, mou, pdf: bytes):
    return browser.post_by_hand(
        reverse("mou_authority_upload", args=[mou.pk]),
        {"expected_revision": 0, "pdf": SimpleUploadedFile("signed.pdf", pdf)},
        follow=True,
    )


def nothing_stored(mou) -> bool:
    return not (
        PdfRevision.objects.filter(mou=mou).exists()
        or Signature.objects.filter(mou=mou).exists()
        or AuditEvent.objects.filter(action="mou.authority_signed_upload").exists()
    )


@pytest.mark.parametrize("who", ["other_staff", "business"])
def test_a_well_signed_file_from_anyone_but_the_authoritys_staff_is_refused(
    client_as, world, sent_mou, no_server_signer, signer_for, who
):
    signed = pades.certify_as_authority(
        bytes(sent_mou.signable_document.pdf), signer_for("authority"), **AUTHORITY
    )

    response = client_as(getattr(world, who)).post_by_hand(
        reverse("mou_authority_upload", args=[sent_mou.pk]),
        {"expected_revision": 0, "pdf": SimpleUploadedFile("signed.pdf", signed)},
    )

    assert response.status_code in (403, 404)
    assert nothing_stored(sent_mou)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a pdf at all", "The file is not a PDF."),
        (b"<html><script>x</script>", "The file is not a PDF."),
        (b"%PDF-1.7\n" + b"\x00" * 2000, "The file is not the document that was sent"),
    ],
)
def test_a_file_that_is_not_the_signed_pdf_is_a_message(
    client_as, world, sent_mou, no_server_signer, content, message
):
    response = upload_as_authority(client_as(world.staff), sent_mou, content, follow=True)

    assert response.status_code == 200
    assert message in page_text(response)
    assert "<script>x" not in response.content.decode()
    assert nothing_stored(sent_mou)


def test_a_file_over_the_limit_is_refused_before_it_is_read(
    client_as, world, sent_mou, no_server_signer
):
    no_server_signer.SIGNING_MAX_UPLOAD_MB = 1
    huge = b"%PDF-1.7\n" + b"0" * (1024 * 1024)

    response = upload_as_authority(client_as(world.staff), sent_mou, huge, follow=True)

    assert "larger than 1 MB" in page_text(response)
    assert nothing_stored(sent_mou)


def test_an_mou_that_was_not_sent_takes_no_upload(
    client_as, world, sent_mou, no_server_signer, signer_for
):
    draft = make_mou(world.ben_luc, world.garment, number=77)
    assert draft.state == MouState.DRAFT
    signed = pades.certify_as_authority(
        bytes(sent_mou.signable_document.pdf), signer_for("authority"), **AUTHORITY
    )

    response = post_upload(client_as(world.staff), draft, signed)

    assert response.status_code in (200, 403, 404)
    assert nothing_stored(draft)
