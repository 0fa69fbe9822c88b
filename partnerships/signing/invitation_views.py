"""The public signing page behind an invitation link. No login: the link's token is the
credential, so every response is private and uncached, referrers are not sent, guessing
tokens is rate-limited per address, and each action is limited per invitation."""

from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from partnerships.core import ratelimit
from partnerships.documents.engine.errors import DocumentError
from partnerships.documents.views import _attachment, _file_name
from partnerships.models import MouState
from partnerships.mous import selectors
from partnerships.mous.lifecycle import MouError
from partnerships.signing import business, invitations, revisions
from partnerships.signing.certificate import completion_certificate
from partnerships.signing.revisions import SigningConflict
from partnerships.signing.setup import SigningSetup
from partnerships.signing.views import expected_sequence

# Wrong links from one address per hour before every link is refused to it for a while.
MISSES_PER_HOUR = 20
UPLOADS_PER_HOUR = 10


def _too_many(request):
    return render(
        request,
        "signing/invitation_closed.html",
        {"reason": _("Too many attempts. Wait an hour and try again.")},
        status=429,
    )


def invitation_view(view):
    """Find the invitation of the token in the URL (or 404, counted), mark the response
    private, and hand the view the invitation."""

    @never_cache
    @wraps(view)
    def wrapper(request, token, *args, **kwargs):
        invitation = invitations.find_invitation(token)
        if invitation is None:
            # Only wrong links are counted and refused: a real link (256 random bits, never
            # guessed) always opens, so random links sent from the signer's own address
            # (an office or a mobile network) cannot lock the signer out.
            ip = ratelimit.client_ip(request) or "unknown"
            if not ratelimit.allow("invitation-miss", ip, limit=MISSES_PER_HOUR, window=3600):
                return _too_many(request)
            raise Http404
        response = view(request, invitation, *args, token=token, **kwargs)
        # The token is in the URL: never leak it to another site.
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapper


def _evidence(request) -> business.Evidence:
    return business.Evidence(
        ip=ratelimit.client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")
    )


def _page(request, invitation, *, token, error=None, status=200):
    mou = invitation.mou
    closed = invitations.closed_reason(invitation)
    if invitation.is_expired:
        closed = invitations.LINK_EXPIRED
    # A used link still shows what came of it (and the signed PDF) until it expires.
    if closed is not None and (not invitation.used_at or invitation.is_expired):
        return render(request, "signing/invitation_closed.html", {"reason": closed}, status=410)
    setup = SigningSetup.from_settings()
    latest = revisions.latest_revision(mou)
    signed = mou.signed_at is not None and mou.state != MouState.DRAFT
    code = invitation.codes.filter(confirmed_at__isnull=True).order_by("-created_at").first()
    vietnamese, english = business.seal_wording(mou)
    context = {
        "invitation": invitation,
        "token": token,
        "mou": mou,
        "pledges": selectors.mou_pledges(mou),
        "closed": closed,
        "error": error,
        "latest_sequence": latest.sequence if latest else 0,
        "signed": signed,
        "code": code,
        "seal_wording": (vietnamese, english),
        "seal_problems": setup.seal_problems(),
        "upload_problems": setup.upload_problems(),
        "max_upload_mb": business.max_upload_mb(),
        "verification_url": setup.verification_url(mou, request),
    }
    return render(request, "signing/invitation.html", context, status=status)


def _failed(request, invitation, token, error: MouError):
    conflict = isinstance(error, SigningConflict)
    invitation.refresh_from_db()
    invitation.mou.refresh_from_db()
    return _page(
        request, invitation, token=token, error=error.message, status=409 if conflict else 400
    )


@invitation_view
def invitation(request, invitation, *, token):
    if invitations.closed_reason(invitation) is None:
        invitations.mark_opened(
            invitation,
            ip=ratelimit.client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    return _page(request, invitation, token=token)


@invitation_view
def invitation_document(request, invitation, *, token):
    """The PDF as it is now (signed by the authority): to read, or to sign elsewhere."""
    invitations_closed = invitations.closed_reason(invitation)
    if invitations_closed is not None:
        return _page(request, invitation, token=token)
    basis = revisions.current_basis(invitation.mou)
    return _attachment(
        basis.pdf,
        name=_file_name(invitation.mou, f"-v{basis.sequence}", "pdf"),
        extension="pdf",
        inline=request.GET.get("inline") == "1",
    )


@invitation_view
def invitation_final(request, invitation, *, token):
    mou = invitation.mou
    final = revisions.final_revision(mou)
    if final is None or invitation.is_expired or invitation.revoked_at:
        raise Http404
    pdf = mou.pdf_revisions.values_list("pdf", flat=True).get(pk=final.pk)
    return _attachment(pdf, name=_file_name(mou, "-signed", "pdf"), extension="pdf", inline=False)


@invitation_view
def invitation_certificate(request, invitation, *, token):
    mou = invitation.mou
    if revisions.final_revision(mou) is None or invitation.is_expired or invitation.revoked_at:
        raise Http404
    try:
        certificate = completion_certificate(mou, request=request)
    except (MouError, DocumentError) as error:
        return _page(request, invitation, token=token, error=error.message, status=503)
    return _attachment(
        certificate.pdf, name=_file_name(mou, "-certificate", "pdf"), extension="pdf", inline=False
    )


@require_POST
@invitation_view
def invitation_code(request, invitation, *, token):
    try:
        invitations.send_code(
            invitation,
            ip=ratelimit.client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except MouError as error:
        return _failed(request, invitation, token, error)
    messages.success(
        request,
        _("A 6-digit code was sent to %(email)s.") % {"email": _masked(invitation.email)},
    )
    return redirect(reverse("invitation", args=[token]) + "#seal")


def _masked(email: str) -> str:
    """h***@example.com: enough to recognise one's own address, not to learn it."""
    name, _at, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


@require_POST
@invitation_view
def invitation_seal(request, invitation, *, token):
    try:
        business.seal_with_code(
            invitation,
            code=request.POST.get("code", ""),
            consent=request.POST.get("consent") == "on",
            expected_sequence=expected_sequence(request),
            evidence=_evidence(request),
        )
    except MouError as error:
        return _failed(request, invitation, token, error)
    messages.success(request, _("Signed. The MoU is now signed by both parties."))
    return redirect("invitation", token=token)


@require_POST
@invitation_view
def invitation_upload(request, invitation, *, token):
    upload = request.FILES.get("pdf")
    if upload is None:
        return _failed(request, invitation, token, MouError(_("Choose the signed PDF file.")))
    if upload.size > business.max_upload_bytes():
        return _failed(
            request,
            invitation,
            token,
            MouError(
                _("The file is larger than %(size)s MB.") % {"size": business.max_upload_mb()}
            ),
        )
    if not ratelimit.allow(
        "invitation-upload", str(invitation.pk), limit=UPLOADS_PER_HOUR, window=3600
    ):
        return _too_many(request)
    try:
        business.accept_upload(
            invitation,
            uploaded=upload.read(),
            expected_sequence=expected_sequence(request),
            evidence=_evidence(request),
        )
    except MouError as error:
        return _failed(request, invitation, token, error)
    messages.success(
        request, _("Your signed PDF was accepted. The MoU is now signed by both parties.")
    )
    return redirect("invitation", token=token)


@require_POST
@invitation_view
def invitation_decline(request, invitation, *, token):
    try:
        business.decline(
            invitation, reason=request.POST.get("reason", ""), evidence=_evidence(request)
        )
    except MouError as error:
        return _failed(request, invitation, token, error)
    messages.info(request, _("You declined this MoU; the authority will see your reason."))
    return redirect("invitation", token=token)
