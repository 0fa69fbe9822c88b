"""Who may do what in the signing flow: the MoU's authority staff sign and invite; the
business sees its final PDF; outsiders get 404; and without a configured signer the page
explains what to configure instead of failing."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from partnerships.models import MouState, PdfRevision
from partnerships.mous import lifecycle
from partnerships.mous.lifecycle import MouError
from partnerships.signing import authority, invitations
from tests.factories.signing import (
    anonymous,
    certify,
    confirm_code,
    invite,
    mou_page,
    page_text,
    request_code,
)


@pytest.fixture
def signed_mou(client_as, world, sent_mou, signing_settings):
    staff = client_as(world.staff)
    certify(staff, sent_mou)
    invitation = invite(staff, sent_mou)
    browser = anonymous()
    confirm_code(browser, invitation.token, request_code(browser, invitation.token))
    sent_mou.refresh_from_db()
    assert sent_mou.state == MouState.SIGNED
    return sent_mou


def staff_urls(mou):
    return [
        ("post_by_hand", reverse("mou_certify", args=[mou.pk])),
        ("post_by_hand", reverse("mou_invite", args=[mou.pk])),
        ("get", reverse("mou_revision_pdf", args=[mou.pk, 1])),
    ]


def party_urls(mou):
    return [
        ("get", reverse("mou_final_pdf", args=[mou.pk])),
        ("get", reverse("mou_certificate_pdf", args=[mou.pk])),
    ]


@pytest.mark.parametrize("outsider", ["other_staff", "other_business", "other_province_official"])
def test_outsiders_get_404_everywhere(signed_mou, client_as, world, outsider):
    browser = client_as(getattr(world, outsider))
    for method, url in staff_urls(signed_mou) + party_urls(signed_mou):
        assert getattr(browser, method)(url).status_code == 404, url


def test_anonymous_users_are_sent_to_log_in(signed_mou):
    for method, url in staff_urls(signed_mou) + party_urls(signed_mou):
        response = getattr(anonymous(), method)(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_the_business_may_not_sign_for_the_authority_or_invite(
    client_as, world, sent_mou, signing_settings
):
    browser = client_as(world.business)
    assert "Sign as the authority</button>" not in page_text(browser.get(mou_page(sent_mou)))
    certify_url = reverse("mou_certify", args=[sent_mou.pk])
    assert browser.post_by_hand(certify_url, {"expected_revision": 0}).status_code == 403
    assert browser.post_by_hand(reverse("mou_invite", args=[sent_mou.pk])).status_code == 403
    assert not PdfRevision.objects.filter(mou=sent_mou).exists()


def test_the_business_gets_the_final_pdf_but_not_the_revisions(signed_mou, client_as, world):
    browser = client_as(world.business)
    assert browser.get(reverse("mou_final_pdf", args=[signed_mou.pk])).status_code == 200
    assert browser.get(reverse("mou_revision_pdf", args=[signed_mou.pk, 1])).status_code == 404
    page = page_text(browser.get(signed_mou.get_absolute_url()))
    assert "Stored revisions of the PDF" not in page


def test_the_official_of_the_province_reads_the_final_pdf(signed_mou, client_as, world):
    browser = client_as(world.official)
    assert browser.get(reverse("mou_final_pdf", args=[signed_mou.pk])).status_code == 200
    certify_url = reverse("mou_certify", args=[signed_mou.pk])
    assert browser.post_by_hand(certify_url, {"expected_revision": 0}).status_code == 403


def test_there_is_no_final_pdf_before_both_signed(client_as, world, sent_mou, signing_settings):
    staff = client_as(world.staff)
    certify(staff, sent_mou)
    assert staff.get(reverse("mou_final_pdf", args=[sent_mou.pk])).status_code == 404
    assert staff.get(reverse("mou_certificate_pdf", args=[sent_mou.pk])).status_code == 404


def test_without_a_signer_the_page_says_what_to_configure(client_as, world, sent_mou, settings):
    settings.SIGNING_AUTHORITY_PKCS12 = ""
    settings.SIGNING_AUTHORITY_PKCS11_MODULE = ""
    settings.SIGNING_SEAL_PKCS12 = ""
    staff = client_as(world.staff)

    page = page_text(staff.get(sent_mou.get_absolute_url()))

    assert "No signing certificate of this authority is configured on the server" in page
    assert "SIGNING_AUTHORITIES_FILE" in page
    assert "Sign as the authority</button>" not in page
    # Nor can an upload be checked without trust roots: the page says so.
    assert "Signing with the authority's USB token is not available" in page
    assert "SIGNING_TRUST_ROOTS" in page
    # Pressing the button anyway (an old page) explains too, and changes nothing.
    follow = staff.post_by_hand(
        reverse("mou_certify", args=[sent_mou.pk]), {"expected_revision": 0}, follow=True
    )
    assert "SIGNING_AUTHORITIES_FILE" in page_text(follow)
    assert not PdfRevision.objects.filter(mou=sent_mou).exists()


def test_a_broken_signer_file_is_a_message_not_a_crash(
    client_as, world, sent_mou, signing_settings, tmp_path
):
    broken = tmp_path / "broken.p12"
    broken.write_bytes(b"not a pkcs12 file")
    signing_settings.SIGNING_AUTHORITY_PKCS12 = str(broken)
    staff = client_as(world.staff)

    follow = certify(staff, sent_mou, follow=True)

    assert follow.status_code == 200
    assert "cannot be opened: the passphrase is wrong or the file is damaged" in page_text(follow)
    assert not PdfRevision.objects.filter(mou=sent_mou).exists()


def test_an_invitation_needs_the_authority_signature_first(
    client_as, world, sent_mou, signing_settings
):
    staff = client_as(world.staff)
    # The page offers no invitation yet; a request made anyway is refused with the reason.
    follow = staff.post_by_hand(reverse("mou_invite", args=[sent_mou.pk]), follow=True)
    assert "The authority has not signed yet" in page_text(follow)
    assert not sent_mou.invitations.exists()


def test_an_invitation_needs_an_email_address(client_as, world, sent_mou, signing_settings):
    staff = client_as(world.staff)
    certify(staff, sent_mou)
    sent_mou.partner_signatory.email = ""
    sent_mou.partner_signatory.save()
    page = page_text(staff.get(mou_page(sent_mou)))
    assert "has no email address" in page
    assert "Send the invitation</button>" not in page
    # A page loaded before the address was removed still had the button.
    follow = staff.post_by_hand(reverse("mou_invite", args=[sent_mou.pk]), follow=True)
    assert "has no email address" in page_text(follow)


def test_a_signed_pdf_cannot_be_recalled_to_draft(client_as, world, sent_mou, signing_settings):
    certify(client_as(world.staff), sent_mou)
    sent_mou.refresh_from_db()
    with pytest.raises(MouError, match="Cancel this MoU and draft a new one"):
        lifecycle.perform(sent_mou, "recall", actor=world.staff)


def test_the_completion_certificate_lists_signers_hashes_and_events(signed_mou, client_as, world):
    from tests.factories import pdf_layout_text

    response = client_as(world.staff).get(reverse("mou_certificate_pdf", args=[signed_mou.pk]))

    assert response.status_code == 200
    text = " ".join(pdf_layout_text(response.content).split())
    for revision in signed_mou.pdf_revisions.all():
        assert revision.sha256[:40] in text.replace(" ", "")
    assert "Nguyễn Thị Hoa" in text
    assert "127.0.0.1" in text
    # Made once and kept.
    again = client_as(world.business).get(reverse("mou_certificate_pdf", args=[signed_mou.pk]))
    assert again.content == response.content


@pytest.mark.parametrize("who", ["other_staff", "official", "business"])
def test_the_signing_services_themselves_refuse_anyone_but_the_mous_staff(
    world, sent_mou, signing_settings, who
):
    with pytest.raises(PermissionDenied):
        authority.certify(sent_mou, actor=getattr(world, who))
    with pytest.raises(PermissionDenied):
        invitations.send_invitation(sent_mou, actor=getattr(world, who))
    assert not PdfRevision.objects.filter(mou=sent_mou).exists()
    assert not sent_mou.invitations.exists()


def test_the_mou_pdf_command_writes_the_final_pdf_and_the_certificate(signed_mou, tmp_path):
    from django.core.management import call_command

    from partnerships.signing.revisions import final_revision

    final, certificate = tmp_path / "final.pdf", tmp_path / "certificate.pdf"
    call_command("mou_pdf", f"id:{signed_mou.pk}", out=str(final), final=True, stdout=io.StringIO())
    call_command(
        "mou_pdf",
        signed_mou.public_id,
        out=str(certificate),
        certificate=True,
        stdout=io.StringIO(),
    )

    assert final.read_bytes() == bytes(final_revision(signed_mou).pdf)
    assert final.read_bytes() != bytes(signed_mou.signable_document.pdf)
    assert certificate.read_bytes() == bytes(signed_mou.completion_certificate.pdf)
