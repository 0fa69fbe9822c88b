"""Fixtures for the signing flow through the pages: the signing tests' live PKI configured as
the deployment's settings, a sent MoU, and helpers that click through the flow as its users
would (staff on the MoU page, the legal representative through the emailed link).
"""

import re
from dataclasses import dataclass

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation

from partnerships.models import MouState
from partnerships.signing.signer_session import SESSION_KEY
from tests.factories import bring_to
from tests.signing.pdf.pki import PASSPHRASE

PUBLIC_BASE_URL = "https://registry.example.org"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def signing_settings(settings, pki, tmp_path):
    """The test PKI as the deployment's configuration: authority and seal from PKCS#12
    files, its root trusted, its TSA for timestamps."""
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root.dump())
    settings.SIGNING_AUTHORITY_PKCS12 = str(pki.pkcs12("authority"))
    settings.SIGNING_AUTHORITY_PKCS12_PASSPHRASE = PASSPHRASE
    settings.SIGNING_SEAL_PKCS12 = str(pki.pkcs12("seal"))
    settings.SIGNING_SEAL_PKCS12_PASSPHRASE = PASSPHRASE
    settings.SIGNING_TSA_URL = pki.tsa_url
    settings.SIGNING_TRUST_ROOTS = [str(root)]
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    return settings


@pytest.fixture
def sent_mou(world):
    return bring_to(world.mou, MouState.SENT)


def anonymous() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_USER_AGENT="Test browser 1.0")


def certify(browser, mou, *, expected_revision=0):
    return browser.post(
        reverse("mou_certify", args=[mou.pk]), {"expected_revision": expected_revision}
    )


@dataclass
class Invitation:
    token: str
    link: str
    email: mail.EmailMessage


def invite(browser, mou) -> Invitation:
    sent_before = len(mail.outbox)
    response = browser.post(reverse("mou_invite", args=[mou.pk]))
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


def signer_post(browser, token: str, name: str, data=None):
    """A form of the signer's page, as that page posts it (with its invitation's id)."""
    _bound(browser, token)
    data = {"invitation": browser.session.get(SESSION_KEY, "")} | dict(data or {})
    return browser.post(reverse(name), data)


def request_code(browser, token: str) -> str:
    sent_before = len(mail.outbox)
    response = signer_post(browser, token, "invitation_code")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].endswith("#code")
    assert len(mail.outbox) == sent_before + 1, "no code email"
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def confirm_code(browser, token: str, code: str, *, expected_revision=1, consent=True):
    data = {"code": code, "expected_revision": expected_revision}
    if consent:
        data["consent"] = "on"
    return signer_post(browser, token, "invitation_seal", data)


def upload(browser, token: str, pdf: bytes, *, expected_revision=1, name="signed.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return signer_post(
        browser,
        token,
        "invitation_upload",
        {
            "expected_revision": expected_revision,
            "pdf": SimpleUploadedFile(name, pdf, content_type="application/pdf"),
        },
    )


def page_text(response) -> str:
    return response.content.decode()
