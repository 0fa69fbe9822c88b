"""The public signing page behind an invitation link. No login: the emailed link's token opens
it once, then the browser's session (see signer_session) is the credential, on token-free
addresses. Every response is private and uncached, guessing tokens is rate-limited per
address, and each action is limited per invitation.

Every answer, good or bad, comes back on the signer's page, next to the form the person used
(the forms post to an address ending in its anchor), with what they typed still in the form.
"""

from functools import wraps

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from partnerships.core import ratelimit
from partnerships.documents.engine.errors import DocumentError
from partnerships.documents.views import _attachment, _file_name
from partnerships.models import InvitationOutcome, MouState
from partnerships.mous import selectors
from partnerships.mous.lifecycle import MouError
from partnerships.signing import business, invitations, page_images, revisions, signer_session
from partnerships.signing.certificate import completion_certificate
from partnerships.signing.revisions import SigningConflict
from partnerships.signing.setup import SigningSetup
from partnerships.signing.signer_page import pledge_sentence, state_words, steps
from partnerships.signing.views import expected_sequence

# Wrong links from one address per hour before every link is refused to it for a while.
MISSES_PER_HOUR = 20
UPLOADS_PER_HOUR = 10

SESSION_ENDED = gettext_lazy(
    "This page no longer knows which MoU you are signing (the browser's session ended, or "
    "the link was opened in another browser). Open the link from the email again: nothing "
    "you signed is lost."
)
OTHER_LINK = gettext_lazy(
    "This page was for another signing link that you opened later in this browser. Here is "
    "the MoU of the link you opened last: check it and act again."
)
ALREADY_SIGNED = gettext_lazy(
    "The MoU is already signed: another click or another browser finished first. Nothing "
    "was signed twice."
)
NOTICE_KEY = "signing_notice"


def _too_many(request):
    return render(
        request,
        "signing/invitation_closed.html",
        {"reason": _("Too many attempts. Wait an hour and try again.")},
        status=429,
    )


@never_cache
@require_GET
def invitation(request, token):
    """The emailed link: keep its invitation in this browser's session and move to the
    token-free signing page."""
    found = invitations.find_invitation(token)
    if found is None:
        # Only wrong links are counted and refused: a real link (256 random bits, never
        # guessed) always opens, so random links sent from the signer's own address (an
        # office or a mobile network) cannot lock the signer out.
        ip = ratelimit.client_ip(request) or "unknown"
        if not ratelimit.allow("invitation-miss", ip, limit=MISSES_PER_HOUR, window=3600):
            return _too_many(request)
        raise Http404
    if invitations.closed_reason(found) is None:
        invitations.mark_opened(
            found,
            ip=ratelimit.client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    signer_session.bind(request, found)
    response = redirect("signing_page")
    # This response's own address carries the token: the next page must not learn it.
    response["Referrer-Policy"] = "no-referrer"
    return response


def signer_view(view):
    """Hand the view the invitation of this browser's session, or say plainly that there is
    none. A form from a page of another invitation is not applied to this one."""

    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        invitation = signer_session.current(request)
        if invitation is None:
            return render(
                request,
                "signing/invitation_closed.html",
                {"reason": SESSION_ENDED, "language_next": reverse("signing_page")},
                status=400,
            )
        if request.method == "POST" and request.POST.get("invitation") != str(invitation.pk):
            return _page(request, invitation, error=OTHER_LINK, error_at="top", status=409)
        return view(request, invitation, *args, **kwargs)

    return wrapper


def _evidence(request) -> business.Evidence:
    return business.Evidence(
        ip=ratelimit.client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")
    )


def _notify(request, text: str, *, at: str) -> None:
    """A message shown once, beside the form at anchor `at`, on the next page."""
    request.session[NOTICE_KEY] = {"text": str(text), "at": at}


def _signed_by_business(invitation) -> bool:
    return invitation.outcome in (
        InvitationOutcome.SIGNED_WITH_SEAL,
        InvitationOutcome.SIGNED_WITH_CERTIFICATE,
    )


def _page(request, invitation, *, error=None, error_at=None, typed=None, status=200):
    mou = invitation.mou
    closed = invitations.closed_reason(invitation)
    if invitation.is_expired:
        closed = invitations.LINK_EXPIRED
    # A used link still shows what came of it (and the signed PDF) until it expires.
    if closed is not None and (not invitation.used_at or invitation.is_expired):
        return render(
            request,
            "signing/invitation_closed.html",
            {"reason": closed, "language_next": reverse("signing_page")},
            status=410,
        )
    if closed is not None and error is not None:
        error_at = "done"  # the forms are gone: the message goes with the outcome
    setup = SigningSetup.from_settings()
    signed = mou.signed_at is not None and mou.state != MouState.DRAFT
    code = invitation.codes.filter(confirmed_at__isnull=True).order_by("-created_at").first()
    pledges = list(selectors.mou_pledges(mou))
    context = {
        "invitation": invitation,
        "mou": mou,
        "pledges": pledges,
        "pledge_sentence": pledge_sentence(mou, pledges),
        "state_words": state_words(invitation, signed=signed),
        "steps": steps(code_sent=code is not None, signed=signed),
        "closed": closed,
        "error": error,
        "error_at": error_at,
        "typed": typed or {},
        "notice": request.session.pop(NOTICE_KEY, None),
        "signed": signed,
        "code": code,
        "seal_wording": business.seal_wording(mou),
        "signer_name": business.signer_name(invitation),
        "seal_problems": setup.seal_problems(),
        "upload_problems": setup.upload_problems(),
        "max_upload_mb": business.max_upload_mb(),
        "max_reason_chars": business.MAX_DECLINE_REASON_CHARS,
        "verification_url": setup.verification_url(mou, request),
        "language_next": reverse("signing_page"),
    }
    if closed is None:
        basis = revisions.current_basis(mou)
        context["latest_sequence"] = basis.sequence
        try:
            context["pages"] = page_images.pages(basis.pdf, basis.sha256)
        except DocumentError as problem:
            context["pages_problem"] = problem.message
    return render(request, "signing/invitation.html", context, status=status)


def _failed(request, invitation, error: MouError, *, at: str, typed=None):
    conflict = isinstance(error, SigningConflict)
    invitation.refresh_from_db()
    invitation.mou.refresh_from_db()
    if _signed_by_business(invitation):
        # A second click, or another browser, got there first (a conflict if at the same
        # moment, a used link if just after): show the outcome.
        return _page(request, invitation, error=ALREADY_SIGNED, error_at="done", status=409)
    return _page(
        request,
        invitation,
        error=error.message,
        error_at=at,
        typed=typed,
        status=409 if conflict else 400,
    )


@signer_view
def signing_page(request, invitation):
    return _page(request, invitation)


@signer_view
def invitation_document(request, invitation):
    """The PDF as it is now (signed by the authority): to read, or to sign elsewhere."""
    if invitations.closed_reason(invitation) is not None:
        return _page(request, invitation)
    basis = revisions.current_basis(invitation.mou)
    return _attachment(
        basis.pdf,
        name=_file_name(invitation.mou, f"-v{basis.sequence}", "pdf"),
        extension="pdf",
        inline=request.GET.get("inline") == "1",
    )


@signer_view
def invitation_page_image(request, invitation, sequence, number):
    """One page of the PDF to sign, as an image, while the link can be answered."""
    if invitations.closed_reason(invitation) is not None:
        raise Http404
    basis = revisions.current_basis(invitation.mou)
    if basis.sequence != sequence:
        raise Http404  # a page loaded before a newer revision: reloading shows the new one
    try:
        if not 1 <= number <= len(page_images.pages(basis.pdf, basis.sha256)):
            raise Http404
        image = page_images.page_image(basis.pdf, basis.sha256, number)
    except DocumentError as error:
        raise Http404 from error
    response = HttpResponse(image, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


@signer_view
def invitation_final(request, invitation):
    mou = invitation.mou
    final = revisions.final_revision(mou)
    if final is None or invitation.is_expired or invitation.revoked_at:
        raise Http404
    pdf = mou.pdf_revisions.values_list("pdf", flat=True).get(pk=final.pk)
    return _attachment(pdf, name=_file_name(mou, "-signed", "pdf"), extension="pdf", inline=False)


@signer_view
def invitation_certificate(request, invitation):
    mou = invitation.mou
    if revisions.final_revision(mou) is None or invitation.is_expired or invitation.revoked_at:
        raise Http404
    try:
        certificate = completion_certificate(mou, request=request)
    except (MouError, DocumentError) as error:
        return _page(request, invitation, error=error.message, error_at="done", status=503)
    return _attachment(
        certificate.pdf, name=_file_name(mou, "-certificate", "pdf"), extension="pdf", inline=False
    )


@require_POST
@signer_view
def invitation_code(request, invitation):
    try:
        invitations.send_code(
            invitation,
            ip=ratelimit.client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except MouError as error:
        return _failed(request, invitation, error, at="seal")
    _notify(
        request,
        _("We sent a 6-digit code to %(email)s. Type it below.")
        % {"email": _masked(invitation.email)},
        at="seal",
    )
    # The code field as the anchor: the browser scrolls to it and puts the cursor in it.
    return redirect(reverse("signing_page") + "#code")


def _masked(email: str) -> str:
    """h***@example.com: enough to recognise one's own address, not to learn it."""
    name, _at, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


@require_POST
@signer_view
def invitation_seal(request, invitation):
    typed = {"code": request.POST.get("code", "")[:20], "consent": "consent" in request.POST}
    try:
        business.seal_with_code(
            invitation,
            code=request.POST.get("code", ""),
            consent=request.POST.get("consent") == "on",
            expected_sequence=expected_sequence(request),
            evidence=_evidence(request),
        )
    except MouError as error:
        return _failed(request, invitation, error, at="seal", typed=typed)
    _notify(request, _("Signed. The MoU is now signed by both parties."), at="done")
    return redirect(reverse("signing_page") + "#done")


@require_POST
@signer_view
def invitation_upload(request, invitation):
    upload = request.FILES.get("pdf")
    if upload is None:
        return _failed(request, invitation, MouError(_("Choose the signed PDF file.")), at="own")
    if upload.size > business.max_upload_bytes():
        too_large = _("The file is larger than %(size)s MB.") % {"size": business.max_upload_mb()}
        return _failed(request, invitation, MouError(too_large), at="own")
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
        return _failed(request, invitation, error, at="own")
    _notify(
        request,
        _("Your signed PDF was accepted. The MoU is now signed by both parties."),
        at="done",
    )
    return redirect(reverse("signing_page") + "#done")


@require_POST
@signer_view
def invitation_decline(request, invitation):
    typed = {"reason": request.POST.get("reason", "")[: business.MAX_DECLINE_REASON_CHARS]}
    try:
        business.decline(
            invitation, reason=request.POST.get("reason", ""), evidence=_evidence(request)
        )
    except MouError as error:
        return _failed(request, invitation, error, at="decline", typed=typed)
    _notify(request, _("You declined this MoU; the authority will see your reason."), at="done")
    return redirect(reverse("signing_page") + "#done")
