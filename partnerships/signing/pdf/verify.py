"""A verdict on a signed PDF, for anyone: who signed, when, intact or not, trusted or not and
why, revoked or not, what changed after each signature, which PAdES level.

Nothing here raises on bad input: garbage, an encrypted file, a PDF without signatures, a
signature pyHanko cannot parse all become a verdict with a reason. Reasons carry a stable code
(for programs and tests) and an English message marked for translation (for people).

The document is `ok` only when every signature and timestamp is intact, valid and trusted,
every change after each signature is one its signer allowed, and nothing but validation data
and archive timestamps was added after the last signature.
"""

import hashlib
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509
from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    SignatureCoverageLevel,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.errors import NoDSSFoundError

from partnerships.signing.pdf import embedded as embedded_signatures
from partnerships.signing.pdf import levels, ltv, ocsp_reuse, profile, visual
from partnerships.signing.pdf.diff_policy import AllowListDiffPolicy
from partnerships.signing.pdf.fetching import revocation_unchecked
from partnerships.signing.pdf.network import NetworkTimeout, run_within_budget
from partnerships.signing.pdf.problems import Problem, interpolate  # noqa: F401 (re-exported)
from partnerships.signing.pdf.trust import SIGNER_KEY_USAGE, validation_context

logger = logging.getLogger(__name__)


# --- Reasons --------------------------------------------------------------------------------

NOT_A_PDF = "not_a_pdf"
DAMAGED = "damaged"
ENCRYPTED = "encrypted"
NO_SIGNATURES = "no_signatures"
MODIFIED_AFTER_LAST_SIGNATURE = "modified_after_last_signature"

SIGNATURE_BROKEN = "signature_broken"
UNREADABLE_SIGNATURE = "unreadable_signature"
UNTRUSTED = "untrusted"
REVOKED = "revoked"
EXPIRED = "expired"
NOT_YET_VALID = "not_yet_valid"
REVOCATION_UNKNOWN = "revocation_unknown"
UNUSABLE_CERTIFICATE = "unusable_certificate"
TIMESTAMP_INVALID = "timestamp_invalid"
CHANGED_AFTER_SIGNING = "changed_after_signing"
INCOMPLETE_COVERAGE = "incomplete_coverage"
NETWORK_TIMEOUT = "network_timeout"

MESSAGES = {
    NOT_A_PDF: _("The file is not a PDF."),
    DAMAGED: _("The PDF is damaged and cannot be read."),
    ENCRYPTED: _("The PDF is encrypted; its signatures cannot be checked."),
    NO_SIGNATURES: _("The PDF has no signatures."),
    MODIFIED_AFTER_LAST_SIGNATURE: _("The document was changed after its last signature."),
    SIGNATURE_BROKEN: _(
        "The signature does not match the document: the signed content was altered, or the "
        "signature itself is damaged."
    ),
    UNREADABLE_SIGNATURE: _("The signature cannot be read."),
    UNTRUSTED: _("The signing certificate was not issued by a trusted certification authority."),
    REVOKED: _("The signing certificate has been revoked."),
    EXPIRED: _("The signing certificate has expired."),
    NOT_YET_VALID: _("The signing certificate is not valid yet."),
    REVOCATION_UNKNOWN: _("Whether the signing certificate has been revoked could not be checked."),
    UNUSABLE_CERTIFICATE: _("The signing certificate may not be used for signing documents."),
    TIMESTAMP_INVALID: _("The signature's timestamp is not valid or not trusted."),
    CHANGED_AFTER_SIGNING: _(
        "The document was changed after this signature in a way the signer did not allow."
    ),
    INCOMPLETE_COVERAGE: _("The signature does not cover the whole of the signed revision."),
    NETWORK_TIMEOUT: _(
        "The certificate status servers did not answer in time, so the signatures could not "
        "be checked. Please try again in a few minutes."
    ),
}


def problem(code: str) -> Problem:
    return Problem(code, MESSAGES[code])


# --- What the verdict says --------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureReport:
    """One signature or document timestamp, in signing order."""

    field: str
    kind: str  # "signature" or "timestamp"
    signer_name: str  # the certificate's common name
    signer_subject: str  # the whole distinguished name, readable
    claimed_name: str | None  # the /Name the signing software wrote, if any
    signed_at: datetime | None
    time_source: str | None  # "timestamp" (a trusted TSA said so) or "claimed" (the signer did)
    intact: bool
    valid: bool
    trusted: bool
    revoked: bool
    revoked_at: datetime | None
    certification: bool  # the first, certifying signature (DocMDP)
    permission: str | None  # what it allows afterwards: "no_changes", "fill_forms", "annotate"
    modification_level: str | None  # ModificationLevel name after this signature, lowercase
    changes_permitted: bool | None  # those changes are within `permission`
    coverage: str | None  # "entire_file", "entire_revision", "contiguous_block", "unclear"
    covers_whole_file: bool
    pades_level: str | None  # "B-B", "B-T", "B-LT", "B-LTA"; None for a non-PAdES signature
    registry_seal: bool  # made with the registry's seal, not the signer's own certificate
    problems: tuple[Problem, ...] = ()
    # Not serialised: for callers that need more (e.g. the upload check's tax code rule).
    certificate: x509.Certificate | None = field(default=None, repr=False, compare=False)
    signed_revision: int | None = field(default=None, repr=False, compare=False)
    # Judged at this time, an archive timestamp's (ltv), when it is no longer valid today.
    validated_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "field": self.field,
            "kind": self.kind,
            "signer_name": self.signer_name,
            "signer_subject": self.signer_subject,
            "claimed_name": self.claimed_name,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "time_source": self.time_source,
            "intact": self.intact,
            "valid": self.valid,
            "trusted": self.trusted,
            "revoked": self.revoked,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "certification": self.certification,
            "permission": self.permission,
            "modification_level": self.modification_level,
            "changes_permitted": self.changes_permitted,
            "coverage": self.coverage,
            "covers_whole_file": self.covers_whole_file,
            "pades_level": self.pades_level,
            "registry_seal": self.registry_seal,
            "validated_at": self.validated_at.isoformat() if self.validated_at else None,
            "ok": self.ok,
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class Verdict:
    sha256: str
    signatures: tuple[SignatureReport, ...] = ()
    problems: tuple[Problem, ...] = ()  # about the document as a whole

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and not self.problems and all(s.ok for s in self.signatures)

    @property
    def reasons(self) -> list[Problem]:
        """Every problem, the document's first, then each signature's."""
        return [*self.problems, *(p for s in self.signatures for p in s.problems)]

    @property
    def codes(self) -> set[str]:
        return {p.code for p in self.reasons}

    def as_dict(self) -> dict:
        """Plain types only, messages in the active language: ready for json.dumps."""
        return {
            "ok": self.ok,
            "sha256": self.sha256,
            "problems": [p.as_dict() for p in self.problems],
            "signatures": [s.as_dict() for s in self.signatures],
        }


# --- Reading the PDF ----------------------------------------------------------------------------


def open_signed_pdf(pdf: bytes) -> tuple[PdfFileReader | None, Problem | None]:
    """A pyHanko reader on `pdf`, or why there is none."""
    if not isinstance(pdf, bytes | bytearray) or b"%PDF-" not in bytes(pdf[:1024]):
        return None, problem(NOT_A_PDF)
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        if reader.encrypted:
            return None, problem(ENCRYPTED)
        reader.root  # noqa: B018  (reads the catalogue: fails here on a broken file)
        readable, unparsed = embedded_signatures.embedded_signatures(reader)
    except Exception:
        logger.info("Unreadable PDF", exc_info=True)
        return None, problem(DAMAGED)
    if not readable and not unparsed:
        return reader, problem(NO_SIGNATURES)
    return reader, None


@dataclass(frozen=True)
class _EmbeddedValidationData:
    """What a document security store (DSS) holds: certificates, OCSP responses, CRLs (with
    the SHA-256 of each response's and CRL's bytes, by which levels.py remembers them)."""

    certs: list
    ocsps: list
    crls: list
    ocsp_digests: list = field(default_factory=list)
    crl_digests: list = field(default_factory=list)


def _embedded_data(reader: PdfFileReader, revision: int | None = None):
    """The DSS of the document (or of one of its revisions), or None."""
    from pyhanko.pdf_utils.decode_limits import DecodePurpose

    try:
        handler = reader if revision is None else reader.get_historical_resolver(revision)
        dss = DocumentSecurityStore.read_dss(handler)
        ocsps = [ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE) for ref in dss.ocsps]
        crls = [ref.get_object().read_data(DecodePurpose.CRL) for ref in dss.crls]
        return _EmbeddedValidationData(
            certs=list(dss.load_certs()),
            ocsps=[asn1_ocsp.OCSPResponse.load(data) for data in ocsps],
            crls=[asn1_crl.CertificateList.load(data) for data in crls],
            ocsp_digests=[hashlib.sha256(data).digest() for data in ocsps],
            crl_digests=[hashlib.sha256(data).digest() for data in crls],
        )
    except NoDSSFoundError:
        return None
    except Exception:
        logger.info("Unreadable DSS", exc_info=True)
        return None


# --- Judging one signature ----------------------------------------------------------------------

_EXPIRED_INDICATIONS = {"EXPIRED", "OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED"}
_REVOKED_INDICATIONS = {"REVOKED", "REVOKED_NO_POE", "REVOKED_CA_NO_POE"}
_NOT_YET_VALID_INDICATIONS = {"NOT_YET_VALID"}
_REVOCATION_UNKNOWN_INDICATIONS = {"TRY_LATER", "REVOCATION_OUT_OF_BOUNDS_NO_POE"}
_UNUSABLE_INDICATIONS = {"CHAIN_CONSTRAINTS_FAILURE", "SIG_CONSTRAINTS_FAILURE"}


def trust_problem(status) -> Problem | None:
    """Why a signature's certificate is not trusted, from pyHanko's status; None if it is."""
    if status.trusted:
        return None
    if status.revoked:
        return problem(REVOKED)
    # Said precisely when the certificate itself shows it (pyHanko: "untrusted", "unusable").
    detail = profile.trust_detail(status.signing_cert, at=datetime.now(UTC))
    if detail is not None:
        return Problem(detail, profile.MESSAGES[detail])
    indication = getattr(status.trust_problem_indic, "name", None)
    if indication == "CERTIFICATE_CHAIN_GENERAL_FAILURE" and revocation_unchecked(status):
        return problem(REVOCATION_UNKNOWN)  # a fetch was refused, failed or ran out of time
    for codes, code in (
        (_REVOKED_INDICATIONS, REVOKED),
        (_EXPIRED_INDICATIONS, EXPIRED),
        (_NOT_YET_VALID_INDICATIONS, NOT_YET_VALID),
        (_REVOCATION_UNKNOWN_INDICATIONS, REVOCATION_UNKNOWN),
        (_UNUSABLE_INDICATIONS, UNUSABLE_CERTIFICATE),
    ):
        if indication in codes:
            return problem(code)
    return problem(UNTRUSTED)


def _permission(level: MDPPerm | None) -> str | None:
    return level.name.lower() if level is not None else None


_COVERAGE_NAMES = {
    SignatureCoverageLevel.ENTIRE_FILE: "entire_file",
    SignatureCoverageLevel.ENTIRE_REVISION: "entire_revision",
    SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START: "contiguous_block",
    SignatureCoverageLevel.UNCLEAR: "unclear",
}


def _signing_time(status) -> tuple[datetime | None, str | None]:
    timestamp = getattr(status, "timestamp_validity", None)
    if timestamp is not None and timestamp.intact and timestamp.valid and timestamp.trusted:
        return timestamp.timestamp, "timestamp"
    if getattr(status, "timestamp", None) is not None:  # a document timestamp's own time
        return status.timestamp, "timestamp"
    if getattr(status, "signer_reported_dt", None) is not None:
        return status.signer_reported_dt, "claimed"
    return None, None


def _problems(status) -> list[Problem]:
    found = []
    if not (status.intact and status.valid):
        return [problem(SIGNATURE_BROKEN)]
    trust = trust_problem(status)
    if trust is not None:
        found.append(trust)
    timestamp = getattr(status, "timestamp_validity", None)
    if timestamp is not None and not (timestamp.intact and timestamp.valid and timestamp.trusted):
        found.append(problem(TIMESTAMP_INVALID))
    if status.coverage is not None and status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        found.append(problem(INCOMPLETE_COVERAGE))
    elif status.docmdp_ok is False:
        found.append(problem(CHANGED_AFTER_SIGNING))
    return found


def _name(cert: x509.Certificate) -> str:
    return cert.subject.native.get("common_name") or cert.subject.human_friendly


def _report(embedded, status, *, reader, seals: set[bytes]) -> SignatureReport:
    kind = "timestamp" if embedded.sig_object_type == "/DocTimeStamp" else "signature"
    cert = status.signing_cert
    signed_at, time_source = _signing_time(status)
    level = status.modification_level
    revocation = status.revocation_details
    docmdp = embedded.docmdp_level
    claimed = embedded.sig_object.get("/Name")
    return SignatureReport(
        field=str(embedded.field_name),  # a plain str: the report crosses processes
        kind=kind,
        signer_name=_name(cert),
        signer_subject=cert.subject.human_friendly,
        claimed_name=str(claimed) if claimed is not None else None,
        signed_at=signed_at,
        time_source=time_source,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        revoked=status.revoked,
        revoked_at=revocation.revocation_date if revocation is not None else None,
        certification=kind == "signature" and _is_certification(reader, embedded),
        permission=_permission(docmdp),
        modification_level=level.name.lower() if level is not None else None,
        changes_permitted=status.docmdp_ok,
        coverage=_COVERAGE_NAMES.get(status.coverage),
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        pades_level=None,  # set once every timestamp is judged (levels.pades_level)
        registry_seal=cert.sha256 in seals,
        problems=tuple(_problems(status)),
        certificate=cert,
        signed_revision=embedded.signed_revision,
    )


def _is_certification(reader: PdfFileReader, embedded) -> bool:
    try:
        perms = reader.root["/Perms"]
        return perms.raw_get("/DocMDP").reference == embedded.sig_field.raw_get("/V").reference
    except Exception:
        return False


def digest_matches(embedded) -> bool | None:
    """Does the signed digest match the bytes the signature covers? None if it cannot be told.

    pyHanko answers this as part of validation; this cheap check is for when validation
    itself fails (a damaged signature dictionary) and to put integrity first in the upload
    check."""
    try:
        digest = embedded.compute_digest()
        for attribute in embedded.signer_info["signed_attrs"]:
            if attribute["type"].native == "message_digest":
                return attribute["values"][0].native == digest
    except Exception:
        return None
    return None


def _unreadable(embedded) -> SignatureReport:
    try:
        cert = embedded.signer_cert
    except Exception:
        cert = None
    broken = digest_matches(embedded) is False
    return SignatureReport(
        field=str(getattr(embedded, "field_name", "") or ""),
        kind="timestamp" if embedded.sig_object_type == "/DocTimeStamp" else "signature",
        signer_name=_name(cert) if cert is not None else "",
        signer_subject=cert.subject.human_friendly if cert is not None else "",
        claimed_name=None,
        signed_at=None,
        time_source=None,
        intact=False,
        valid=False,
        trusted=False,
        revoked=False,
        revoked_at=None,
        certification=False,
        permission=None,
        modification_level=None,
        changes_permitted=None,
        coverage=None,
        covers_whole_file=False,
        pades_level=None,
        registry_seal=False,
        problems=(problem(SIGNATURE_BROKEN if broken else UNREADABLE_SIGNATURE),),
        certificate=cert,
        signed_revision=getattr(embedded, "signed_revision", None),
    )


# --- The whole document -------------------------------------------------------------------------


async def _validate_all(signatures, context, diff_policy) -> list[tuple[object, object | None]]:
    results = []
    try:
        for embedded in signatures:
            try:
                if embedded.sig_object_type == "/DocTimeStamp":
                    status = await async_validate_pdf_timestamp(
                        embedded, validation_context=context, diff_policy=diff_policy
                    )
                else:
                    status = await async_validate_pdf_signature(
                        embedded,
                        signer_validation_context=context,
                        ts_validation_context=context,
                        key_usage_settings=SIGNER_KEY_USAGE,
                        diff_policy=diff_policy,
                    )
            except Exception:
                logger.info("Signature %s could not be validated", embedded, exc_info=True)
                status = None
            results.append((embedded, status))
    finally:
        await context.aclose()
    return results


# Validation data and archive timestamps do not count as changes (PAdES, ISO 32000-2).
_UNMODIFIED = {ModificationLevel.NONE.name.lower(), ModificationLevel.LTA_UPDATES.name.lower()}


def verify_reader(
    reader: PdfFileReader,
    *,
    trust_roots: Iterable[x509.Certificate],
    other_certs: Iterable[x509.Certificate] = (),
    registry_seals: Iterable[x509.Certificate] = (),
    allow_fetching: bool = True,
    revocation_mode: str = "hard-fail",
    only: Iterable | None = None,
    moment: datetime | None = None,
    crls: Iterable = (),
) -> tuple[list[SignatureReport], list[Problem]]:
    """The per-signature reports and document problems of an opened, signed PDF (of the
    embedded signatures in `only`, when given), validated at `moment` (now when None); a
    signature no longer valid then is judged at the time of an archive timestamp over it."""
    dss_by_revision = {}

    def dss_at(revision: int | None):
        if revision not in dss_by_revision:
            dss_by_revision[revision] = _embedded_data(reader, revision)
        return dss_by_revision[revision]

    # Validation data embedded in the document (B-LT) counts, besides what is fetched.
    embedded = dss_at(None) or _EmbeddedValidationData([], [], [])
    trust_roots, other_certs = list(trust_roots), list(other_certs)

    def context_at(when: datetime | None):
        return validation_context(
            trust_roots,
            other_certs=[*other_certs, *embedded.certs],
            ocsps=embedded.ocsps,
            crls=[*embedded.crls, *crls],
            allow_fetching=allow_fetching,
            revocation_mode=revocation_mode,
            moment=when,
        )

    readable, unparsed = embedded_signatures.embedded_signatures(reader)
    signatures = readable if only is None else list(only)
    # What changed after each signature: our allow-list, worked out once for all of them.
    diff_policy = AllowListDiffPolicy(reader, readable)
    # Verifying, OCSP answers of a moment ago are reused (ocsp_reuse.py).
    with ocsp_reuse.for_verification():
        results = run_within_budget(
            lambda: _validate_all(signatures, context_at(moment), diff_policy)
        )
    seals = {cert.sha256 for cert in registry_seals}

    def report_of(e, s):
        if s is None:
            return _unreadable(e)
        return _report(e, s, reader=reader, seals=seals)

    statuses = [s for _e, s in results]

    def revalidate(index: int, when: datetime) -> SignatureReport:
        e = results[index][0]
        with ocsp_reuse.for_verification():
            [(_e, s)] = run_within_budget(lambda: _validate_all([e], context_at(when), diff_policy))
        statuses[index] = s
        return report_of(e, s)

    reports = ltv.judge_at_archive_time([report_of(e, s) for e, s in results], revalidate)
    # The level counts only what passed validation (timestamps, revocation data).
    valid_timestamps = [r.signed_revision for r in reports if r.kind == "timestamp" and r.ok]
    reports = [
        replace(
            report,
            pades_level=levels.pades_level(
                e, status, dss_at=dss_at, valid_timestamps=valid_timestamps
            ),
        )
        if report.kind == "signature" and status is not None and report.intact
        else report
        for report, (e, _s), status in zip(reports, results, statuses, strict=True)
    ]
    problems = []
    last_signature = next((r for r in reversed(reports) if r.kind == "signature"), None)
    if (
        last_signature is not None
        and last_signature.modification_level is not None
        and last_signature.modification_level not in _UNMODIFIED
    ):
        problems.append(problem(MODIFIED_AFTER_LAST_SIGNATURE))
    if only is None:
        # A signature that cannot be parsed is listed with the others, in signing order.
        reports += [_unreadable(signature) for signature in unparsed]
        reports.sort(key=lambda r: (r.signed_revision is None, r.signed_revision or 0))
        # Our allow-list of what may follow each signature (modifications.py).
        problems += diff_policy.problems()
    return reports, problems


def verify_pdf(
    pdf: bytes,
    *,
    trust_roots: Iterable[x509.Certificate],
    other_certs: Iterable[x509.Certificate] = (),
    registry_seals: Iterable[x509.Certificate] = (),
    allow_fetching: bool = True,
    revocation_mode: str = "hard-fail",
    moment: datetime | None = None,
    crls: Iterable = (),
) -> Verdict:
    """Check every signature in `pdf` against `trust_roots`, at `moment` (now when None);
    never raises on bad input.

    `registry_seals`: the registry's seal certificates, so that a signature made with one is
    reported as such. `allow_fetching`: ask OCSP responders and CRL servers (else only what
    the document embeds, and `crls`, count).
    """
    digest = hashlib.sha256(pdf if isinstance(pdf, bytes | bytearray) else b"").hexdigest()
    reader, failure = open_signed_pdf(pdf)
    if failure is not None:
        return Verdict(sha256=digest, problems=(failure,))
    try:
        reports, problems = verify_reader(
            reader,
            trust_roots=trust_roots,
            other_certs=other_certs,
            registry_seals=registry_seals,
            allow_fetching=allow_fetching,
            revocation_mode=revocation_mode,
            moment=moment,
            crls=crls,
        )
        # Defence in depth: what the reader sees is what the last signer signed (visual.py).
        readable, _unparsed = embedded_signatures.embedded_signatures(reader)
        problems += visual.check(bytes(pdf), reader, readable)
    except NetworkTimeout:
        return Verdict(sha256=digest, problems=(problem(NETWORK_TIMEOUT),))
    except Exception:
        logger.warning("Verification failed on a readable PDF", exc_info=True)
        return Verdict(sha256=digest, problems=(problem(DAMAGED),))
    return Verdict(sha256=digest, signatures=tuple(reports), problems=tuple(problems))
