"""Each authority signs as itself: one deployment, two communes, each with its own certificate
(SIGNING_AUTHORITIES_FILE); a certificate of one is refused for the other, whether the server
signs with it or staff upload what they signed with it; an authority without a signer on the
server signs by download, its USB token and upload."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partnerships.models import AuditEvent, MouState, PdfRevision, Signature, SignatureMethod
from partnerships.signing.pdf import pades
from partnerships.signing.setup import SigningSetup
from tests.factories.signing import (
    AUTHORITY,
    certify,
    invite,
    mou_page,
    page_text,
    upload_as_authority,
)
from tests.factories.world import bring_to, make_mou
from tests.signing.pdf.pki import PASSPHRASE


@pytest.fixture
def per_authority(signing_settings, pki, tmp_path, monkeypatch):
    """Bến Lức and Thạnh Lợi each with their own PKCS#12 file; no shared signer."""
    monkeypatch.setenv("BEN_LUC_P12", PASSPHRASE)
    monkeypatch.setenv("THANH_LOI_P12", PASSPHRASE)
    signing_settings.SIGNING_AUTHORITY_SHARED = False
    signing_settings.SIGNING_AUTHORITY_PKCS12 = ""

    def configure(authorities: dict, **top):
        path = tmp_path / "authorities.json"
        path.write_text(json.dumps({"authorities": authorities, **top}), encoding="utf-8")
        signing_settings.SIGNING_AUTHORITIES_FILE = str(path)
        return path

    return configure


def p12(pki, label: str, env: str) -> dict:
    return {"pkcs12": str(pki.pkcs12(label)), "passphrase_env": env}


@pytest.fixture
def thanh_loi_mou(world):
    return bring_to(make_mou(world.thanh_loi, world.garment), MouState.SENT)


def test_two_authorities_each_sign_as_themselves(
    client_as, world, sent_mou, thanh_loi_mou, per_authority, pki
):
    per_authority(
        {
            str(world.ben_luc.pk): p12(pki, "authority", "BEN_LUC_P12"),
            str(world.thanh_loi.pk): p12(pki, "authority_thanh_loi", "THANH_LOI_P12"),
        }
    )

    assert certify(client_as(world.staff), sent_mou).status_code == 302
    assert certify(client_as(world.other_staff), thanh_loi_mou).status_code == 302

    ben_luc = Signature.objects.get(mou=sent_mou)
    thanh_loi = Signature.objects.get(mou=thanh_loi_mou)
    assert "UBND xã Bến Lức" in ben_luc.certificate_subject
    assert "UBND xã Thạnh Lợi" in thanh_loi.certificate_subject
    verdict = SigningSetup.from_settings().verify(bytes(thanh_loi.revision.pdf))
    assert verdict.ok, verdict.as_dict()
    assert verdict.signatures[0].signer_name == "Trần Văn Lợi"


def test_a_server_signer_of_another_authority_is_refused_before_signing(
    client_as, world, thanh_loi_mou, per_authority, pki
):
    # A mistake in the file: Thạnh Lợi's entry names Bến Lức's certificate.
    per_authority({str(world.thanh_loi.pk): p12(pki, "authority", "BEN_LUC_P12")})

    follow = certify(client_as(world.other_staff), thanh_loi_mou, follow=True)

    text = page_text(follow)
    assert "does not belong to UBND xã Thạnh Lợi" in text
    assert "UBND xã Bến Lức" in text  # the subject the certificate does name
    assert not PdfRevision.objects.filter(mou=thanh_loi_mou).exists()
    assert not Signature.objects.filter(mou=thanh_loi_mou).exists()


def test_the_rule_can_be_set_per_authority(client_as, world, thanh_loi_mou, per_authority, pki):
    # Thạnh Lợi's certificates name it otherwise: its own rule accepts them.
    per_authority(
        {
            str(world.thanh_loi.pk): p12(pki, "authority_thanh_loi", "THANH_LOI_P12")
            | {"rule": {"attributes": ["common_name"], "equals": "Trần Văn Lợi"}}
        },
        rule={"attributes": ["organization_name"], "equals": "{name} (không khớp)"},
    )

    assert certify(client_as(world.other_staff), thanh_loi_mou).status_code == 302
    assert Signature.objects.filter(mou=thanh_loi_mou).exists()


def test_the_authority_signs_with_its_own_key_on_a_token(
    client_as, world, sent_mou, thanh_loi_mou, per_authority, softhsm_token, monkeypatch
):
    monkeypatch.setenv("TOKEN_PIN", softhsm_token.pin)
    token = {
        "pkcs11": {
            "module": softhsm_token.module,
            "token": softhsm_token.label,
            "pin_env": "TOKEN_PIN",
            "key_label": softhsm_token.key_label,
        }
    }
    # The token holds Bến Lức's key: it signs for Bến Lức, never for Thạnh Lợi.
    per_authority({str(world.ben_luc.pk): token, str(world.thanh_loi.pk): token})

    assert certify(client_as(world.staff), sent_mou).status_code == 302
    follow = certify(client_as(world.other_staff), thanh_loi_mou, follow=True)

    assert Signature.objects.get(mou=sent_mou).signer_name == "Võ Minh Tâm"
    assert "does not belong to UBND xã Thạnh Lợi" in page_text(follow)
    assert not PdfRevision.objects.filter(mou=thanh_loi_mou).exists()


def test_an_authority_without_a_signer_is_offered_the_upload(
    client_as, world, thanh_loi_mou, per_authority, pki
):
    per_authority({str(world.ben_luc.pk): p12(pki, "authority", "BEN_LUC_P12")})
    staff = client_as(world.other_staff)

    page = page_text(staff.get(mou_page(thanh_loi_mou)))

    assert "No signing certificate of this authority is configured on the server" in page
    assert "Sign as the authority</button>" not in page
    assert reverse("mou_authority_upload", args=[thanh_loi_mou.pk]) in page
    assert reverse("signable_pdf", args=[thanh_loi_mou.pk]) in page
    assert "organization_name equals “UBND xã Thạnh Lợi”" in page


def test_staff_upload_what_they_signed_and_the_signing_goes_on(
    client_as, world, thanh_loi_mou, per_authority, signer_for
):
    per_authority({})
    staff = client_as(world.other_staff)
    sent = staff.get(reverse("signable_pdf", args=[thanh_loi_mou.pk]))
    sent_pdf = b"".join(sent.streaming_content) if sent.streaming else sent.content
    signed = pades.certify_as_authority(
        sent_pdf, signer_for("authority_thanh_loi"), **AUTHORITY | {"signer_name": "Lợi"}
    )

    response = upload_as_authority(staff, thanh_loi_mou, signed, follow=True)

    assert "The authority&#x27;s signed PDF was accepted" in page_text(response)
    revision = PdfRevision.objects.get(mou=thanh_loi_mou)
    assert bytes(revision.pdf) == signed
    assert revision.created_by == world.other_staff
    signature = Signature.objects.get(mou=thanh_loi_mou)
    assert signature.is_verified and signature.method == SignatureMethod.CERTIFICATE
    assert signature.signer_name == "Trần Văn Lợi"
    event = AuditEvent.objects.get(mou=thanh_loi_mou, action="mou.authority_signed_upload")
    assert event.actor == world.other_staff
    assert event.details["sha256"] == revision.sha256
    # The business is invited next, as after the server's certification.
    assert invite(staff, thanh_loi_mou).link


def test_an_upload_signed_by_another_authority_is_refused(
    client_as, world, thanh_loi_mou, per_authority, signer_for, flow
):
    per_authority({})
    signed = pades.certify_as_authority(
        bytes(thanh_loi_mou.signable_document.pdf), signer_for("authority"), **AUTHORITY
    )

    response = upload_as_authority(client_as(world.other_staff), thanh_loi_mou, signed, follow=True)

    assert "does not belong to UBND xã Thạnh Lợi" in page_text(response)
    assert not PdfRevision.objects.filter(mou=thanh_loi_mou).exists()
    assert not AuditEvent.objects.filter(action="mou.authority_signed_upload").exists()


def test_an_upload_signed_by_a_business_is_refused(
    client_as, world, sent_mou, per_authority, signer_for
):
    per_authority({})
    signed = pades.certify_as_authority(
        bytes(sent_mou.signable_document.pdf), signer_for("business"), **AUTHORITY
    )

    response = upload_as_authority(client_as(world.staff), sent_mou, signed, follow=True)

    assert "does not belong to UBND xã Bến Lức" in page_text(response)
    assert not PdfRevision.objects.filter(mou=sent_mou).exists()


def test_an_upload_on_a_stale_page_is_a_conflict(
    client_as, world, sent_mou, per_authority, signer_for, pki
):
    per_authority({str(world.ben_luc.pk): p12(pki, "authority", "BEN_LUC_P12")})
    staff = client_as(world.staff)
    staff.get(mou_page(sent_mou))
    signed = pades.certify_as_authority(
        bytes(sent_mou.signable_document.pdf), signer_for("authority"), **AUTHORITY
    )
    assert certify(client_as(world.staff), sent_mou).status_code == 302  # a colleague
    # The upload from the page loaded before.
    response = staff.post_by_hand(
        reverse("mou_authority_upload", args=[sent_mou.pk]),
        {"expected_revision": 0, "pdf": SimpleUploadedFile("signed.pdf", signed)},
        follow=True,
    )

    assert PdfRevision.objects.filter(mou=sent_mou).count() == 1
    assert bytes(PdfRevision.objects.get(mou=sent_mou).pdf) != signed
    assert "The authority has already signed" in page_text(response) or (
        "Someone else signed" in page_text(response)
    )


def test_only_the_authoritys_staff_may_upload(client_as, world, sent_mou, per_authority):
    per_authority({})
    outsider = client_as(world.other_staff)

    response = outsider.post_by_hand(
        reverse("mou_authority_upload", args=[sent_mou.pk]), {"expected_revision": 0}
    )

    assert response.status_code in (403, 404)
    assert not PdfRevision.objects.filter(mou=sent_mou).exists()


def test_a_broken_authorities_file_is_a_message_not_a_crash(
    client_as, world, sent_mou, signing_settings, tmp_path
):
    broken = tmp_path / "authorities.json"
    broken.write_text("{not json", encoding="utf-8")
    signing_settings.SIGNING_AUTHORITIES_FILE = str(broken)

    staff = client_as(world.staff)

    page = page_text(staff.get(mou_page(sent_mou)))
    follow = staff.post_by_hand(
        reverse("mou_certify", args=[sent_mou.pk]), {"expected_revision": 0}, follow=True
    )

    assert "SIGNING_AUTHORITIES_FILE" in page
    assert "Sign as the authority</button>" not in page
    assert "SIGNING_AUTHORITIES_FILE" in page_text(follow)
    assert not PdfRevision.objects.filter(mou=sent_mou).exists()


def test_a_missing_passphrase_variable_is_named(client_as, world, sent_mou, per_authority, pki):
    per_authority({str(world.ben_luc.pk): p12(pki, "authority", "NOT_SET_ANYWHERE")})

    page = page_text(client_as(world.staff).get(mou_page(sent_mou)))

    assert "NOT_SET_ANYWHERE" in page
