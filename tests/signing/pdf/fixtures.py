"""Session-wide signing fixtures: the certomancer test PKI, a real signable PDF, signers and
a SoftHSM2 token. Registered once for the whole suite (tests/conftest.py, pytest_plugins) so
tests/signing/pdf and tests/signing share one PKI server and one token: SoftHSM reads its
configuration once per process, so a second token directory would be invisible. A test that
uses them is marked `slow` (tests/conftest.py)."""

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from partnerships.signing.pdf import pades
from partnerships.signing.pdf.fetching import FetchPolicy, fetch_policy
from partnerships.signing.pdf.signers import load_pkcs12_signer
from tests.factories import requires_libreoffice, sample_documents
from tests.factories.signing import (
    AUTHORITY,
    BUSINESS,
    GENEROUS_NETWORK_BUDGET,
    PUBLIC_BASE_URL,
    VERIFICATION_URL,
    Flow,
)
from tests.signing.pdf.pki import PASSPHRASE, start_test_pki

SOFTHSM_MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """The test PKI, served on the loopback: code calling the engine directly may fetch
    from it (the pages follow SIGNING_FETCH_ALLOWED, see `signing_settings`)."""
    test_pki = start_test_pki(tmp_path_factory.mktemp("pki"))
    with fetch_policy(FetchPolicy.of([test_pki.base_url + "/"], internal=True)):
        yield test_pki
    test_pki.close()


@pytest.fixture(scope="session")
def signable_pdf() -> bytes:
    """The bgn_vi template filled with the sample context, converted, fields added."""
    if requires_libreoffice.args[0]:
        pytest.skip(requires_libreoffice.kwargs["reason"])
    return sample_documents()[1]


@pytest.fixture(scope="session")
def signer_for(pki):
    """signer_for("business"): a PKCS#12 signer for a certificate of the test PKI."""
    cache = {}

    def load(label: str):
        if label not in cache:
            cache[label] = load_pkcs12_signer(pki.pkcs12(label), PASSPHRASE)
        return cache[label]

    return load


@dataclass
class Token:
    module: str
    label: str
    pin: str
    key_label: str


def _softhsm_module() -> str | None:
    return next((path for path in SOFTHSM_MODULES if Path(path).exists()), None)


@pytest.fixture(scope="session")
def softhsm_token(pki, tmp_path_factory) -> Token:
    """A SoftHSM2 token holding the authority's key and certificate, as an HSM would."""
    module = _softhsm_module()
    if module is None or shutil.which("softhsm2-util") is None:
        pytest.skip("SoftHSM2 is not installed (apt-get install softhsm2)")
    directory = tmp_path_factory.mktemp("softhsm")
    (directory / "tokens").mkdir()
    config = directory / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {directory / 'tokens'}\n"
        "objectstore.backend = file\nlog.level = ERROR\n"
    )
    # SoftHSM reads its configuration when the module is first initialised in the process.
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(config)
    token = Token(module=module, label="registry", pin="1234", key_label="authority")
    run = {"check": True, "capture_output": True, "env": os.environ.copy()}
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", token.label,
         "--pin", token.pin, "--so-pin", "5678"],
        **run,
    )  # fmt: skip
    key_file = directory / "authority.key.pem"
    key_file.write_bytes(pki.private_key_pem("authority"))
    subprocess.run(
        ["softhsm2-util", "--import", str(key_file), "--token", token.label,
         "--label", token.key_label, "--id", "01", "--pin", token.pin],
        **run,
    )  # fmt: skip
    key_file.unlink()
    _store_certificate(token, pki.cert("authority"))
    yield token
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


def _store_certificate(token: Token, cert) -> None:
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    lib = pkcs11.lib(token.module)
    with lib.get_token(token_label=token.label).open(rw=True, user_pin=token.pin) as session:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: token.key_label,
                Attribute.ID: b"\x01",
                Attribute.SUBJECT: cert.subject.dump(),
                Attribute.VALUE: cert.dump(),
            }
        )


@pytest.fixture
def signing_settings(settings, pki, tmp_path):
    """The test PKI as the deployment's configuration: the shared authority signer and the
    seal from PKCS#12 files, its root trusted, its TSA for timestamps."""
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root.dump())
    # One signer for every authority, as the deployment allows (the tests of each
    # authority's own signer, test_authority_signers.py, turn it off).
    settings.SIGNING_AUTHORITY_SHARED = True
    settings.SIGNING_AUTHORITIES_FILE = ""
    settings.SIGNING_AUTHORITY_PKCS12 = str(pki.pkcs12("authority"))
    settings.SIGNING_AUTHORITY_PKCS12_PASSPHRASE = PASSPHRASE
    settings.SIGNING_SEAL_PKCS12 = str(pki.pkcs12("seal"))
    settings.SIGNING_SEAL_PKCS12_PASSPHRASE = PASSPHRASE
    settings.SIGNING_TSA_URL = pki.tsa_url
    settings.SIGNING_NETWORK_TIMEOUT = GENEROUS_NETWORK_BUDGET
    settings.SIGNING_TRUST_ROOTS = [str(root)]
    settings.SIGNING_FETCH_ALLOWED = [pki.base_url + "/"]
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    return settings


@pytest.fixture(scope="session")
def flow(pki, signable_pdf, signer_for) -> Flow:
    profile = {"tsa_url": pki.tsa_url, "trust_roots": pki.trust_roots}
    certified = pades.certify_as_authority(
        signable_pdf, signer_for("authority"), **AUTHORITY, **profile
    )
    business_signed = pades.sign_as_business(
        certified, signer_for("business"), **BUSINESS, **profile
    )
    return Flow(
        signable=signable_pdf,
        certified=certified,
        business_signed=business_signed,
        archived=pades.add_archive_timestamp(business_signed, **profile),
        sealed=pades.sign_with_registry_seal(
            certified,
            signer_for("seal"),
            person_name="Nguyễn Thị Hoa",
            company_name="Công ty May Bến Lức",
            verification_url=VERIFICATION_URL,
            **profile,
        ),
    )
