"""Signing for the tests: the PDF at each step of the flow and what a careless signing tool
adds to it, and helpers that click through the flow as its users would (staff on the MoU
page, the legal representative through the emailed link)."""

import io
import re
from dataclasses import dataclass

from django.core import mail
from django.test import TestCase
from django.urls import reverse
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields as sig_fields
from pyhanko.sign import signers as pyhanko_signers

from partnerships.signing.pdf import pades
from partnerships.signing.signer_session import SESSION_KEY
from tests.factories.web import BrowserClient

PUBLIC_BASE_URL = "https://registry.example.org"
# The signing network budget counts the CPU work of signing too, and test machines are shared
# and slow: the tests' configuration is generous; test_network_budget.py tests a short one.
GENEROUS_NETWORK_BUDGET = 120
VERIFICATION_URL = "https://registry.example.org/xac-minh/2026-UBND-0001"
AUTHORITY = {
    "signer_name": "Võ Minh Tâm",
    "position": "TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH",
    "organisation": "UBND xã Bến Lức",
    "verification_url": VERIFICATION_URL,
}
BUSINESS = {"position": "Giám đốc", "company_name": "Công ty May Bến Lức"}


@dataclass
class Flow:
    """The MoU's PDF at each step of the signing flow, signed with the full PAdES profile."""

    signable: bytes
    certified: bytes  # the authority's certification, B-LT: what is sent to the business
    business_signed: bytes  # + the business's approval with its own certificate, B-LT
    archived: bytes  # + validation data and a document timestamp: B-LTA
    sealed: bytes  # the certified PDF + the registry's seal for the business, B-LT


def business_signs_with(flow: Flow, signer) -> bytes:
    """What a business would upload after signing the sent PDF with its own tool (B-B)."""
    return pades.sign_as_business(flow.certified, signer)


def sign_new_field(pdf: bytes, signer, field_name: str) -> bytes:
    """A signature in a new, invisible field: what a careless signing tool might add."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = pyhanko_signers.PdfSignatureMetadata(
        field_name=field_name, subfilter=sig_fields.SigSeedSubFilter.PADES
    )
    return (
        pyhanko_signers.PdfSigner(
            meta, signer, new_field_spec=sig_fields.SigFieldSpec(sig_field_name=field_name)
        )
        .sign_pdf(writer)
        .getvalue()
    )


# --- The flow through the pages ---


def anonymous() -> BrowserClient:
    return BrowserClient(language="en", HTTP_USER_AGENT="Test browser 1.0")


def mou_page(mou) -> str:
    return reverse("mou_detail", args=[mou.pk])


def certify(browser, mou, *, expected_revision=0, **extra):
    """Staff press "Sign as the authority" on the MoU page."""
    return browser.submit(
        mou_page(mou),
        {"expected_revision": expected_revision},
        action=reverse("mou_certify", args=[mou.pk]),
        **extra,
    )


def upload_as_authority(browser, mou, pdf: bytes, *, expected_revision=0, **extra):
    """Staff upload, from the MoU page, the PDF they signed with the authority's USB token."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return browser.submit(
        mou_page(mou),
        {
            "expected_revision": expected_revision,
            "pdf": SimpleUploadedFile("signed.pdf", pdf, content_type="application/pdf"),
        },
        action=reverse("mou_authority_upload", args=[mou.pk]),
        **extra,
    )


@dataclass
class Invitation:
    token: str
    link: str
    email: mail.EmailMessage


def invite(browser, mou) -> Invitation:
    """Staff press "Invite the business to sign" on the MoU page; the emailed link."""
    sent_before = len(mail.outbox)
    with TestCase.captureOnCommitCallbacks(execute=True):  # emails go out on commit
        response = browser.submit(mou_page(mou), action=reverse("mou_invite", args=[mou.pk]))
    assert response.status_code == 302
    assert len(mail.outbox) == sent_before + 1, "no invitation email"
    email = mail.outbox[-1]
    link = re.search(r"https?://\S+/sign/[^/\s]+/", email.body).group(0)
    return Invitation(token=link.rstrip("/").rsplit("/", 1)[1], link=link, email=email)


def link(token: str) -> str:
    """The emailed link's address."""
    return reverse("invitation", args=[token])


def open_link(browser, token: str):
    """Open the emailed link as a browser does: it moves to the token-free signing page."""
    response = browser.get(link(token))
    browser.signing_token = token
    if response.status_code == 302:
        assert response["Location"] == reverse("signing_page")
        assert token not in response["Location"]
        return browser.get(response["Location"])
    return response


def _bound(browser, token: str) -> None:
    if getattr(browser, "signing_token", None) != token:
        open_link(browser, token)


def signer_get(browser, token: str, name: str = "signing_page"):
    """A page of the signing flow, in a browser that opened `token`'s link."""
    _bound(browser, token)
    return browser.get(reverse(name))


def signer_post(browser, token: str, name: str, data=None, *, from_the_page=False):
    """A form of the signer's page, as that page posts it (with its invitation's id and the
    CSRF token). `from_the_page=True` opens the page first and takes the token of the form
    that posts there (the form must be on the page); otherwise the post is made as from a
    page loaded earlier."""
    _bound(browser, token)
    data = {"invitation": browser.session.get(SESSION_KEY, "")} | dict(data or {})
    if from_the_page:
        return browser.submit(reverse("signing_page"), data, action=reverse(name))
    return browser.post_by_hand(reverse(name), data)


def request_code(browser, token: str) -> str:
    """The representative asks for a code on the signing page; the emailed code."""
    sent_before = len(mail.outbox)
    with TestCase.captureOnCommitCallbacks(execute=True):  # emails go out on commit
        response = signer_post(browser, token, "invitation_code", from_the_page=True)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].endswith("#code")
    assert len(mail.outbox) == sent_before + 1, "no code email"
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def confirm_code(
    browser, token: str, code: str, *, expected_revision=1, consent=True, from_the_page=True
):
    """The representative types the code (and ticks consent) on the signing page;
    `from_the_page=False`: the same post from a page loaded earlier."""
    data = {"code": code, "expected_revision": expected_revision}
    if consent:
        data["consent"] = "on"
    return signer_post(browser, token, "invitation_seal", data, from_the_page=from_the_page)


def upload(
    browser, token: str, pdf: bytes, *, expected_revision=1, name="signed.pdf", from_the_page=True
):
    """The representative uploads a PDF they signed with their own tool."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "expected_revision": expected_revision,
        "pdf": SimpleUploadedFile(name, pdf, content_type="application/pdf"),
    }
    return signer_post(browser, token, "invitation_upload", data, from_the_page=from_the_page)


def page_text(response) -> str:
    return response.content.decode()
