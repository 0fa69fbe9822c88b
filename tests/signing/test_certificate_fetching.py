"""A certificate names the addresses validation fetches its issuer, CRL and OCSP answer from,
and whoever uploads a PDF chooses the certificate. The server fetches only from the CA
addresses the deployment allows (SIGNING_FETCH_ALLOWED, by default the endpoints its own
trust names), never from an internal address it did not name exactly, follows no redirect
elsewhere, and gives up within the network budget: the verdict then says that revocation
could not be checked, and nothing crashes."""

import json
import socket
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from partnerships.signing.pdf.fetching import FetchRefused
from partnerships.signing.setup import SigningSetup
from partnerships.signing.verdicts import verdict_for
from tests.factories.hostile_certificates import Listener, issue, signed_pdf
from tests.factories.signing import anonymous, page_text

BUDGET = 3
# Reading and checking the PDF, and forking the child, take a moment of CPU besides the wait
# (more on a loaded test machine).
CPU_SLACK = 4
REVOCATION_UNKNOWN = "Whether the signing certificate has been revoked could not be checked."


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def second_listener():
    server = Listener()
    yield server
    server.close()


def configure(settings, tmp_path, root, *, allowed=(), extra=()):
    """The deployment trusts `root`, fetches from `allowed` (empty: the default)."""
    settings.SIGNING_TRUST_ROOTS = [root.write_pem(tmp_path / "root.pem")]
    settings.SIGNING_EXTRA_CERTIFICATES = [
        cert.write_pem(tmp_path / f"extra{number}.pem") for number, cert in enumerate(extra)
    ]
    settings.SIGNING_FETCH_ALLOWED = list(allowed)
    settings.SIGNING_NETWORK_TIMEOUT = BUDGET
    for name in ("SIGNING_AUTHORITY_PKCS12", "SIGNING_SEAL_PKCS12", "SIGNING_TSA_URL"):
        setattr(settings, name, "")


def timed(action):
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


def post_to_verify_page(pdf: bytes):
    return anonymous().submit(
        reverse("verify"), {"pdf": SimpleUploadedFile("signed.pdf", pdf, "application/pdf")}
    )


def verify_pdf_command(path) -> dict:
    """What `manage.py verify_pdf FILE --json` prints (it exits 1 for a document not OK)."""
    from io import StringIO

    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("verify_pdf", str(path), "--json", stdout=out)
    return json.loads(out.getvalue())


def codes_of(data: dict) -> set[str]:
    return {p["code"] for p in data["problems"]} | {
        p["code"] for s in data["signatures"] for p in s["problems"]
    }


# --- The report: an uploaded PDF made the server call an internal address ----------------------


def test_a_certificate_naming_an_internal_address_gets_no_request_from_the_server(
    db, settings, tmp_path, listener
):
    root = issue("Hostile Root", ca=True)
    signer = issue(
        "Hostile Signer",
        issuer=root,
        crl_urls=[f"{listener.url()}/crl"],
        ocsp_urls=[f"{listener.url()}/ocsp"],
        issuer_urls=[f"{listener.url()}/issuer.cer"],
    )
    configure(settings, tmp_path, root)
    pdf = signed_pdf(signer)
    (tmp_path / "signed.pdf").write_bytes(pdf)

    response, elapsed = timed(lambda: post_to_verify_page(pdf))

    assert response.status_code == 200
    assert REVOCATION_UNKNOWN in page_text(response)
    assert elapsed < BUDGET, elapsed
    printed, elapsed = timed(lambda: verify_pdf_command(tmp_path / "signed.pdf"))
    assert codes_of(printed) == {"revocation_unknown"}
    assert elapsed < BUDGET, elapsed
    assert listener.hits == []


# --- Other addresses, other ways in -------------------------------------------------------------


def _only(kind: str, url: str) -> dict:
    return {{"crl": "crl_urls", "ocsp": "ocsp_urls", "issuer": "issuer_urls"}[kind]: [url]}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("crl", "revocation_unknown"),
        ("ocsp", "revocation_unknown"),
        # The issuer's certificate is missing and cannot be fetched: no chain to the root.
        ("issuer", "untrusted"),
    ],
)
def test_no_kind_of_address_in_a_certificate_is_fetched_unless_allowed(
    db, settings, tmp_path, listener, kind, expected
):
    root = issue("Hostile Root", ca=True)
    if kind == "issuer":
        intermediate = issue("Hostile Issuing CA", issuer=root, ca=True)
        signer = issue("Hostile Signer", issuer=intermediate, **_only(kind, listener.url()))
    else:
        signer = issue("Hostile Signer", issuer=root, **_only(kind, f"{listener.url()}/{kind}"))
    configure(settings, tmp_path, root)

    verdict = verdict_for(signed_pdf(signer))

    assert verdict.codes == {expected}
    assert listener.hits == []


def test_a_host_named_by_the_trust_itself_is_not_called_on_a_loopback_address(
    db, settings, tmp_path, listener
):
    # The root names its CRL at "localhost": that host is allowed by default, but it resolves
    # to the loopback, which only an exact entry in SIGNING_FETCH_ALLOWED may reach.
    ca_host = listener.url("localhost")
    root = issue("Hostile Root", ca=True, crl_urls=[f"{ca_host}/root.crl"])
    signer = issue("Hostile Signer", issuer=root, crl_urls=[f"{ca_host}/signer.crl"])
    configure(settings, tmp_path, root)

    assert verdict_for(signed_pdf(signer)).codes == {"revocation_unknown"}
    assert listener.hits == []


@pytest.fixture
def ca_test_resolves_to_internal_addresses(monkeypatch):
    """crl.ca.test resolves to the loopback and a private address (the loopback first: were
    the check missing, the test's own listener would get the request, nothing else)."""
    original = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "crl.ca.test":
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.20.30.40", port)),
            ]
        return original(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_name_allowed_by_domain_that_resolves_to_an_internal_address_is_refused(
    db, settings, tmp_path, listener, ca_test_resolves_to_internal_addresses
):
    root = issue("Hostile Root", ca=True)
    signer = issue(
        "Hostile Signer", issuer=root, crl_urls=[f"http://crl.ca.test:{listener.port}/crl"]
    )
    pdf = signed_pdf(signer)

    configure(settings, tmp_path, root, allowed=[f"*.ca.test:{listener.port}"])
    assert verdict_for(pdf).codes == {"revocation_unknown"}
    assert listener.hits == []

    # Named exactly by the deployment (a CA inside its network), the same host is called.
    configure(settings, tmp_path, root, allowed=[f"crl.ca.test:{listener.port}"])
    verdict_for(pdf)
    assert [path for _method, path, _host in listener.hits] == ["/crl"]


def test_a_redirect_from_an_allowed_host_to_another_is_not_followed(
    db, settings, tmp_path, listener, second_listener
):
    allowed_ca = second_listener
    allowed_ca.redirect_to = listener.url()
    root = issue("Hostile Root", ca=True)
    signer = issue("Hostile Signer", issuer=root, crl_urls=[f"{allowed_ca.url()}/crl"])
    configure(settings, tmp_path, root, allowed=[f"{allowed_ca.url()}/"])

    assert verdict_for(signed_pdf(signer)).codes == {"revocation_unknown"}
    assert [path for _method, path, _host in allowed_ca.hits] == ["/crl"]
    assert listener.hits == []


def test_an_allowed_server_that_never_answers_costs_at_most_the_budget(
    db, settings, tmp_path, listener
):
    listener.hang = True
    root = issue("Slow Root", ca=True)
    signer = issue(
        "Slow Signer",
        issuer=root,
        crl_urls=[f"{listener.url()}/crl"],
        ocsp_urls=[f"{listener.url()}/ocsp"],
    )
    configure(settings, tmp_path, root, allowed=[f"{listener.url()}/"])
    pdf = signed_pdf(signer)

    verdict, elapsed = timed(lambda: verdict_for(pdf))
    assert verdict.codes == {"revocation_unknown"}
    assert elapsed < BUDGET + 1, elapsed

    response, elapsed = timed(lambda: post_to_verify_page(pdf))
    assert REVOCATION_UNKNOWN in page_text(response)
    assert elapsed < BUDGET + CPU_SLACK, elapsed
    assert listener.hits  # it was asked: it is allowed


def test_a_ca_the_deployment_allows_is_asked(db, settings, tmp_path, listener):
    root = issue("Root", ca=True)
    signer = issue("Signer", issuer=root, ocsp_urls=[f"{listener.url()}/ocsp"])
    configure(settings, tmp_path, root, allowed=[f"{listener.url()}/ocsp"])

    verdict_for(signed_pdf(signer))

    assert [(method, path) for method, path, _host in listener.hits] == [("POST", "/ocsp")]


# --- The setting ----------------------------------------------------------------------------------


def test_by_default_the_trust_s_own_ca_endpoints_are_allowed_on_public_addresses(
    settings, tmp_path
):
    root = issue("Root", ca=True, crl_urls=["http://crl.ca.example.vn/root.crl"])
    configure(settings, tmp_path, root)

    policy = SigningSetup.from_settings().fetch_policy

    assert policy.allows("http://crl.ca.example.vn/interm.crl")
    assert not policy.allows("http://ocsp.elsewhere.example/")
    with pytest.raises(FetchRefused):
        policy.check_address("crl.ca.example.vn", "10.0.0.1")


def test_a_wrong_entry_in_the_setting_is_reported_to_whoever_configures_it(settings, tmp_path):
    configure(settings, tmp_path, issue("Root", ca=True), allowed=["ldap://ca.example.vn/"])

    setup = SigningSetup.from_settings()

    assert [str(error) for error in setup.errors] == [
        "SIGNING_FETCH_ALLOWED names ldap://ca.example.vn/, which is not a host or an http(s) URL."
    ]
    assert not setup.fetch_policy.fetches_anything
