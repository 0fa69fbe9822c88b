"""Is a PDF the business signed with its own tool acceptable?

The business downloads the PDF we sent (already certified by the authority), signs it with
its USB token or its CA's signing app, and uploads the result. We accept it only if:

1. it is the sent file plus incremental updates: the uploaded bytes start with the sent bytes;
2. those updates add exactly one signature, in the business's field, made in the first update;
3. nothing else changed: our allow-list (modifications.py) and pyHanko's difference analysis
   find nothing beyond filling that one signature field, and after the signature only
   validation data (DSS) and invisible document timestamps, which signing tools add for
   long-term validation; and the pages look the same as in the signed revision (visual.py);
4. the certificate fits the profile of a business's signing certificate (profile.py: not
   self-signed, valid already, key usage and extended key usage for signing documents,
   exactly one tax code);
5. the signature is intact and valid, its certificate chains to a configured trust root, is
   not revoked (OCSP/CRL) and was valid when checked;
6. the certificate identifies this partner: its subject carries the partner's tax code, by a
   rule the deployment configures (`tax_code_rule`).

Otherwise the verdict names the first reason found, in that order.

The authority's staff upload what they signed with the authority's USB token through the same
checks (`check_authority_upload`): the PDF that was sent, unsigned, plus one certification or
approval signature in the authority's field, the allow-list reviewing that signature's own
update too; the certificate must belong to the authority by the deployment's rule
(authority_rule.py), and carry a trusted timestamp if the deployment requires one.
"""

import io
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import x509
from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffResult, ModificationLevel
from pyhanko.sign.validation import read_certification_data

from partnerships.documents.engine.fields import AUTHORITY_FIELD, BUSINESS_FIELD
from partnerships.signing.pdf import embedded, modifications, profile, verify, visual
from partnerships.signing.pdf.authority_rule import (
    WRONG_AUTHORITY,
    AuthorityIdentity,
    AuthorityRule,
)
from partnerships.signing.pdf.errors import SigningError
from partnerships.signing.pdf.network import NetworkTimeout
from partnerships.signing.pdf.structure import structural_problem
from partnerships.signing.pdf.verify import Problem, SignatureReport

logger = logging.getLogger(__name__)

TaxCodeRule = Callable[[x509.Certificate, str], bool]

# --- Reasons --------------------------------------------------------------------------------

NOT_A_PDF = verify.NOT_A_PDF
DAMAGED = verify.DAMAGED
ENCRYPTED = verify.ENCRYPTED
NOT_BASED_ON_SENT = "not_based_on_sent"
NOT_SIGNED = "not_signed"
EXTRA_SIGNATURE = "extra_signature"
WRONG_FIELD = "wrong_field"
MODIFIED_AFTER_SENDING = "modified_after_sending"
SIGNATURE_BROKEN = verify.SIGNATURE_BROKEN
UNTRUSTED = verify.UNTRUSTED
REVOKED = verify.REVOKED
EXPIRED = verify.EXPIRED
NOT_YET_VALID = verify.NOT_YET_VALID
REVOCATION_UNKNOWN = verify.REVOCATION_UNKNOWN
UNUSABLE_CERTIFICATE = verify.UNUSABLE_CERTIFICATE
TIMESTAMP_INVALID = verify.TIMESTAMP_INVALID
WRONG_PARTNER = "wrong_partner"
NOT_TIMESTAMPED = "not_timestamped"

MESSAGES = {
    NOT_BASED_ON_SENT: _(
        "The file is not the document we sent: sign the PDF downloaded from the registry, "
        "without saving it in another program first."
    ),
    NOT_SIGNED: _("The file has no new signature: sign it in the business's signature field."),
    EXTRA_SIGNATURE: _(
        "The file has more than one new signature: only one signature, in the business's "
        "signature field, may be added."
    ),
    WRONG_FIELD: _(
        "The new signature is not in the business's signature field: sign in the field "
        "prepared for the business."
    ),
    MODIFIED_AFTER_SENDING: _(
        "The document was changed besides being signed: only the business's signature may be added."
    ),
    WRONG_PARTNER: _(
        "The signing certificate does not belong to this business: its tax code %(tax_code)s "
        "is not in the certificate."
    ),
    NOT_TIMESTAMPED: _(
        "The signature has no trusted timestamp, which this registry requires: set your "
        "signing tool to use a time-stamping authority and sign the downloaded PDF again."
    ),
}

# The same reasons, worded for the authority's staff uploading what they signed with its
# official-duty certificate.
AUTHORITY_MESSAGES = MESSAGES | {
    NOT_BASED_ON_SENT: _(
        "The file is not the document that was sent: sign the PDF downloaded from this page, "
        "without saving it in another program first."
    ),
    NOT_SIGNED: _("The file has no new signature: sign it in the authority's signature field."),
    EXTRA_SIGNATURE: _(
        "The file has more than one new signature: only one signature, in the authority's "
        "signature field, may be added."
    ),
    WRONG_FIELD: _(
        "The new signature is not in the authority's signature field: sign in the field "
        "prepared for the authority."
    ),
    MODIFIED_AFTER_SENDING: _(
        "The document was changed besides being signed: only the authority's signature may be "
        "added."
    ),
}


@dataclass(frozen=True)
class _Party:
    """Whose upload is checked: its signature field and how the reasons are worded."""

    field: str
    messages: dict


BUSINESS = _Party(BUSINESS_FIELD, MESSAGES)
AUTHORITY = _Party(AUTHORITY_FIELD, AUTHORITY_MESSAGES)


@dataclass(frozen=True)
class UploadVerdict:
    accepted: bool
    reason: str | None = None
    message: object = None  # lazy translation
    signature: SignatureReport | None = None  # the new signature, once it was found

    def as_dict(self) -> dict:
        return {
            "accepted": self.accepted,
            "reason": self.reason,
            "message": str(self.message) if self.message is not None else None,
            "signature": self.signature.as_dict() if self.signature is not None else None,
        }


def _refuse(
    code: str, signature: SignatureReport | None = None, party: _Party = BUSINESS, **params
) -> UploadVerdict:
    message = {**verify.MESSAGES, **profile.MESSAGES, **party.messages}[code]
    if params:
        message = verify.interpolate(message, params)
    return UploadVerdict(accepted=False, reason=code, message=message, signature=signature)


def _refuse_problem(found: Problem, signature: SignatureReport | None = None) -> UploadVerdict:
    return UploadVerdict(
        accepted=False, reason=found.code, message=found.message, signature=signature
    )


# --- Whose certificate ----------------------------------------------------------------------

# The subject attributes Vietnamese CAs put a tax code in: UID ("MST:0312345678") and
# serialNumber.
TAX_CODE_ATTRIBUTES = ("user_id", "serial_number")
DEFAULT_TAX_CODE_PATTERN = r"(?:MST:)?{tax_code}"


def tax_code_rule(
    pattern: str = DEFAULT_TAX_CODE_PATTERN, attributes: Iterable[str] = TAX_CODE_ATTRIBUTES
) -> TaxCodeRule:
    """A rule that accepts a certificate when one of the subject `attributes` (asn1crypto
    names: "user_id" is UID, "serial_number", "organization_identifier", "common_name"…)
    matches `pattern` in full, case-insensitively, where "{tax_code}" stands for the
    partner's tax code (escaped). The default accepts "MST:0312345678" or "0312345678"."""
    attributes = tuple(attributes)
    if "{tax_code}" not in pattern:
        raise ValueError("The tax code pattern must contain {tax_code}.")

    def rule(cert: x509.Certificate, tax_code: str) -> bool:
        if not tax_code.strip():
            return False
        expected = re.compile(
            pattern.replace("{tax_code}", re.escape(tax_code.strip())), re.IGNORECASE
        )
        for rdn in cert.subject.chosen:
            for attribute in rdn:
                if attribute["type"].native not in attributes:
                    continue
                value = attribute["value"].native
                if isinstance(value, str) and expected.fullmatch(re.sub(r"\s+", "", value)):
                    return True
        return False

    # Every tax code the certificate names by the same rule (a certificate may name one).
    rule.codes = lambda cert: profile.tax_codes(cert, pattern, attributes)
    return rule


tax_code_in_subject: TaxCodeRule = tax_code_rule()


# --- The checks -------------------------------------------------------------------------------


def _sent_revisions(sent_pdf: bytes) -> tuple[int, object]:
    """The number of revisions of the sent file and its certification level (DocMDP)."""
    try:
        reader = PdfFileReader(io.BytesIO(sent_pdf), strict=False)
        certification = read_certification_data(reader)
        return reader.xrefs.total_revisions, (
            certification.permission if certification is not None else None
        )
    except Exception as exc:
        raise SigningError(_("The sent PDF cannot be read.")) from exc


def _structure(reader: PdfFileReader, sent_revisions: int, party: _Party):
    """The new signature, or the verdict refusing the file for its structure."""
    readable, unparsed = embedded.embedded_signatures(reader)
    for broken in unparsed:
        if broken.signed_revision == sent_revisions:  # the signature itself is damaged
            return None, _refuse(SIGNATURE_BROKEN, party=party)
        if broken.signed_revision is None or broken.signed_revision > sent_revisions:
            # Its dictionary was redefined by a later update.
            return None, _refuse_modified(reader, readable, SIGNATURE_BROKEN, party)
    new = [e for e in readable if e.signed_revision >= sent_revisions]
    signatures = [e for e in new if e.sig_object_type == "/Sig"]
    if not signatures:
        return None, _refuse(NOT_SIGNED, party=party)
    if len(signatures) > 1:
        return None, _refuse(EXTRA_SIGNATURE, party=party)
    signature = signatures[0]
    if signature.field_name != party.field:
        return None, _refuse(WRONG_FIELD, party=party)
    if signature.signed_revision != sent_revisions:
        # Something was added before the signature (and is covered by it), or its
        # dictionary was redefined later.
        return None, _refuse_modified(reader, readable, MODIFIED_AFTER_SENDING, party)
    if any(e.signed_revision < signature.signed_revision for e in new if e is not signature):
        return None, _refuse(MODIFIED_AFTER_SENDING, party=party)
    return signature, None


def _refuse_modified(
    reader: PdfFileReader, signatures, otherwise: str, party: _Party
) -> UploadVerdict:
    """The allow-list's first reason (modifications.py), else `otherwise`."""
    found = modifications.review(reader, signatures)
    return _refuse_problem(found[0]) if found else _refuse(otherwise, party=party)


def _changes_allowed(
    reader: PdfFileReader,
    signature,
    sent_revisions: int,
    certification,
    allow_ltv: bool,
    party: _Party = BUSINESS,
) -> bool:
    """Filling the party's field, then (if allowed) only validation data and timestamps."""
    if reader.xrefs.total_revisions > signature.signed_revision + 1:
        if not allow_ltv:
            return False
        after = DEFAULT_DIFF_POLICY.review_file(reader, signature.signed_revision)
        if not isinstance(after, DiffResult) or after.modification_level > (
            ModificationLevel.LTA_UPDATES
        ):
            return False
    if party is AUTHORITY:
        # pyHanko judges only what follows a signature: the catalogue's /Perms that a
        # certification writes in its own revision reads to it as a change. That revision
        # is our allow-list's (modifications.review from the sent revisions on).
        return True
    result = DEFAULT_DIFF_POLICY.review_file(reader, sent_revisions - 1, doc_mdp=certification)
    return (
        isinstance(result, DiffResult)
        and result.modification_level <= ModificationLevel.FORM_FILLING
        and result.changed_form_fields <= {party.field}
    )


def check_business_upload(
    sent_pdf: bytes,
    uploaded_pdf: bytes,
    *,
    trust_roots: Iterable[x509.Certificate],
    tax_code: str,
    tax_code_rule: TaxCodeRule = tax_code_in_subject,
    other_certs: Iterable[x509.Certificate] = (),
    allow_validation_updates: bool = True,
    allow_fetching: bool = True,
    revocation_mode: str = "hard-fail",
    crls: Iterable = (),
) -> UploadVerdict:
    """Accept `uploaded_pdf` as `sent_pdf` signed by the business whose tax code is
    `tax_code`, or say precisely why not. Never raises on a bad upload (a sent PDF that
    cannot be read is our fault: SigningError).

    `allow_validation_updates`: accept DSS updates and document timestamps after the
    signature (Acrobat and many CA tools add them for long-term validation). `crls`:
    revocation data known without fetching (verify_pdf's).
    """
    codes_named = getattr(tax_code_rule, "codes", None)

    def certificate_problem(cert: x509.Certificate) -> str | None:
        return profile.business_certificate_problem(
            cert,
            at=datetime.now(UTC),
            codes_named=codes_named(cert) if codes_named else None,
        )

    def identity_refusal(report: SignatureReport) -> UploadVerdict | None:
        if report.certificate is None or not tax_code_rule(report.certificate, tax_code):
            return _refuse(WRONG_PARTNER, report, tax_code=tax_code)
        return None

    return _check_upload(
        sent_pdf,
        uploaded_pdf,
        party=BUSINESS,
        certificate_problem=certificate_problem,
        identity_refusal=identity_refusal,
        trust={
            "trust_roots": trust_roots,
            "other_certs": other_certs,
            "allow_fetching": allow_fetching,
            "revocation_mode": revocation_mode,
            "crls": crls,
        },
        allow_validation_updates=allow_validation_updates,
    )


def check_authority_upload(
    sent_pdf: bytes,
    uploaded_pdf: bytes,
    *,
    trust_roots: Iterable[x509.Certificate],
    authority: AuthorityIdentity,
    rule: AuthorityRule,
    require_timestamp: bool = False,
    other_certs: Iterable[x509.Certificate] = (),
    allow_validation_updates: bool = True,
    allow_fetching: bool = True,
    revocation_mode: str = "hard-fail",
    crls: Iterable = (),
) -> UploadVerdict:
    """Accept `uploaded_pdf` as the PDF that was sent (`sent_pdf`, unsigned) plus one
    certification or approval signature in the authority's field, by a certificate that
    belongs to `authority` by `rule` (and with a trusted timestamp if `require_timestamp`),
    or say precisely why not. The same checks as the business's upload, its own signature's
    revision included in the allow-list of modifications. Never raises on a bad upload."""

    def certificate_problem(cert: x509.Certificate) -> str | None:
        # The same profile as a business's certificate, without the tax code.
        return profile.business_certificate_problem(cert, at=datetime.now(UTC))

    def identity_refusal(report: SignatureReport) -> UploadVerdict | None:
        if not rule.matches(report.certificate, authority):
            return UploadVerdict(
                accepted=False,
                reason=WRONG_AUTHORITY,
                message=rule.refusal(report.certificate, authority),
                signature=report,
            )
        if require_timestamp and report.time_source != "timestamp":
            return _refuse(NOT_TIMESTAMPED, report, party=AUTHORITY)
        return None

    return _check_upload(
        sent_pdf,
        uploaded_pdf,
        party=AUTHORITY,
        certificate_problem=certificate_problem,
        identity_refusal=identity_refusal,
        trust={
            "trust_roots": trust_roots,
            "other_certs": other_certs,
            "allow_fetching": allow_fetching,
            "revocation_mode": revocation_mode,
            "crls": crls,
        },
        allow_validation_updates=allow_validation_updates,
    )


def _check_upload(
    sent_pdf: bytes,
    uploaded_pdf: bytes,
    *,
    party: _Party,
    certificate_problem: Callable[[x509.Certificate], str | None],
    identity_refusal: Callable[[SignatureReport], UploadVerdict | None],
    trust: dict,
    allow_validation_updates: bool,
) -> UploadVerdict:
    """The checks of an upload in their order (see the module's docstring)."""
    if not isinstance(uploaded_pdf, bytes | bytearray) or b"%PDF-" not in uploaded_pdf[:1024]:
        return _refuse(NOT_A_PDF, party=party)
    if not bytes(uploaded_pdf).startswith(sent_pdf):
        return _refuse(NOT_BASED_ON_SENT, party=party)
    if len(uploaded_pdf) == len(sent_pdf):
        return _refuse(NOT_SIGNED, party=party)
    # What the signer's tool appended is untrusted: refuse absurd declarations unparsed.
    too_complex = structural_problem(bytes(uploaded_pdf[len(sent_pdf) :]))
    if too_complex is not None:
        return _refuse_problem(too_complex)
    sent_revisions, certification = _sent_revisions(sent_pdf)
    reader, failure = verify.open_signed_pdf(bytes(uploaded_pdf))
    if failure is not None:
        code = NOT_SIGNED if failure.code == verify.NO_SIGNATURES else failure.code
        return _refuse(code, party=party)
    try:
        signature, refusal = _structure(reader, sent_revisions, party)
        if refusal is not None:
            return refusal
        if verify.digest_matches(signature) is not True:
            return _refuse(SIGNATURE_BROKEN, party=party)
        # Our allow-list (modifications.py), then what the reader sees (visual.py): each
        # with its own reason. The authority's own revision is reviewed too: nothing before
        # it is signed.
        signatures = embedded.embedded_signatures(reader)[0]
        since = sent_revisions if party is AUTHORITY else None
        modified = modifications.review(reader, signatures, since=since) or visual.check(
            bytes(uploaded_pdf), reader, signatures
        )
        if modified:
            return _refuse_problem(modified[0])
        if not _changes_allowed(
            reader, signature, sent_revisions, certification, allow_validation_updates, party
        ):
            return _refuse(MODIFIED_AFTER_SENDING, party=party)
        reports, _problems = verify.verify_reader(reader, only=[signature], **trust)
    except NetworkTimeout:
        raise  # not the file's fault: the caller says the servers did not answer
    except Exception:
        logger.warning("Uploaded PDF could not be checked", exc_info=True)
        return _refuse(DAMAGED, party=party)
    report = reports[0]
    # The certificate profile first: its reasons are more precise than pyHanko's.
    if report.certificate is not None:
        found = certificate_problem(report.certificate)
        if found is not None:
            return _refuse(found, report, party=party)
    if report.problems:
        found = report.problems[0]
        if found.code == verify.CHANGED_AFTER_SIGNING:
            return _refuse(MODIFIED_AFTER_SENDING, report, party=party)
        if found.code == verify.UNREADABLE_SIGNATURE:
            return _refuse(SIGNATURE_BROKEN, report, party=party)
        return _refuse_problem(found, report)
    refusal = identity_refusal(report)
    if refusal is not None:
        return refusal
    return UploadVerdict(accepted=True, signature=report)
