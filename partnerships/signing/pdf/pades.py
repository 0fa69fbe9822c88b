"""Signing an MoU's PDF: the authority certifies, the business approves, an archive timestamp
closes it. PAdES baseline signatures made with pyHanko, bytes in and bytes out.

The profile follows from what the caller configures:

- B-B always (ETSI.CAdES.detached, SHA-256, the signing certificate in the signed attributes);
- B-T when a time-stamping authority URL is given (a signature timestamp);
- B-LT when trust roots are given as well: the signer's chain is validated before signing and
  its revocation data (OCSP responses, CRLs) and certificates are embedded in the document
  security store. (Without a TSA the revocation data is still embedded, but the signature is
  B-B: PAdES B-LT builds on B-T.)
- B-LTA with `add_archive_timestamp` after the last signature: validation data for every
  signature, then a document timestamp over it all.

Each function takes the PDF as it is now and returns it with one more incremental update; the
input bytes are always a prefix of the output.
"""

import io
import time
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime

from asn1crypto import x509
from django.utils.translation import gettext_lazy as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields as sig_fields
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore, collect_validation_info

from partnerships.documents.engine.fields import (
    AUTHORITY_FIELD,
    BUSINESS_FIELD,
    FIELD_HEIGHT,
    FIELD_WIDTH,
)
from partnerships.signing.pdf import stamps
from partnerships.signing.pdf.errors import SigningError
from partnerships.signing.pdf.network import NetworkTimeout, run_within_budget, seconds_left
from partnerships.signing.pdf.trust import SIGNING_KEY_USAGE, validation_context

ARCHIVE_TIMESTAMP_FIELD_PREFIX = "Archive_Timestamp"
DIGEST = "sha256"

_SEAL_WORDING_VI = (
    "Chữ ký điện tử do Cổng đăng ký thực hiện cho ông/bà {person}, {company}. "
    "Đây không phải chữ ký số của doanh nghiệp."
)
_SEAL_WORDING_EN = (
    "Electronic signature made through the registry for {person}, {company}; "
    "not the company's digital signature."
)


class _PdfSigner(signers.PdfSigner):
    """pyHanko's signer, with the signing time set by the caller: the time printed on the
    stamp and the signing time in the CMS signed attributes are then the same instant; and
    with the room reserved for the signature estimated once per signer and profile."""

    def __init__(self, *args, signing_time: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only)
        if self._signing_time is not None:
            session.system_time = self._signing_time
        _reuse_size_estimate(session)
        return session


# (signer's certificates, digest, PAdES, TSA, tight) → (bytes to reserve, when estimated)
_SIZE_ESTIMATES: dict[tuple, tuple[int, float]] = {}
_SIZE_ESTIMATE_SECONDS = 3600
_SIZE_ESTIMATES_KEPT = 256


def _reuse_size_estimate(session) -> None:
    """pyHanko reserves room for the signature by making a whole dummy signature first (and,
    with a TSA, asking it for a dummy timestamp) and adding half again. That size depends only
    on the signer's certificates, the digest, the format and the TSA, not on the document:
    it is estimated once per signer and profile (again after an hour, in case the TSA changed
    its certificates), and every signature still gets pyHanko's own margin. A too-small room
    would make pyHanko refuse to sign, never produce a bad signature."""
    estimate = session.estimate_signature_container_size
    signer = session.pdf_signer.signer

    async def estimate_once(validation_info, tight=False):
        if signer.signing_cert is None or (
            validation_info is not None and validation_info.adobe_revinfo_attr is not None
        ):
            return await estimate(validation_info, tight)  # sized by its revocation data
        timestamper = session.timestamper
        key = (
            signer.signing_cert.sha256,
            frozenset(cert.sha256 for cert in signer.cert_registry or ()),
            signer.embed_roots,
            session.md_algorithm,
            session.use_pades,
            getattr(timestamper, "url", None) if timestamper is not None else None,
            timestamper is not None,
            session.pdf_signer.signature_meta.cades_signed_attr_spec is not None,
            tight,
        )
        now = time.monotonic()
        known = _SIZE_ESTIMATES.get(key)
        if known is not None and now - known[1] < _SIZE_ESTIMATE_SECONDS:
            return known[0]
        size = await estimate(validation_info, tight)
        if len(_SIZE_ESTIMATES) >= _SIZE_ESTIMATES_KEPT:
            _SIZE_ESTIMATES.clear()
        _SIZE_ESTIMATES[key] = (size, now)
        return size

    session.estimate_signature_container_size = estimate_once


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _open(pdf: bytes) -> IncrementalPdfFileWriter:
    if not isinstance(pdf, bytes | bytearray) or b"%PDF-" not in pdf[:1024]:
        raise SigningError(_("The file is not a PDF."))
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    except Exception as exc:
        raise SigningError(_("The PDF is damaged and cannot be signed.")) from exc
    if writer.prev.encrypted:
        raise SigningError(_("The PDF is encrypted and cannot be signed."))
    return writer


def _fields(reader: PdfFileReader) -> dict[str, tuple[bool, tuple[float, float]]]:
    """{field name: (already signed, (width, height))} for every signature field."""
    found = {}
    try:
        for name, value, ref in sig_fields.enumerate_sig_fields(reader, filled_status=None):
            field = ref.get_object()
            rect = field.get("/Rect")
            if rect is None and "/Kids" in field:
                rect = field["/Kids"][0].get_object().get("/Rect")
            if rect is None:
                size = (FIELD_WIDTH, FIELD_HEIGHT)
            else:
                x1, y1, x2, y2 = (float(v) for v in rect)
                size = (abs(x2 - x1), abs(y2 - y1))
            found[name] = (value is not None, size)
    except Exception as exc:  # a broken form in an otherwise readable file
        raise SigningError(_("The PDF is damaged and cannot be signed.")) from exc
    return found


def _check_field(fields: dict, field_name: str) -> tuple[float, float]:
    if field_name not in fields:
        raise SigningError(
            _("The PDF has no signature field %(name)s: prepare it for signing first.")
            % {"name": field_name}
        )
    signed, size = fields[field_name]
    if signed:
        raise SigningError(
            _("The signature field %(name)s is already signed.") % {"name": field_name}
        )
    return size


def _aware(moment: datetime | None) -> datetime:
    moment = moment or _now()
    if moment.tzinfo is None:
        raise ValueError("signed_at must be timezone-aware")
    return moment


def _sign(
    writer: IncrementalPdfFileWriter,
    signer: signers.Signer,
    *,
    field_name: str,
    stamp: stamps.Stamp,
    signed_at: datetime,
    certify: bool,
    docmdp: MDPPerm,
    signer_name: str,
    reason: str | None,
    location: str | None,
    tsa_url: str | None,
    trust_roots: Iterable[x509.Certificate] | None,
    other_certs: Iterable[x509.Certificate],
    crls: Iterable = (),
) -> bytes:
    trust_roots = list(trust_roots or ())
    context = (
        validation_context(trust_roots, other_certs=other_certs, crls=crls) if trust_roots else None
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=DIGEST,
        subfilter=SigSeedSubFilter.PADES,
        certify=certify,
        docmdp_permissions=docmdp,
        name=signer_name,
        reason=reason,
        location=location,
        embed_validation_info=context is not None,
        validation_context=context,
        signer_key_usage=SIGNING_KEY_USAGE,
    )
    timestamper = HTTPTimeStamper(tsa_url, timeout=seconds_left()) if tsa_url else None
    pdf_signer = _PdfSigner(
        meta,
        signer,
        timestamper=timestamper,
        stamp_style=stamp.style,
        signing_time=signed_at,
    )

    async def sign():
        try:
            return await pdf_signer.async_sign_pdf(
                writer, existing_fields_only=True, appearance_text_params=stamp.text_params
            )
        finally:
            if context is not None:
                await context.aclose()

    try:
        output = run_within_budget(sign)
    except SigningError:
        raise
    except Exception as exc:
        raise SigningError(_signing_failure(exc, tsa_url=tsa_url)) from exc
    return output.getvalue()


def _causes(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _signing_failure(exc: Exception, *, tsa_url: str | None):
    """What went wrong, in words for the person who configured or started the signing."""
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

    if any(isinstance(cause, TimeoutError) for cause in _causes(exc)):
        return NetworkTimeout.MESSAGE
    for cause in _causes(exc):
        if isinstance(cause, TimestampRequestError):
            return _("The time-stamping authority %(url)s did not answer properly.") % {
                "url": tsa_url or ""
            }
        if isinstance(cause, PathBuildingError):
            return _("The signing certificate does not chain to a trusted root.")
        if isinstance(cause, PathValidationError):
            return _(
                "The signing certificate cannot be used: it is revoked, expired, or its "
                "revocation status cannot be checked."
            )
    return _("The signature could not be made: %(error)s") % {"error": str(exc) or repr(exc)}


def _cert_common_name(signer: signers.Signer) -> str:
    cert = signer.signing_cert
    if cert is None:
        raise SigningError(_("The signer has no certificate."))
    return cert.subject.native.get("common_name") or cert.subject.human_friendly


def certify_as_authority(
    pdf: bytes,
    signer: signers.Signer,
    *,
    signer_name: str,
    position: str,
    verification_url: str,
    organisation: str | None = None,
    signed_at: datetime | None = None,
    tsa_url: str | None = None,
    trust_roots: Iterable[x509.Certificate] | None = None,
    other_certs: Iterable[x509.Certificate] = (),
    crls: Iterable = (),
    location: str | None = None,
    font_path: str | None = None,
    named_signatory: str | None = None,
) -> bytes:
    """The authority's certification signature, first on the document, in AUTHORITY_FIELD.

    DocMDP "form filling": afterwards only signing the business's field is allowed. The
    visible stamp shows the signer (the certificate's holder, `signer_name`), the person named
    under the signature block when that is someone else (`named_signatory`), the position,
    time and a QR code of `verification_url` (the MoU's public verification page).
    """
    writer = _open(pdf)
    fields = _fields(writer.prev)
    if any(signed for signed, _size in fields.values()) or writer.prev.embedded_signatures:
        raise SigningError(
            _("The document is already signed: the authority's certification must come first.")
        )
    size = _check_field(fields, AUTHORITY_FIELD)
    signed_at = _aware(signed_at)
    hint = "Quét mã QR để kiểm tra văn bản"
    paragraphs = [
        f"Ký số bởi: {signer_name}",
        *_named_signatory_line(signer_name, named_signatory),
        position,
        organisation or "",
        f"Thời gian: {stamps.format_signing_time(signed_at)}",
        hint,
    ]
    stamp = stamps.build_stamp(
        paragraphs,
        box=size,
        colour=stamps.AUTHORITY_COLOUR,
        qr_url=verification_url,
        font_path=font_path,
        optional=(hint, organisation or ""),
    )
    return _sign(
        writer,
        signer,
        field_name=AUTHORITY_FIELD,
        stamp=stamp,
        signed_at=signed_at,
        certify=True,
        docmdp=MDPPerm.FILL_FORMS,
        signer_name=signer_name,
        reason="Chứng thực bản ghi nhớ hợp tác",
        location=location,
        tsa_url=tsa_url,
        trust_roots=trust_roots,
        other_certs=other_certs,
        crls=crls,
    )


def _same_person(one: str, other: str) -> bool:
    def fold(name: str) -> str:
        return " ".join(unicodedata.normalize("NFC", name).casefold().split())

    return fold(one) == fold(other)


def _named_signatory_line(signer_name: str, named_signatory: str | None) -> list[str]:
    """The person printed under the block, when the certificate names someone else (the demo
    certificate, or a deputy's own certificate): a reader sees both."""
    if not (named_signatory or "").strip() or _same_person(signer_name, named_signatory):
        return []
    return [f"Người ký trên văn bản: {named_signatory.strip()}"]


def _require_authority_first(fields: dict) -> None:
    signed, _size = fields.get(AUTHORITY_FIELD, (False, None))
    if not signed:
        raise SigningError(_("The authority has not signed yet: the business signs after it."))


def sign_as_business(
    pdf: bytes,
    signer: signers.Signer,
    *,
    signer_name: str | None = None,
    position: str | None = None,
    company_name: str | None = None,
    verification_url: str | None = None,
    signed_at: datetime | None = None,
    tsa_url: str | None = None,
    trust_roots: Iterable[x509.Certificate] | None = None,
    other_certs: Iterable[x509.Certificate] = (),
    crls: Iterable = (),
    location: str | None = None,
    font_path: str | None = None,
) -> bytes:
    """The business's approval signature with its own certificate, in BUSINESS_FIELD.

    It locks the document (DocMDP "no changes", as the field's lock asks): after it only
    validation data and archive timestamps may be added. `signer_name` defaults to the
    certificate's common name.
    """
    signed_at = _aware(signed_at)
    signer_name = signer_name or _cert_common_name(signer)
    paragraphs = [
        f"Ký số bởi: {signer_name}",
        " – ".join(part for part in (position, company_name) if part),
        f"Thời gian: {stamps.format_signing_time(signed_at)}",
    ]
    return _sign_business_field(
        pdf,
        signer,
        paragraphs=paragraphs,
        colour=stamps.BUSINESS_COLOUR,
        verification_url=verification_url,
        font_path=font_path,
        signed_at=signed_at,
        signer_name=signer_name,
        reason="Đồng ý và ký bản ghi nhớ hợp tác",
        location=location,
        tsa_url=tsa_url,
        trust_roots=trust_roots,
        other_certs=other_certs,
        crls=crls,
    )


def _sign_business_field(
    pdf: bytes,
    signer: signers.Signer,
    *,
    paragraphs: list[str],
    colour,
    verification_url: str | None,
    font_path: str | None,
    optional: tuple[str, ...] = (),
    **signing,
) -> bytes:
    """Sign BUSINESS_FIELD, whoever signs it for the business: only after the authority's
    certification, and locking the document (DocMDP "no changes", as the field's lock asks).
    `signing` holds the rest of _sign's arguments (time, name, reason, TSA, trust)."""
    writer = _open(pdf)
    fields = _fields(writer.prev)
    size = _check_field(fields, BUSINESS_FIELD)
    _require_authority_first(fields)
    stamp = stamps.build_stamp(
        paragraphs,
        box=size,
        colour=colour,
        qr_url=verification_url,
        font_path=font_path,
        optional=optional,
    )
    return _sign(
        writer,
        signer,
        field_name=BUSINESS_FIELD,
        stamp=stamp,
        certify=False,
        docmdp=MDPPerm.NO_CHANGES,
        **signing,
    )


def seal_stamp_wording(*, person_name: str, company_name: str) -> tuple[str, str]:
    """What the registry seal's stamp says, in Vietnamese and in English (also for pages that
    show the signature: say the same thing everywhere)."""
    return (
        _SEAL_WORDING_VI.format(person=person_name, company=company_name),
        _SEAL_WORDING_EN.format(person=person_name, company=company_name),
    )


def sign_with_registry_seal(
    pdf: bytes,
    seal_signer: signers.Signer,
    *,
    person_name: str,
    company_name: str,
    verification_url: str | None = None,
    signed_at: datetime | None = None,
    tsa_url: str | None = None,
    trust_roots: Iterable[x509.Certificate] | None = None,
    other_certs: Iterable[x509.Certificate] = (),
    crls: Iterable = (),
    font_path: str | None = None,
) -> bytes:
    """The business's approval signature made by the registry's seal, for a business without
    a certificate (its representative confirmed with a one-time code; the evidence is the
    caller's to keep). Same field and lock as `sign_as_business`; the stamp says plainly that
    this is an electronic signature made through the registry, not the company's digital
    signature."""
    if not person_name.strip() or not company_name.strip():
        raise ValueError("person_name and company_name are required")
    signed_at = _aware(signed_at)
    vietnamese, english = seal_stamp_wording(person_name=person_name, company_name=company_name)
    paragraphs = [
        vietnamese,
        english,
        f"Thời gian / Time: {stamps.format_signing_time(signed_at)}",
    ]
    return _sign_business_field(
        pdf,
        seal_signer,
        paragraphs=paragraphs,
        # The English sentence gives way to a legible size; it stays in the signature's reason.
        optional=(english,),
        colour=stamps.SEAL_COLOUR,
        verification_url=verification_url,
        font_path=font_path,
        signed_at=signed_at,
        # /Name is what viewers show as the signer: the person, through the registry.
        signer_name=f"{person_name} ({company_name}) – qua Cổng đăng ký / via the registry",
        reason=f"{vietnamese} / {english}",
        location=None,
        tsa_url=tsa_url,
        trust_roots=trust_roots,
        other_certs=other_certs,
        crls=crls,
    )


def add_archive_timestamp(
    pdf: bytes,
    *,
    tsa_url: str,
    trust_roots: Iterable[x509.Certificate],
    other_certs: Iterable[x509.Certificate] = (),
    crls: Iterable = (),
) -> bytes:
    """B-LTA: validation data for every signature and timestamp in the document, then a
    document timestamp over all of it (and the timestamp's own validation data after it).

    Call after the last signature; call again before the last timestamp's certificate
    expires to extend the archive. `crls`: revocation data known without fetching (it goes
    into the DSS like fetched data).
    """
    writer = _open(pdf)
    reader = writer.prev
    signatures = reader.embedded_signatures
    if not signatures:
        raise SigningError(_("The document has no signature to archive."))
    context = validation_context(list(trust_roots), other_certs=other_certs, crls=crls)
    timestamper = HTTPTimeStamper(tsa_url, timeout=seconds_left())
    existing = {name for name, *_rest in sig_fields.enumerate_sig_fields(reader, None)}
    number = 1
    while f"{ARCHIVE_TIMESTAMP_FIELD_PREFIX}_{number}" in existing:
        number += 1

    async def archive() -> bytes:
        try:
            paths = []
            for signature in signatures:
                paths += await collect_validation_info(signature, context)
            DocumentSecurityStore.supply_dss_in_writer(
                writer, sig_contents=None, paths=paths, validation_context=context
            )
            output = await signers.PdfTimeStamper(
                timestamper, field_name=f"{ARCHIVE_TIMESTAMP_FIELD_PREFIX}_{number}"
            ).async_timestamp_pdf(writer, DIGEST, validation_context=context)
        finally:
            await context.aclose()
        return output.getvalue()

    try:
        return run_within_budget(archive)
    except SigningError:
        raise
    except Exception as exc:
        raise SigningError(_signing_failure(exc, tsa_url=tsa_url)) from exc
