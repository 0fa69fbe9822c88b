"""The signing flow's emails, as their recipients get them (Django's locmem outbox): HTML and
plain text, in the recipient's language, from the configured sender, sent only once the
change is committed; the signed PDF and certificate attached; the code never in a subject."""

import re

import pytest
from django.core import mail
from django.db import transaction
from django.test import TestCase

from partnerships.models import CompletionCertificate, Contact, MouState, SigningInvitation
from partnerships.signing import invitations
from partnerships.signing.emails import declined_messages
from partnerships.signing.revisions import final_revision
from tests.factories import make_mou
from tests.factories.signing import (
    PUBLIC_BASE_URL,
    anonymous,
    certify,
    confirm_code,
    invite,
    request_code,
    signer_post,
)


@pytest.fixture
def sender(settings):
    settings.REGISTRY_EMAIL_SENDER_NAME = "Sổ đăng ký MoU"
    settings.DEFAULT_FROM_EMAIL = "noreply@registry.example.org"


@pytest.fixture
def certified(client_as, world, sent_mou, signing_settings, sender):
    staff = client_as(world.staff)
    assert certify(staff, sent_mou).status_code == 302
    return sent_mou, staff


def _staff_with_email(world, *, language):
    world.staff.email = "staff@benluc.example.org"
    world.staff.save()
    world.staff.profile.language = language
    world.staff.profile.save()


def html_of(message) -> str:
    (html, mimetype), *_rest = message.alternatives
    assert mimetype == "text/html"
    return html


def _self_contained(html: str) -> None:
    """No image, style sheet or script is fetched from anywhere; links go to the registry."""
    assert "<img" not in html and "<link" not in html and "<script" not in html
    for href in re.findall(r'href="([^"]+)"', html):
        assert href.startswith(PUBLIC_BASE_URL), href


def test_the_invitation_is_html_and_text_in_the_contacts_language(certified, world):
    mou, staff = certified
    Contact.objects.filter(partner=world.garment).update(language="en")

    invitation = invite(staff, mou)

    email = invitation.email
    assert email.from_email == "Sổ đăng ký MoU <noreply@registry.example.org>"
    assert email.to == ["hoa@example.com"]
    assert email.subject == f"Please review and sign MoU {mou.document_number}"
    assert "Dear Nguyễn Thị Hoa," in email.body
    assert invitation.link in email.body
    html = html_of(email)
    assert f'href="{invitation.link}"' in html
    assert "Review and sign" in html
    _self_contained(html)


def test_the_invitation_is_in_vietnamese_by_default(certified):
    mou, staff = certified

    email = invite(staff, mou).email

    assert email.subject == f"Đề nghị xem xét và ký bản ghi nhớ {mou.document_number}"
    assert "Kính gửi Nguyễn Thị Hoa," in email.body
    assert 'lang="vi"' in html_of(email)


def test_no_invitation_email_leaves_when_the_transaction_is_rolled_back(certified, world):
    mou, _staff = certified
    with (
        TestCase.captureOnCommitCallbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        invitations.send_invitation(mou, actor=world.staff)
        raise RuntimeError("something later in the same transaction failed")

    assert mail.outbox == []
    assert not SigningInvitation.objects.exists()


def test_the_code_is_in_the_body_never_in_the_subject(certified):
    mou, staff = certified
    invitation = invite(staff, mou)

    code = request_code(anonymous(), invitation.token)

    email = mail.outbox[-1]
    assert code not in email.subject
    assert not re.search(r"\d{6}", email.subject)
    assert email.subject == f"Mã dùng một lần để ký bản ghi nhớ {mou.document_number}"
    assert code in email.body
    assert code in html_of(email)
    _self_contained(html_of(email))


def test_after_the_last_signature_both_parties_get_the_signed_pdf_and_certificate(certified, world):
    mou, staff = certified
    _staff_with_email(world, language="en")
    invitation = invite(staff, mou)
    business = anonymous()
    code = request_code(business, invitation.token)
    mail.outbox.clear()

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = confirm_code(business, invitation.token, code)
    assert response.status_code == 302

    mou.refresh_from_db()
    assert mou.state == MouState.SIGNED
    final_pdf = bytes(final_revision(mou).pdf)
    certificate_pdf = bytes(CompletionCertificate.objects.get(mou=mou).pdf)
    by_address = {email.to[0]: email for email in mail.outbox}
    assert set(by_address) == {
        "hoa@example.com",
        "staff@benluc.example.org",
    }
    for email in mail.outbox:
        attached = {name: content for name, content, _mimetype in email.attachments}
        stem = mou.document_number.replace("/", "-")
        assert attached == {
            f"{stem}-signed.pdf": final_pdf,
            f"{stem}-certificate.pdf": certificate_pdf,
        }
    business_email = by_address["hoa@example.com"]
    staff_email = by_address["staff@benluc.example.org"]
    assert business_email.subject == f"Bản ghi nhớ {mou.document_number} đã được hai bên ký"
    assert staff_email.subject == f"MoU {mou.document_number} is signed by both parties"
    assert mou.get_absolute_url() in staff_email.body
    assert mou.audit_events.filter(action="mou.signed_copies_emailed").count() == 1


def test_staff_are_told_when_the_business_declines(certified, world):
    mou, staff = certified
    _staff_with_email(world, language="en")
    world.other_staff.email = "other@thanhloi.example.org"
    world.other_staff.save()
    invitation = invite(staff, mou)
    mail.outbox.clear()

    with TestCase.captureOnCommitCallbacks(execute=True):
        signer_post(
            anonymous(),
            invitation.token,
            "invitation_decline",
            {"reason": "Chưa đủ <nhân lực> & vốn"},
            from_the_page=True,
        )

    mou.refresh_from_db()
    assert mou.state == MouState.DECLINED
    [email] = mail.outbox  # staff of the MoU's authority only, not another authority's
    assert email.to == ["staff@benluc.example.org"]
    assert email.subject == f"Công ty May Bến Lức declined MoU {mou.document_number}"
    assert "Chưa đủ <nhân lực> & vốn" in email.body  # plain text is not HTML-escaped
    assert "Chưa đủ &lt;nhân lực&gt; &amp; vốn" in html_of(email)


def test_staff_of_the_successor_hear_about_an_mou_of_a_dissolved_authority(world):
    _staff_with_email(world, language="vi")
    old_mou = make_mou(world.ben_luc_district, world.garment, number=7)

    [email] = declined_messages(old_mou, reason="Giải thể")

    assert email.to == ["staff@benluc.example.org"]
    assert email.subject == f"Công ty May Bến Lức đã từ chối bản ghi nhớ {old_mou.document_number}"
