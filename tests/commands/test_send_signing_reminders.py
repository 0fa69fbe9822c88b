"""send_signing_reminders, run from cron: the signer is reminded once before the link
expires, with a link that works; staff are told once of a link that expired unanswered."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from partnerships.models import AuditEvent, InvitationOutcome, MouState, SigningInvitation
from partnerships.models.signing import token_digest
from partnerships.signing.invitations import find_invitation
from tests.factories import bring_to


@pytest.fixture
def sent_mou(world, settings):
    settings.PUBLIC_BASE_URL = "https://registry.example.org"
    settings.SIGNING_REMINDER_DAYS = 3
    world.staff.email = "staff@benluc.example.org"
    world.staff.save()
    world.other_staff.email = "other@thanhloi.example.org"
    world.other_staff.save()
    return bring_to(world.mou, MouState.SENT)


def invitation_expiring_in(mou, delta: timedelta, token: str, **fields) -> SigningInvitation:
    contact = mou.partner_signatory
    return SigningInvitation.objects.create(
        mou=mou,
        contact=contact,
        email=contact.email,
        token_hash=token_digest(token),
        expires_at=timezone.now() + delta,
        **fields,
    )


def run_twice() -> list[str]:
    outputs = []
    for _run in range(2):
        with TestCase.captureOnCommitCallbacks(execute=True):
            call_command("send_signing_reminders", stdout=(out := _Out()))
        outputs.append(out.text)
    return outputs


class _Out:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text


def test_the_signer_is_reminded_once_with_a_link_that_works(sent_mou):
    invitation = invitation_expiring_in(sent_mou, timedelta(days=2), "first-link-token")

    first, second = run_twice()

    assert "1 reminder(s) sent" in first and "0 reminder(s) sent" in second
    [email] = mail.outbox
    assert email.to == ["hoa@example.com"]
    assert email.subject == f"Nhắc việc: bản ghi nhớ {sent_mou.document_number} đang chờ ông/bà ký"
    new_token = re.search(r"https://registry\.example\.org/sign/([^/\s]+)/", email.body).group(1)
    assert find_invitation(new_token) == invitation
    assert find_invitation("first-link-token") is None  # replaced, as the email says
    assert new_token in email.alternatives[0][0]
    invitation.refresh_from_db()
    assert invitation.reminded_at is not None
    assert AuditEvent.objects.filter(action="mou.signing_reminder_sent").count() == 1


def test_the_reminder_is_in_the_contacts_language(sent_mou):
    sent_mou.partner_signatory.language = "en"
    sent_mou.partner_signatory.save()
    invitation_expiring_in(sent_mou, timedelta(days=1), "some-token")

    run_twice()

    [email] = mail.outbox
    assert email.subject == (
        f"Reminder: MoU {sent_mou.document_number} is waiting for your signature"
    )


def test_links_far_from_expiry_or_already_answered_are_left_alone(sent_mou):
    invitation_expiring_in(sent_mou, timedelta(days=10), "fresh-token")
    invitation_expiring_in(
        sent_mou,
        timedelta(days=1),
        "used-token",
        used_at=timezone.now(),
        outcome=InvitationOutcome.DECLINED,
    )
    invitation_expiring_in(sent_mou, timedelta(days=1), "replaced-token", revoked_at=timezone.now())

    run_twice()

    assert mail.outbox == []


def test_staff_of_the_authority_are_told_once_of_an_expired_link(sent_mou):
    invitation = invitation_expiring_in(sent_mou, timedelta(hours=-1), "expired-token")

    first, second = run_twice()

    assert "1 expiry notice(s) sent" in first and "0 expiry notice(s) sent" in second
    [email] = mail.outbox  # not the other commune's staff
    assert email.to == ["staff@benluc.example.org"]
    assert email.subject == (
        f"Lời mời ký bản ghi nhớ {sent_mou.document_number} đã hết hạn mà chưa được trả lời"
    )
    assert "Nguyễn Thị Hoa" in email.body
    invitation.refresh_from_db()
    assert invitation.expiry_notified_at is not None
    assert invitation.reminded_at is None  # too late for a reminder
    event = AuditEvent.objects.get(action="mou.invitation_expired")
    assert event.mou == sent_mou


def test_nothing_is_sent_for_an_mou_no_longer_waiting_for_signatures(sent_mou):
    invitation_expiring_in(sent_mou, timedelta(hours=-1), "expired-token")
    invitation_expiring_in(sent_mou, timedelta(days=1), "open-token")
    type(sent_mou).objects.filter(pk=sent_mou.pk).update(state=MouState.CANCELLED)

    run_twice()

    assert mail.outbox == []
