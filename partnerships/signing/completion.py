"""After the last signature: the archive timestamp is stored, the MoU moves to signed, and
both parties are emailed the signed PDF with the completion certificate."""

from django.db import transaction
from django_tasks import task

from partnerships.core.mail import Recipient, send_now
from partnerships.models import InvitationOutcome, Mou, PdfRevision, RevisionKind
from partnerships.mous import lifecycle
from partnerships.mous.lifecycle import record_event
from partnerships.signing.revisions import final_revision, next_basis, store_revision


def finish_signing(
    locked: Mou, *, after: PdfRevision, pdf: bytes, archived: bytes | None
) -> PdfRevision:
    """Inside the signing transaction, with the MoU's row locked and both signatures stored:
    store the archive-timestamped PDF when there is one (made beforehand, see
    business._archive), then move the MoU to signed as the system. The `sign` transition
    checks the verified signatures and the unbroken chain of revisions; if anything is
    wrong it raises and the whole signature is rolled back."""
    final = after
    if archived is not None:
        final = store_revision(
            locked,
            basis=next_basis(after, pdf),
            pdf=archived,
            kind=RevisionKind.ARCHIVE_TIMESTAMP,
        )
        record_event(
            locked,
            action="mou.archive_timestamped",
            actor=None,
            details={
                "revision": final.sequence,
                "sha256": final.sha256,
                "previous_sha256": final.previous_sha256,
            },
        )
    lifecycle.perform(locked, "sign", actor=None)
    # Made and sent in the background once committed: the certificate takes LibreOffice
    # seconds the signer should not wait for, and a rolled-back signature sends nothing.
    mou_id = locked.pk
    transaction.on_commit(lambda: email_signed_mou.enqueue(mou_id))
    return final


def _business_recipients(mou: Mou) -> list[Recipient]:
    """Who signed for the business (the invitation used), else the partner's signatory."""
    invitation = (
        mou.invitations.select_related("contact")
        .filter(
            outcome__in=[
                InvitationOutcome.SIGNED_WITH_SEAL,
                InvitationOutcome.SIGNED_WITH_CERTIFICATE,
            ]
        )
        .first()
    )
    if invitation is not None:
        contact, email = invitation.contact, invitation.email
    else:
        contact = mou.partner_signatory
        email = contact.email if contact else ""
    if not email:
        return []
    return [Recipient(email=email, name=contact.full_name, language=contact.language)]


def send_signed_mou_emails(mou_id: int) -> int:
    """Email both parties (the business's signatory, the authority's staff) the signed PDF
    and the completion certificate, made now if it does not exist yet. Returns how many
    emails were sent; recorded in the audit trail."""
    from partnerships.signing.certificate import completion_certificate
    from partnerships.signing.emails import completion_messages

    mou = Mou.objects.select_related("authority", "partner", "partner_signatory").get(pk=mou_id)
    final = final_revision(mou)
    if final is None:
        return 0
    final_pdf = bytes(mou.pdf_revisions.values_list("pdf", flat=True).get(pk=final.pk))
    certificate = completion_certificate(mou)
    messages = completion_messages(
        mou,
        business=_business_recipients(mou),
        final_pdf=final_pdf,
        certificate_pdf=bytes(certificate.pdf),
    )
    sent = send_now(messages, kind="signed MoU")
    record_event(
        mou,
        action="mou.signed_copies_emailed",
        actor=None,
        details={
            "emails": sent,
            "final_pdf_sha256": final.sha256,
            "certificate_sha256": certificate.sha256,
        },
    )
    return sent


@task()
def email_signed_mou(mou_id: int) -> int:
    """Background task: email both parties the signed PDF and the completion certificate."""
    return send_signed_mou_emails(mou_id)
