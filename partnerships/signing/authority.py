"""The authority signs first: a certification signature on the PDF that was sent, made by the
server with the authority's own signer (signing/authority_signers.py), or made by its staff
with the authority's USB token and uploaded (authority_upload.py). Either way the certificate
must belong to the authority by the deployment's rule (signing/pdf/authority_rule.py)."""

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
from partnerships.signing.pdf.authority_rule import AuthorityIdentity
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


def authority_identity(mou: Mou) -> AuthorityIdentity:
    """The authority as the rule names it: its name and code as the document sent names
    them (a record renamed since does not change whose certificate may sign)."""
    parties = mou.parties
    return AuthorityIdentity(
        id=mou.authority_id, name=parties.authority_name, code=parties.authority_code
    )


def require_own_certificate(setup: SigningSetup, mou: Mou, signer) -> None:
    """The server's signer must belong to the MoU's authority (unless it is the signer the
    deployment shares between authorities): MouError before anything is signed."""
    if setup.signs_with_shared(mou.authority_id):
        return
    identity = authority_identity(mou)
    rule = setup.authority_rule(mou.authority_id)
    if not rule.matches(signer.signing_cert, identity):
        raise MouError(
            _("The server's signing certificate for this authority was not used: %(reason)s")
            % {"reason": rule.refusal(signer.signing_cert, identity)}
        )


def require_authority_unsigned(basis, expected_sequence: int) -> None:
    """The document is still the one sent, as the page that asked showed it."""
    if basis.sequence != expected_sequence:
        raise SigningConflict
    if basis.sequence != 0:
        raise MouError(_("The authority has already signed this MoU."))


def store_authority_signature(
    mou: Mou, *, basis, pdf: bytes, report, actor, method, signed_at, action: str, note=""
):
    """Store `pdf` as the authority's revision (race safe: the MoU's row locked on the
    revision it was signed on), its verified Signature row and the audit event."""
    with locked_for_signing(mou, expected_sequence=basis.sequence) as locked:
        revision = store_revision(
            locked, basis=basis, pdf=pdf, kind=RevisionKind.AUTHORITY_CERTIFICATION, actor=actor
        )
        Signature.objects.create(
            mou=locked,
            party=SignatureParty.AUTHORITY,
            method=method,
            signer_name=report.signer_name,
            signed_at=report.signed_at or signed_at,
            is_verified=True,
            revision=revision,
            certificate_subject=report.signer_subject,
        )
        record_event(
            locked,
            action=action,
            actor=actor,
            note=note,
            details=revision_audit_details(
                revision, report, signed_at=report.signed_at or signed_at
            ),
        )
    return revision


def certify(
    mou: Mou,
    *,
    actor,
    expected_sequence: int = 0,
    setup: SigningSetup | None = None,
    request=None,
):
    """The authority's certification signature (PAdES, DocMDP "form filling only") in its
    field, with the Vietnamese stamp and a QR code of the MoU's public verification page,
    made by the server with the signer of the MoU's authority. Its certificate must belong
    to that authority by the deployment's rule (unless it is the signer the deployment
    shares): checked before anything is signed.

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
    problems = setup.authority_problems(mou.authority_id)
    if problems:
        raise MouError(" ".join(str(problem) for problem in problems))
    basis = current_basis(mou)
    require_authority_unsigned(basis, expected_sequence)
    signed_at = timezone.now().replace(microsecond=0)
    # Signing and checking wait for the TSA and the revocation servers: within one time
    # budget, before anything is stored.
    with setup.network_budget():
        try:
            with setup.authority_signer(mou.authority_id) as signer:
                require_own_certificate(setup, mou, signer)
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
    return store_authority_signature(
        mou,
        basis=basis,
        pdf=pdf,
        report=verdict.signatures[-1],
        actor=actor,
        method=SignatureMethod.DEMO if setup.is_demo else SignatureMethod.CERTIFICATE,
        signed_at=signed_at,
        action="mou.authority_certified",
    )
