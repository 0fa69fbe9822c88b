"""Signing from the MoU's page: the authority certifies, staff invite the business, and both
parties download the revisions, the final PDF and the completion certificate."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerships.authorities.permissions import can_manage_mou, can_sign_for_business
from partnerships.core import ratelimit
from partnerships.core.access import role_required
from partnerships.documents.engine.errors import DocumentError
from partnerships.documents.views import _attachment, _file_name
from partnerships.models import MouState, SignatureParty
from partnerships.mous import selectors
from partnerships.mous.lifecycle import MouError
from partnerships.signing import (
    authority,
    authority_upload,
    business,
    invitations,
    progress,
    revisions,
    signer_session,
)
from partnerships.signing.certificate import completion_certificate
from partnerships.signing.setup import SigningSetup

# Each upload is checked in a child process: a user may not keep the machine busy with them.
UPLOADS_PER_HOUR = 20


def expected_sequence(request) -> int:
    """The revision the page showed when the user pressed the button."""
    try:
        return int(request.POST.get("expected_revision", ""))
    except ValueError:
        return -1  # never current: a form without it is a conflict, not a guess


def signing_context(request, mou) -> dict:
    """What the MoU page shows about signing, for this user."""
    manages = can_manage_mou(request.user, mou)
    stored = list(revisions.revisions(mou))
    signed = revisions.signed_parties(mou)
    setup = SigningSetup.from_settings()
    context = {
        "revisions": stored if manages else [],
        "latest_sequence": stored[-1].sequence if stored else 0,
        "final_revision": stored[-1] if stored and mou.signed_at else None,
        "verification_url": setup.verification_url(mou, request)
        if mou.signable_document_id
        else "",
        "can_certify": False,
        "can_invite": False,
        "invitations": [],
        "steps": _steps(mou) if progress.shows_progress(mou) else [],
    }
    if not manages or mou.state != MouState.SENT:
        return context
    if SignatureParty.AUTHORITY not in signed:
        context["can_certify"] = True
        context |= _authority_options(setup, mou)
    else:
        context["invite_blockers"] = invitations.invitation_blockers(mou)
        context["can_invite"] = not context["invite_blockers"]
        context["seal_problems"] = setup.seal_problems()
        context["upload_problems"] = setup.upload_problems()
    context["invitations"] = list(mou.invitations.select_related("contact")[:10])
    latest = context["invitations"][0] if context["invitations"] else None
    context["waiting_for"] = latest if latest is not None and latest.is_open else None
    return context


def _authority_options(setup: SigningSetup, mou) -> dict:
    """How the authority can sign: by the server's signer of its own (or the shared one the
    deployment allows), and by download, its USB token and upload; and what stops each."""
    server_signs = setup.has_authority_signer(mou.authority_id)
    problems = setup.authority_problems(mou.authority_id)
    return {
        "server_signs": server_signs,
        # With a signer, whatever stops it; without one, why (the page offers the upload).
        "certify_problems": problems if server_signs else [],
        "no_authority_signer": [] if server_signs else problems,
        "authority_upload_problems": setup.authority_upload_problems(),
        "authority_rule": setup.authority_rule(mou.authority_id).describe(
            authority.authority_identity(mou)
        ),
        "shared_signer": setup.signs_with_shared(mou.authority_id),
        "max_upload_mb": business.max_upload_mb(),
        "is_demo_pki": setup.is_demo,
    }


def _steps(mou) -> list[progress.Step]:
    signatures = dict(
        mou.signatures.filter(revision__isnull=False, is_verified=True).values_list(
            "party", "signed_at"
        )
    )
    latest = mou.invitations.first()  # newest first (the model's ordering)
    return progress.signing_steps(mou, signatures=signatures, invitation=latest)


def business_signing_context(request, mou) -> dict:
    """What the MoU page offers the business's own representatives: to sign through the
    signer's page when the authority has signed and an invitation is open."""
    if mou.state != MouState.SENT or not can_sign_for_business(request.user, mou):
        return {}
    if SignatureParty.AUTHORITY not in revisions.signed_parties(mou):
        return {"waiting": _("The authority signs first; then you can sign here.")}
    invitation = signer_session.open_invitation_of(mou)
    if invitation is None:
        return {
            "waiting": _(
                "The authority has signed. Signing opens when the authority sends the signing "
                "invitation; ask them if it has expired."
            )
        }
    return {"invitation": invitation}


@role_required
@require_POST
def mou_sign_as_business(request, pk):
    """A business representative signed in: answer the MoU's open invitation on the same
    signer's page as the emailed link, with the same one-time code to the signatory."""
    mou = get_object_or_404(selectors.mou_for_detail(user=request.user), pk=pk)
    if not can_sign_for_business(request.user, mou):
        raise PermissionDenied
    invitation = signer_session.open_invitation_of(mou) if mou.state == MouState.SENT else None
    if invitation is None:
        messages.error(request, _("This MoU cannot be signed now: there is no open invitation."))
        return redirect(mou)
    invitations.mark_opened(
        invitation,
        ip=ratelimit.client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    signer_session.bind(request, invitation)
    return redirect("signing_page")


def _managed_mou(request, pk):
    mou = get_object_or_404(selectors.mou_for_detail(user=request.user), pk=pk)
    if not can_manage_mou(request.user, mou):
        raise PermissionDenied
    return mou


@role_required
@require_POST
def mou_certify(request, pk):
    mou = _managed_mou(request, pk)
    try:
        revision = authority.certify(
            mou, actor=request.user, expected_sequence=expected_sequence(request), request=request
        )
    except MouError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Signed for the authority. SHA-256 of the signed PDF: %(sha256)s")
            % {"sha256": revision.sha256},
        )
    return redirect(mou)


@role_required
@require_POST
def mou_authority_upload(request, pk):
    """Staff upload the PDF they signed with the authority's USB token."""
    mou = _managed_mou(request, pk)
    upload = request.FILES.get("pdf")
    if upload is None:
        messages.error(request, _("Choose the signed PDF file."))
        return redirect(mou)
    if upload.size > business.max_upload_bytes():
        messages.error(
            request,
            _("The file is larger than %(size)s MB.") % {"size": business.max_upload_mb()},
        )
        return redirect(mou)
    if not ratelimit.allow(
        "authority-upload", str(request.user.pk), limit=UPLOADS_PER_HOUR, window=3600
    ):
        messages.error(request, _("Too many attempts. Wait an hour and try again."))
        return redirect(mou)
    try:
        revision = authority_upload.accept_authority_upload(
            mou,
            actor=request.user,
            uploaded=upload.read(),
            expected_sequence=expected_sequence(request),
        )
    except MouError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "The authority's signed PDF was accepted and stored. SHA-256 of the signed "
                "PDF: %(sha256)s"
            )
            % {"sha256": revision.sha256},
        )
    return redirect(mou)


@role_required
@require_POST
def mou_invite(request, pk):
    mou = _managed_mou(request, pk)
    try:
        invitation = invitations.send_invitation(mou, actor=request.user, request=request)
    except MouError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Invitation sent to %(name)s <%(email)s>.")
            % {"name": invitation.contact.full_name, "email": invitation.email},
        )
    return redirect(mou)


@role_required
def mou_revision_pdf(request, pk, sequence):
    """One stored revision, for the authority's staff."""
    mou = get_object_or_404(selectors.mou_for_detail(user=request.user), pk=pk)
    if not can_manage_mou(request.user, mou):
        raise Http404
    revision = get_object_or_404(mou.pdf_revisions, sequence=sequence)
    return _attachment(
        revision.pdf, name=_file_name(mou, f"-v{sequence}", "pdf"), extension="pdf", inline=False
    )


@role_required
def mou_final_pdf(request, pk):
    """The signed PDF, for everyone who may see the MoU (both parties)."""
    mou = get_object_or_404(selectors.mou_for_detail(user=request.user), pk=pk)
    final = revisions.final_revision(mou)
    if final is None:
        raise Http404
    pdf = mou.pdf_revisions.values_list("pdf", flat=True).get(pk=final.pk)
    return _attachment(pdf, name=_file_name(mou, "-signed", "pdf"), extension="pdf", inline=False)


@role_required
def mou_certificate_pdf(request, pk):
    mou = get_object_or_404(selectors.mou_for_detail(user=request.user), pk=pk)
    if revisions.final_revision(mou) is None:
        raise Http404
    try:
        certificate = completion_certificate(mou, request=request)
    except (MouError, DocumentError) as error:
        messages.error(request, error.message)
        return redirect(mou)
    return _attachment(
        certificate.pdf,
        name=_file_name(mou, "-certificate", "pdf"),
        extension="pdf",
        inline=False,
    )
