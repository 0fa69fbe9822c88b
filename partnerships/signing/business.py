"""The business answers its invitation: the registry's seal confirmed by a one-time code, a
PDF signed with its own certificate, or a decline. The first two end the signing."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerships.models import (
    InvitationOutcome,
    Mou,
    RevisionKind,
    Signature,
    SignatureMethod,
    SignatureParty,
    SigningCode,
    SigningInvitation,
    sha256_hex,
)
from partnerships.mous import lifecycle
from partnerships.mous.lifecycle import MouError, record_event
from partnerships.signing.authority import unverified
from partnerships.signing.completion import finish_signing
from partnerships.signing.invitations import check_code, require_open
from partnerships.signing.pdf import pades
from partnerships.signing.pdf.errors import SigningError
from partnerships.signing.revisions import (
    Basis,
    SigningConflict,
    current_basis,
    locked_for_signing,
    require_authority_signed,
    require_business_unsigned,
    require_sent,
    revision_audit_details,
    store_revision,
)
from partnerships.signing.setup import SigningSetup
from partnerships.signing.upload_verdicts import check_upload

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Evidence:
    """Where a public request came from, kept with what it did."""

    ip: str | None
    user_agent: str

    def as_dict(self) -> dict:
        return {"ip": self.ip, "user_agent": self.user_agent[:300]}


def _ready(invitation: SigningInvitation, expected_sequence: int) -> Basis:
    require_open(invitation)
    mou = invitation.mou
    require_sent(mou)
    require_authority_signed(mou)
    require_business_unsigned(mou)
    basis = current_basis(mou)
    if basis.sequence != expected_sequence:
        raise SigningConflict
    return basis


def _spend(invitation: SigningInvitation, outcome: InvitationOutcome) -> None:
    """Use the link up; a link already used (by a parallel request) is a conflict."""
    spent = SigningInvitation.objects.filter(
        pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True
    ).update(used_at=timezone.now(), outcome=outcome)
    if not spent:
        raise SigningConflict


def seal_wording(mou: Mou) -> tuple[str, str]:
    """What the stamp says of a registry seal for this MoU's signatory (Vietnamese, English):
    the signatory and the business as the document sent names them."""
    parties = mou.parties
    return pades.seal_stamp_wording(
        person_name=parties.signatory_name, company_name=parties.partner_name
    )


def signer_name(invitation: SigningInvitation) -> str:
    """The name the seal's stamp gives the person who signs through `invitation`: the
    representative as the document sent names them, when the link went to that person."""
    mou = invitation.mou
    if invitation.contact_id == mou.partner_signatory_id and mou.parties.signatory_name:
        return mou.parties.signatory_name
    return invitation.contact.full_name


def seal_with_code(
    invitation: SigningInvitation,
    *,
    code: str,
    consent: bool,
    expected_sequence: int,
    evidence: Evidence,
    setup: SigningSetup | None = None,
):
    """Check the one-time code, then sign for the business with the registry's seal.

    Call outside a transaction: a wrong code must count even though this raises. The
    evidence (time, IP address, browser; the code sent and confirmed, never the code) goes
    to the audit trail with the SHA-256 of the sealed PDF.
    """
    setup = setup or SigningSetup.from_settings()
    if not consent:
        raise MouError(_("Tick the box to confirm that you agree to sign."))
    problems = setup.seal_problems()
    if problems:
        raise MouError(" ".join(str(problem) for problem in problems))
    basis = _ready(invitation, expected_sequence)
    signing_code = check_code(invitation, code)
    return apply_registry_seal(
        invitation.mou,
        basis=basis,
        person_name=signer_name(invitation),
        setup=setup,
        evidence=evidence,
        invitation=invitation,
        signing_code=signing_code,
    )


def apply_registry_seal(
    mou: Mou,
    *,
    basis: Basis,
    person_name: str,
    setup: SigningSetup,
    evidence: Evidence,
    invitation: SigningInvitation | None = None,
    signing_code: SigningCode | None = None,
):
    """The registry's seal for the business on `basis`, verified, stored, and the signing
    finished. The public flow reaches it only after a confirmed code; seed_demo directly."""
    company = mou.parties.partner_name
    signed_at = timezone.now().replace(microsecond=0)
    # Sealing, checking and archiving wait for the TSA and the revocation servers: within
    # one time budget, before anything is stored.
    with setup.network_budget():
        try:
            pdf = pades.sign_with_registry_seal(
                basis.pdf,
                setup.seal_signer(),
                person_name=person_name,
                company_name=company,
                verification_url=setup.verification_url(mou),
                signed_at=signed_at,
                **setup.profile(),
            )
        except SigningError as error:
            raise MouError(error.message) from error
        verdict = setup.verify(pdf)
        if not verdict.ok:
            raise unverified(verdict)
        archived = _archive(pdf, setup)
    vietnamese, english = pades.seal_stamp_wording(person_name=person_name, company_name=company)
    with locked_for_signing(mou, expected_sequence=basis.sequence) as locked:
        if signing_code is not None:
            confirmed = SigningCode.objects.filter(
                pk=signing_code.pk, confirmed_at__isnull=True
            ).update(confirmed_at=timezone.now())
            if not confirmed:
                raise SigningConflict
            record_event(
                locked,
                action="mou.signing_code_confirmed",
                actor=None,
                details={"invitation": invitation.pk, "code": signing_code.pk} | evidence.as_dict(),
            )
        if invitation is not None:
            _spend(invitation, InvitationOutcome.SIGNED_WITH_SEAL)
        revision = store_revision(locked, basis=basis, pdf=pdf, kind=RevisionKind.REGISTRY_SEAL)
        Signature.objects.create(
            mou=locked,
            party=SignatureParty.BUSINESS,
            method=SignatureMethod.REGISTRY_SEAL,
            signer_name=person_name,
            signed_at=signed_at,
            is_verified=True,
            revision=revision,
            certificate_subject=verdict.signatures[-1].signer_subject,
        )
        record_event(
            locked,
            action="mou.business_sealed",
            actor=None,
            note=f"{vietnamese} / {english}",
            details={
                "revision": revision.sequence,
                "sha256": revision.sha256,
                "previous_sha256": revision.previous_sha256,
                "person": person_name,
                "company": company,
                "invitation": invitation.pk if invitation else None,
                "code": signing_code.pk if signing_code else None,
                "signed_at": signed_at.isoformat(),
            }
            | evidence.as_dict(),
        )
        finish_signing(locked, after=revision, pdf=pdf, archived=archived)
    return revision


def _archive(pdf: bytes, setup: SigningSetup) -> bytes | None:
    """The archive timestamp (B-LTA) over the fully signed PDF, when a TSA is configured.
    Made before the row is locked: it waits for the TSA and the revocation servers."""
    if not setup.tsa_url:
        return None
    try:
        archived = pades.add_archive_timestamp(
            pdf,
            tsa_url=setup.tsa_url,
            trust_roots=setup.trust_roots,
            other_certs=list(setup.other_certs),
            crls=list(setup.crls),
        )
    except SigningError as error:
        raise MouError(error.message) from error
    verdict = setup.verify(archived)
    if not verdict.ok:
        raise unverified(verdict)
    return archived


def max_upload_mb() -> int:
    """The largest signed PDF a page accepts, in MB (what the pages tell the user)."""
    return settings.SIGNING_MAX_UPLOAD_MB


def max_upload_bytes() -> int:
    return max_upload_mb() * 1024 * 1024


def accept_upload(
    invitation: SigningInvitation,
    *,
    uploaded: bytes,
    expected_sequence: int,
    evidence: Evidence,
    setup: SigningSetup | None = None,
):
    """Take the PDF the business signed with its own certificate, if it is the current
    revision plus exactly its one valid, trusted signature; else MouError with the precise
    reason, and nothing changes."""
    setup = setup or SigningSetup.from_settings()
    problems = setup.upload_problems()
    if problems:
        raise MouError(" ".join(str(problem) for problem in problems))
    basis = _ready(invitation, expected_sequence)
    mou = invitation.mou
    if len(uploaded) > max_upload_bytes():
        raise MouError(
            _("The file is larger than %(size)s MB.") % {"size": settings.SIGNING_MAX_UPLOAD_MB}
        )
    # Checking and archiving wait for the revocation servers and the TSA: within one time
    # budget, before anything is stored. The upload is parsed in a limited child process.
    with setup.network_budget():
        try:
            upload_verdict, verdict = check_upload(
                setup,
                sent_pdf=basis.pdf,
                uploaded=uploaded,
                # The tax code the document sent names: a partner record changed since
                # does not change whose certificate may sign it.
                tax_code=mou.parties.partner_tax_code,
            )
        except SigningError as error:
            raise MouError(error.message) from error
        if not upload_verdict.accepted:
            logger.info(
                "Upload for MoU %s refused: %s (%s)",
                mou.pk,
                upload_verdict.reason,
                sha256_hex(uploaded),
            )
            raise MouError(upload_verdict.message)
        if not verdict.ok:
            raise unverified(verdict)
        report = upload_verdict.signature
        archived = _archive(uploaded, setup)
    with locked_for_signing(mou, expected_sequence=basis.sequence) as locked:
        _spend(invitation, InvitationOutcome.SIGNED_WITH_CERTIFICATE)
        revision = store_revision(
            locked, basis=basis, pdf=uploaded, kind=RevisionKind.BUSINESS_SIGNATURE
        )
        Signature.objects.create(
            mou=locked,
            party=SignatureParty.BUSINESS,
            method=SignatureMethod.CERTIFICATE,
            signer_name=report.signer_name,
            signed_at=report.signed_at or timezone.now(),
            is_verified=True,
            revision=revision,
            certificate_subject=report.signer_subject,
        )
        record_event(
            locked,
            action="mou.business_signed",
            actor=None,
            note=report.signer_subject,
            details=revision_audit_details(revision, report, signed_at=report.signed_at)
            | {"invitation": invitation.pk}
            | evidence.as_dict(),
        )
        finish_signing(locked, after=revision, pdf=uploaded, archived=archived)
    return revision


# A reason staff read in full in the MoU's history and an email; the signer's page says so.
MAX_DECLINE_REASON_CHARS = 2000


def decline(invitation: SigningInvitation, *, reason: str, evidence: Evidence) -> Mou:
    """The legal representative declines through the link: the MoU moves to declined, the
    note naming who declined and why."""
    reason = (reason or "").strip()
    if not reason:
        raise MouError(_("Give a reason."))
    if len(reason) > MAX_DECLINE_REASON_CHARS:
        # Anyone holding the link could otherwise store megabytes in the history and mail
        # them to every staff member of the authority.
        raise MouError(
            _("Keep the reason within %(count)s characters.") % {"count": MAX_DECLINE_REASON_CHARS}
        )
    require_open(invitation)
    contact = invitation.contact
    mou = invitation.mou
    note = _("Declined by %(name)s (%(company)s) through the signing link: %(reason)s") % {
        "name": contact.full_name,
        "company": mou.parties.partner_name,
        "reason": reason,
    }
    with transaction.atomic():
        _spend(invitation, InvitationOutcome.DECLINED)
        lifecycle.perform(
            mou,
            "decline",
            actor=None,
            note=str(note),
            details={"invitation": invitation.pk, "contact": contact.pk} | evidence.as_dict(),
        )
    return mou
