"""What the deployment configured for signing: signers, trust roots, TSA, the tax code rule.

Read from settings (see settings.py and the README) into a `SigningSetup`. The services take
one as an argument so that `seed_demo` can sign with the demo PKI it has just made, and tests
with their own PKI, whatever the settings say. With DEBUG=1 and no signer configured, the
demo PKI written by `seed_demo` (DEMO_PKI_DIR) is used, so the demo shows the whole flow.
"""

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import x509
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from pyhanko.keys import load_certs_from_pemder

from partnerships.signing.authority_signers import AuthoritySigning, read_authority_signing
from partnerships.signing.demo_tsa import TSA_ROOT_FILE, demo_tsa_url
from partnerships.signing.pdf import verify
from partnerships.signing.pdf.authority_rule import AuthorityRule
from partnerships.signing.pdf.errors import SigningError
from partnerships.signing.pdf.fetching import FetchPolicy, fetch_policy, hosts_of, urls_named_by
from partnerships.signing.pdf.network import DEFAULT_BUDGET, network_budget
from partnerships.signing.pdf.signers import Signer
from partnerships.signing.pdf.upload import TaxCodeRule, tax_code_rule
from partnerships.signing.signer_sources import Pkcs11Source, Pkcs12Source

logger = logging.getLogger(__name__)

DEMO_MANIFEST = "demo-pki.json"


@dataclass(frozen=True)
class SigningSetup:
    # The single SIGNING_AUTHORITY_* signer: it signs for an authority without a signer of
    # its own only when the deployment says so (`shared_authority`).
    authority: Pkcs12Source | Pkcs11Source | None = None
    shared_authority: bool = False
    # SIGNING_AUTHORITIES_FILE: each authority's own signer and the rule for its certificate.
    authorities: AuthoritySigning = field(default=AuthoritySigning())
    seal: Pkcs12Source | None = None
    tsa_url: str | None = None
    configured_roots: tuple = ()
    other_certs: tuple = ()
    tax_code_rule: TaxCodeRule = field(default=tax_code_rule())
    revocation_mode: str = "hard-fail"
    public_base_url: str = ""
    # Seconds one request may wait for the TSA and the OCSP/CRL servers (see network_budget).
    network_timeout: float = DEFAULT_BUDGET
    # SIGNING_FETCH_ALLOWED: where validation may fetch (empty: what the trust names).
    fetch_allowed: tuple = ()
    # CRLs known without fetching (asn1crypto CertificateList): the demo root's own, so that
    # seed_demo signs while no demo server publishes it. Fetched data counts as well.
    crls: tuple = ()
    is_demo: bool = False
    # Configuration mistakes found while reading the settings (a missing file...).
    errors: tuple = ()

    # --- Reading the settings ---------------------------------------------------------------

    @classmethod
    def from_settings(cls) -> "SigningSetup":
        errors = []
        extra = _certificates(
            settings.SIGNING_EXTRA_CERTIFICATES, "SIGNING_EXTRA_CERTIFICATES", errors
        )
        roots = _certificates(settings.SIGNING_TRUST_ROOTS, "SIGNING_TRUST_ROOTS", errors)
        fetch_allowed = _fetch_entries(settings.SIGNING_FETCH_ALLOWED, errors)
        authority = None
        if settings.SIGNING_AUTHORITY_PKCS12:
            authority = Pkcs12Source(
                settings.SIGNING_AUTHORITY_PKCS12,
                settings.SIGNING_AUTHORITY_PKCS12_PASSPHRASE,
                tuple(extra),
            )
        elif settings.SIGNING_AUTHORITY_PKCS11_MODULE:
            authority = Pkcs11Source(
                module=settings.SIGNING_AUTHORITY_PKCS11_MODULE,
                pin=settings.SIGNING_AUTHORITY_PKCS11_PIN,
                token_label=settings.SIGNING_AUTHORITY_PKCS11_TOKEN,
                key_label=settings.SIGNING_AUTHORITY_PKCS11_KEY_LABEL,
                cert_label=settings.SIGNING_AUTHORITY_PKCS11_CERT_LABEL,
                extra=tuple(extra),
            )
        authorities = read_authority_signing(settings.SIGNING_AUTHORITIES_FILE, extra=tuple(extra))
        seal = None
        if settings.SIGNING_SEAL_PKCS12:
            seal = Pkcs12Source(
                settings.SIGNING_SEAL_PKCS12, settings.SIGNING_SEAL_PKCS12_PASSPHRASE, tuple(extra)
            )
        common = {
            "tsa_url": settings.SIGNING_TSA_URL or None,
            "tax_code_rule": tax_code_rule(
                settings.SIGNING_TAX_CODE_PATTERN, settings.SIGNING_TAX_CODE_ATTRIBUTES
            ),
            "revocation_mode": settings.SIGNING_REVOCATION_MODE,
            "public_base_url": settings.PUBLIC_BASE_URL,
            "network_timeout": settings.SIGNING_NETWORK_TIMEOUT,
            "fetch_allowed": fetch_allowed,
        }
        if authority is None and seal is None and not authorities.entries and settings.DEBUG:
            # The demo's own TSA (manage.py run_demo_tsa), unless another is configured.
            demo = demo_setup(
                settings.DEMO_PKI_DIR,
                **common | {"tsa_url": common["tsa_url"] or demo_tsa_url(settings.DEMO_TSA_PORT)},
            )
            if demo is not None:
                return demo
        return cls(
            authority=authority,
            shared_authority=settings.SIGNING_AUTHORITY_SHARED,
            authorities=authorities,
            seal=seal,
            configured_roots=tuple(roots),
            other_certs=tuple(extra),
            errors=tuple(errors),
            **common,
        )

    # --- What is missing --------------------------------------------------------------------

    def _common_problems(self) -> list:
        problems = list(self.errors)
        if not self.public_base_url and not settings.DEBUG and not self.is_demo:
            problems.append(
                _(
                    "Set PUBLIC_BASE_URL to the registry's public address: it is printed as a "
                    "QR code on every signed PDF and used in invitation emails."
                )
            )
        return problems

    def authority_source(self, authority_id: int | None) -> Pkcs12Source | Pkcs11Source | None:
        """The server signer of this authority: its own, else the shared one if allowed."""
        own = self.authorities.source(authority_id)
        if own is not None:
            return own
        return self.authority if self.shared_authority else None

    def signs_with_shared(self, authority_id: int | None) -> bool:
        """Does the single signer the deployment shares sign for this authority? (The
        deployment chose it for every authority without its own: no belonging rule.)"""
        return (
            self.authorities.source(authority_id) is None
            and self.authority_source(authority_id) is not None
        )

    def authority_rule(self, authority_id: int | None) -> AuthorityRule:
        return self.authorities.rule_for(authority_id)

    def authority_problems(self, authority_id: int | None = None) -> list:
        """Why the server cannot sign for this authority, in words for whoever configures the
        server (none: it can). Without a signer, staff sign by download and upload."""
        problems = self._common_problems() + list(self.authorities.errors)
        if self.authority_source(authority_id) is None:
            problems.append(NO_AUTHORITY_SIGNER)
            if self.authority is not None:
                problems.append(SHARED_SIGNER_NOT_SHARED)
        return problems

    def authority_upload_problems(self) -> list:
        """Why an authority's signature made outside cannot be checked here (none: it can)."""
        problems = self._common_problems() + list(self.authorities.errors)
        if not self.trust_roots:
            problems.append(
                _(
                    "No trust roots are configured: set SIGNING_TRUST_ROOTS to the root "
                    "certificates of the certification authority that issues the "
                    "authorities' official-duty certificates."
                )
            )
        return problems

    def has_authority_signer(self, authority_id: int | None) -> bool:
        return self.authority_source(authority_id) is not None

    def seal_problems(self) -> list:
        problems = self._common_problems()
        if self.seal is None:
            problems.append(
                _(
                    "The registry's seal is not configured: set SIGNING_SEAL_PKCS12 and "
                    "SIGNING_SEAL_PKCS12_PASSPHRASE to let businesses without a certificate "
                    "sign with a one-time code."
                )
            )
        return problems

    def upload_problems(self) -> list:
        problems = self._common_problems()
        if not self.configured_roots:
            problems.append(
                _(
                    "No trust roots are configured: set SIGNING_TRUST_ROOTS to the root "
                    "certificates of the certification authorities whose certificates "
                    "businesses may sign with."
                )
            )
        return problems

    # --- What the signing calls need ------------------------------------------------------

    @contextmanager
    def authority_signer(self, authority_id: int | None = None) -> Iterator[Signer]:
        source = self.authority_source(authority_id)
        if source is None:
            raise SigningError(NO_AUTHORITY_SIGNER)
        with source.open() as signer:
            yield signer

    def _signer_sources(self) -> list:
        return [s for s in (self.authority, self.seal) if s is not None] + (
            self.authorities.sources()
        )

    def seal_signer(self) -> Signer:
        if self.seal is None:
            raise SigningError(self.seal_problems()[-1])
        return self.seal.load()

    @property
    def trust_roots(self) -> list[x509.Certificate]:
        """The configured roots; without any, the roots at the top of the registry's own
        signers' chains, so that at least the registry's signatures can be checked."""
        if self.configured_roots:
            return list(self.configured_roots)
        roots = []
        for source in self._signer_sources():
            try:
                certificates = source.certificates()
            except Exception:
                logger.warning("Cannot read a signer's certificates", exc_info=True)
                continue
            roots += [cert for cert in certificates if cert.self_signed in ("maybe", "yes")]
        return _unique(roots)

    @property
    def registry_seals(self) -> list[x509.Certificate]:
        if self.seal is None:
            return []
        try:
            return [self.seal.load().signing_cert]
        except SigningError:
            return []

    def profile(self) -> dict:
        """The PAdES options of every signature: B-T with a TSA, B-LT with trust roots."""
        return {
            "tsa_url": self.tsa_url,
            "trust_roots": self.trust_roots or None,
            "other_certs": list(self.other_certs),
            "crls": list(self.crls),
        }

    def verify(self, pdf: bytes) -> verify.Verdict:
        """verify_pdf with this setup's trust; never raises."""
        roots = self.trust_roots
        digest = hashlib.sha256(pdf if isinstance(pdf, bytes | bytearray) else b"")
        if not roots:
            return verify.Verdict(sha256=digest.hexdigest(), problems=(NO_TRUST_ROOTS_PROBLEM,))
        try:
            with self.network_budget():
                return verify.verify_pdf(
                    pdf,
                    trust_roots=roots,
                    other_certs=list(self.other_certs),
                    registry_seals=self.registry_seals,
                    revocation_mode=self.revocation_mode,
                    crls=list(self.crls),
                )
        except Exception:  # verify_pdf promises not to raise; a verdict all the same
            logger.exception("Verification crashed")
            return verify.Verdict(sha256=digest.hexdigest(), problems=(verify.problem("damaged"),))

    def public_url(self, path: str, request=None) -> str:
        if self.public_base_url:
            return self.public_base_url + path
        if request is not None:
            return request.build_absolute_uri(path)
        return "http://127.0.0.1:8000" + path

    @property
    def fetch_policy(self) -> FetchPolicy:
        """Where validation may fetch certificates, CRLs and OCSP responses: what
        SIGNING_FETCH_ALLOWED names (its exact hosts even on internal addresses), else the
        endpoints named by the configured roots, intermediates and the registry's own
        signers' chains (on public addresses only)."""
        if self.fetch_allowed:
            return FetchPolicy.of(self.fetch_allowed, internal=True)
        certificates = [*self.trust_roots, *self.other_certs]
        for source in self._signer_sources():
            try:
                certificates += source.certificates()
            except Exception:
                logger.warning("Cannot read a signer's certificates", exc_info=True)
        return FetchPolicy.of(hosts_of(urls_named_by(certificates)))

    @contextmanager
    def network_budget(self):
        """Open the time budget shared by the network work of one request (signing,
        checking, archiving), and the fetch policy it follows:
        `with setup.network_budget(): ...`."""
        with network_budget(self.network_timeout), fetch_policy(self.fetch_policy):
            yield

    def verification_url(self, mou, request=None) -> str:
        return self.public_url(reverse("public_mou", args=[mou.public_id]), request)


NO_AUTHORITY_SIGNER = _(
    "No signing certificate of this authority is configured on the server: download the PDF, "
    "sign it in the authority's field with the authority's official-duty certificate (its "
    "USB token) and upload it here. To let the server sign, give the authority a PKCS#12 "
    "file or a PKCS#11 key in SIGNING_AUTHORITIES_FILE (see the README)."
)

SHARED_SIGNER_NOT_SHARED = _(
    "SIGNING_AUTHORITY_PKCS12 (or SIGNING_AUTHORITY_PKCS11_*) is set, but it signs for an "
    "authority without a signer of its own only with SIGNING_AUTHORITY_SHARED=1."
)

NO_TRUST_ROOTS_PROBLEM = verify.Problem(
    "no_trust_roots",
    _("The registry has no trust roots configured, so no signature can be checked here."),
)


def _unique(certificates) -> list[x509.Certificate]:
    seen, unique = set(), []
    for cert in certificates:
        if cert.sha256 not in seen:
            seen.add(cert.sha256)
            unique.append(cert)
    return unique


def _certificates(paths, variable: str, errors: list) -> list[x509.Certificate]:
    try:
        return list(load_certs_from_pemder(paths))
    except Exception:
        errors.append(
            _("A certificate file named in %(variable)s cannot be read.") % {"variable": variable}
        )
        return []


def _fetch_entries(entries, errors: list) -> tuple:
    for entry in entries:
        try:
            FetchPolicy.of([entry])
        except ValueError:
            errors.append(
                _("SIGNING_FETCH_ALLOWED names %(entry)s, which is not a host or an http(s) URL.")
                % {"entry": entry}
            )
            return ()
    return tuple(entries)


def demo_setup(directory: Path, **common) -> SigningSetup | None:
    """The setup of the demo PKI in `directory` (written by seed_demo), or None.

    Its root's CRL (demo_pki) is known from the folder and may be fetched from the demo
    server (on loopback: allowed here by its exact URL, which the certificates name). A PKI
    made before the demo published CRLs has neither."""
    manifest = Path(directory) / DEMO_MANIFEST
    if not manifest.is_file():
        return None
    data = json.loads(manifest.read_text())
    root_files = [Path(directory) / data["root"]]
    if (Path(directory) / TSA_ROOT_FILE).is_file():  # the demo TSA's (demo_tsa)
        root_files.append(Path(directory) / TSA_ROOT_FILE)
    root = list(load_certs_from_pemder(root_files))
    passphrase = data["passphrase"]
    common.setdefault("tax_code_rule", tax_code_rule())
    common.setdefault("public_base_url", "")
    if data.get("crl") and data.get("crl_url"):
        crl = asn1_crl.CertificateList.load((Path(directory) / data["crl"]).read_bytes())
        common["crls"] = (*common.get("crls", ()), crl)
        common["fetch_allowed"] = (*common.get("fetch_allowed", ()), data["crl_url"])
    return SigningSetup(
        # One DEMO signer for every authority of the demo.
        authority=Pkcs12Source(str(Path(directory) / data["authority"]), passphrase),
        shared_authority=True,
        seal=Pkcs12Source(str(Path(directory) / data["seal"]), passphrase),
        configured_roots=tuple(root),
        is_demo=True,
        **common,
    )
