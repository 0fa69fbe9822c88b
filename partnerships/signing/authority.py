"""The authority signs first: a certification signature on the PDF that was sent."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerships.authorities.permissions import can_manage_mou
from partnerships.models import (
    Mou,
    RevisionKind,
    Signature,
    SignatureMethod,
    SignatureParty,
)
from partnerships.mous.lifecycle import MouError, record_event
from partnerships.signing.pdf import pades
from partnerships.signing.pdf.errors import SigningError
from partnerships.signing.revisions import (
    SigningConflict,
    current_basis,
    locked_for_signing,
    require_sent,
    revision_audit_details,
    store_revision,
)
from partnerships.signing.setup import SigningSetup


def first_reason(verdict) -> str:
    reasons = verdict.reasons
    return str(reasons[0].message) if reasons else ""


def unverified(verdict) -> MouError:
    return MouError(
        _("The signed PDF did not pass verification, so it was not stored: %(reason)s")
        % {"reason": first_reason(verdict)}
    )


def certify(
    mou: Mou,
    *,
    actor,
    expected_sequence: int = 0,
    setup: SigningSetup | None = None,
    request=None,
):
    """The authority's certification signature (PAdES, DocMDP "form filling only") in its
    field, with the Vietnamese stamp and a QR code of the MoU's public verification page.

    The signed PDF is verified before it is stored as revision 1; a verified Signature row
    and an audit event with its SHA-256 are written in the same transaction. Raises
    PermissionDenied for anyone but staff managing the MoU, SigningConflict when the page
    was loaded on an older revision, and MouError (a wrong state, a signing or verification
    failure); nothing is stored then.
    """
    # No actor: the system itself (the demo data).
    if actor is not None and not can_manage_mou(actor, mou):
        raise PermissionDenied(_("You may not do this to this MoU."))
    setup = setup or SigningSetup.from_settings()
    require_sent(mou)
    problems = setup.authority_problems()
    if problems:
        raise MouError(" ".join(str(problem) for problem in problems))
    basis = current_basis(mou)
    if basis.sequence != expected_sequence:
        raise SigningConflict
    if basis.sequence != 0:
        raise MouError(_("The authority has already signed this MoU."))
    signed_at = timezone.now().replace(microsecond=0)
    # Signing and checking wait for the TSA and the revocation servers: within one time
    # budget, before anything is stored.
    with setup.network_budget():
        try:
            with setup.authority_signer() as signer:
                certificate_name = signer.signing_cert.subject.native.get("common_name")
                pdf = pades.certify_as_authority(
                    basis.pdf,
                    signer,
                    signer_name=certificate_name or mou.authority_signatory_name,
                    named_signatory=mou.authority_signatory_name,
                    position=mou.authority_signatory_position,
                    organisation=mou.parties.authority_name,
                    verification_url=setup.verification_url(mou, request),
                    signed_at=signed_at,
                    location=mou.parties.place_name or None,
                    **setup.profile(),
                )
        except SigningError as error:
            raise MouError(error.message) from error
        verdict = setup.verify(pdf)
        if not verdict.ok:
            raise unverified(verdict)
    report = verdict.signatures[-1]
    with locked_for_signing(mou, expected_sequence=expected_sequence) as locked:
        revision = store_revision(
            locked, basis=basis, pdf=pdf, kind=RevisionKind.AUTHORITY_CERTIFICATION, actor=actor
        )
        Signature.objects.create(
            mou=locked,
            party=SignatureParty.AUTHORITY,
            method=SignatureMethod.DEMO if setup.is_demo else SignatureMethod.CERTIFICATE,
            signer_name=report.signer_name,
            signed_at=report.signed_at or signed_at,
            is_verified=True,
            revision=revision,
            certificate_subject=report.signer_subject,
        )
        record_event(
            locked,
            action="mou.authority_certified",
            actor=actor,
            details=revision_audit_details(
                revision, report, signed_at=report.signed_at or signed_at
            ),
        )
    return revision
