"""The demo PKI publishes revocation data as a real CA does: its certificates name a CRL on
the demo server (loopback), the server answers with the root's CRL, and the demo setup may
fetch exactly that address; a demo folder made before CRLs were published still works."""

import asyncio
import json
import urllib.request
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from pyhanko.keys import load_cert_from_pemder
from pyhanko_certvalidator import CertificateValidator
from pyhanko_certvalidator.errors import PathValidationError

from partnerships.signing.demo_pki import ensure_demo_pki
from partnerships.signing.demo_tsa import DEMO_CRL_FILE, demo_crl_url, serve_demo_tsa
from partnerships.signing.pdf.fetching import FetchPolicy, fetch_policy
from partnerships.signing.pdf.network import network_budget
from partnerships.signing.pdf.trust import validation_context
from partnerships.signing.setup import DEMO_MANIFEST, demo_setup


@pytest.fixture
def served_demo_pki(tmp_path):
    """A demo PKI whose certificates name the CRL of the demo server running for the test."""
    with serve_demo_tsa(tmp_path) as url:
        crl_url = demo_crl_url(urlsplit(url).port)
        ensure_demo_pki(tmp_path, crl_url=crl_url)
        yield tmp_path, crl_url


def seal_certificate(directory):
    return demo_setup(directory).seal.load().signing_cert


def test_the_server_publishes_the_crl_the_certificates_name(served_demo_pki):
    directory, crl_url = served_demo_pki

    with urllib.request.urlopen(crl_url, timeout=10) as answer:  # noqa: S310 (loopback)
        published = answer.read()

    assert published == (directory / DEMO_CRL_FILE).read_bytes()
    crl = x509.load_der_x509_crl(published)
    root = x509.load_pem_x509_certificate((directory / "root.pem").read_bytes())
    assert crl.is_signature_valid(root.public_key())
    assert len(crl) == 0 and crl.next_update_utc == root.not_valid_after_utc
    named = seal_certificate(directory).crl_distribution_points[0].url
    assert named == crl_url


def check_revocation(directory, setup, policy):
    """Validate the seal's certificate (its CRL required) under `policy`."""
    certificate = seal_certificate(directory)
    with network_budget(10), fetch_policy(policy):  # the context's fetchers follow them
        context = validation_context(setup.trust_roots, revocation_mode="require")
        validator = CertificateValidator(certificate, validation_context=context)

        async def validate():
            try:
                return await validator.async_validate_usage({"digital_signature"})
            finally:
                await context.aclose()

        return asyncio.run(validate()), context


def test_the_demo_setup_fetches_the_crl_from_loopback_and_only_there(served_demo_pki):
    directory, crl_url = served_demo_pki
    # Without the copy of the CRL the setup reads from the folder: it must be fetched.
    setup = replace(demo_setup(directory), crls=())

    path, context = check_revocation(directory, setup, setup.fetch_policy)

    assert path is not None and len(context.crls) == 1
    assert setup.fetch_policy.allows(crl_url)
    with pytest.raises(PathValidationError):  # the default policy refuses loopback
        check_revocation(directory, setup, FetchPolicy.of([crl_url]))


def test_a_demo_pki_made_before_crls_were_published_still_loads(served_demo_pki):
    directory, _crl_url = served_demo_pki
    manifest = directory / DEMO_MANIFEST
    data = json.loads(manifest.read_text())
    for key in ("crl", "crl_url", "root_key"):
        del data[key]
    manifest.write_text(json.dumps(data))

    setup = demo_setup(directory)

    # Signs as before (B-T, an archive timestamp), fetching nothing.
    assert setup.crls == () and setup.fetch_allowed == ()
    assert setup.seal.load().signing_cert is not None
    root = load_cert_from_pemder(directory / "root.pem")
    assert root.sha256 in {r.sha256 for r in setup.trust_roots}
