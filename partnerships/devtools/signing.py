"""Signing figures: each of our signing steps beside the same step done by a plain pyHanko
call on the same input, in the same run, with the ratio.

- the authority's certification with its Vietnamese stamp (QR code, embedded font), against
  pyHanko's certification with its default stamp;
- the registry seal in the business's field of the certified PDF, against a plain pyHanko
  approval signature with the default stamp;
- a complete two-party signing of an MoU (certification, the business's signature, the
  archive timestamp) with a time-stamping authority and OCSP responder on a loopback port,
  every signature B-LT (the chain validated and its revocation data embedded), B-LTA at the end;
- verification of that final PDF (both signatures and the archive timestamp), against
  pyHanko's validation of the same signatures with a context from the document's DSS. Ours
  is timed as a server process checks a document again: the OCSP answers fetched a moment
  ago are reused (ocsp_reuse.py), and what depends on the file's bytes alone is remembered by
  its SHA-256 (the allow-list's findings, the comparison of the pages, which embedded
  responses vouch for whom). `new_file` times a file not seen before, signed by people
  checked a moment ago; `first_sight` one with nothing remembered at all (no targets).

The stamped-signature figures are B-B (no network: what is compared is the signature and its
stamp); the flow and the verification use the PKI and the TSA. The signers are loaded once,
before anything is timed, as a server process does. The MoU is the built-in template with
four pledges, converted by LibreOffice once (the area is skipped without it or certomancer).
"""

import asyncio
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

from asn1crypto import crl, ocsp
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import (
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.dss import DocumentSecurityStore, collect_validation_info
from pyhanko_certvalidator import ValidationContext

from partnerships.devtools.base import FUNCTION, Benchmark, Figure, Session, median
from partnerships.devtools.base import time_runs as _time_runs
from partnerships.devtools.documents import mou_context
from partnerships.devtools.signing_pki import PASSPHRASE, start_pki
from partnerships.documents.engine.fields import AUTHORITY_FIELD, BUSINESS_FIELD
from partnerships.signing.pdf import levels, modifications, ocsp_reuse, pades, verify, visual
from partnerships.signing.pdf.fetching import FetchPolicy, fetch_policy
from partnerships.signing.pdf.signers import load_pkcs12_signer

STAMPED_RATIO_TARGET = 0.5
VERIFY_TARGET_MS = 40
VERIFY_RATIO_TARGET = 0.5
VERIFICATION_URL = "https://registry.example.org/xac-minh/2026-UBND-0001"
AUTHORITY = {
    "signer_name": "Võ Minh Tâm",
    "position": "TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH",
    "organisation": "UBND xã Bến Lức",
    "verification_url": VERIFICATION_URL,
}
SEAL = {"person_name": "Nguyễn Thị Hoa", "company_name": "Công ty May Bến Lức"}
BUSINESS = {"position": "Giám đốc", "company_name": "Công ty May Bến Lức"}


def signable_mou() -> bytes:
    """The built-in Vietnamese template filled with `mou_context()`, as a signable PDF."""
    from django.conf import settings

    from partnerships.documents.engine.convert import convert_docx_to_pdf
    from partnerships.documents.engine.fields import prepare_signable_pdf
    from partnerships.documents.engine.fill import fill_template

    template = (settings.BASE_DIR / "mou_templates" / "bgn_vi.docx").read_bytes()
    return prepare_signable_pdf(convert_docx_to_pdf(fill_template(template, mou_context())))


def page_count(pdf: bytes) -> int:
    return int(PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Count"])


class _Parties:
    """The PKI's signers, loaded once, and the profile of every signature."""

    def __init__(self, pki):
        self.pki = pki
        self.authority = load_pkcs12_signer(pki.pkcs12("authority"), PASSPHRASE)
        self.seal = load_pkcs12_signer(pki.pkcs12("seal"), PASSPHRASE)
        self.business = load_pkcs12_signer(pki.pkcs12("business"), PASSPHRASE)
        # Stock pyHanko's own signers for the same files, for the stock figures.
        self.stock = {
            label: signers.SimpleSigner.load_pkcs12(
                str(pki.pkcs12(label)), passphrase=PASSPHRASE.encode()
            )
            for label in ("authority", "seal", "business")
        }
        self.trust_roots = [pki.root]

    @property
    def profile(self) -> dict:
        return {"tsa_url": self.pki.tsa_url, "trust_roots": self.trust_roots}


# --- Ours -------------------------------------------------------------------------------------


def ours_certify(pdf: bytes, parties: _Parties, **profile) -> bytes:
    return pades.certify_as_authority(pdf, parties.authority, **AUTHORITY, **profile)


def ours_seal(certified: bytes, parties: _Parties) -> bytes:
    return pades.sign_with_registry_seal(
        certified, parties.seal, verification_url=VERIFICATION_URL, **SEAL
    )


def ours_flow(pdf: bytes, parties: _Parties) -> bytes:
    certified = ours_certify(pdf, parties, **parties.profile)
    signed = pades.sign_as_business(certified, parties.business, **BUSINESS, **parties.profile)
    return pades.add_archive_timestamp(signed, **parties.profile)


def ours_verify(pdf: bytes, parties: _Parties) -> verify.Verdict:
    return verify.verify_pdf(
        pdf,
        trust_roots=parties.trust_roots,
        registry_seals=[parties.seal.signing_cert],
    )


def ours_verify_first_sight(pdf: bytes, parties: _Parties) -> verify.Verdict:
    """Verification as if the file and its signers were new to this process: no OCSP answer
    to reuse (the responder is asked), no comparison of the pages remembered (they are
    drawn), no revocation data already judged."""
    ocsp_reuse.clear()
    return ours_verify_new_file(pdf, parties)


def ours_verify_new_file(pdf: bytes, parties: _Parties) -> verify.Verdict:
    """Verification of a file this process has not seen, signed by people it has: the OCSP
    answers of a minute ago reused, everything about the file worked out (the allow-list's
    findings, the pages drawn and compared, the revocation data judged)."""
    visual.forget_all()
    modifications.forget_all()
    levels.forget_all()
    return ours_verify(pdf, parties)


# --- Stock pyHanko: the same steps, as its documentation shows them ----------------------------


def _stock_sign(
    pdf: bytes,
    signer,
    *,
    field_name: str,
    certify: bool,
    tsa_url: str | None = None,
    trust_roots=None,
) -> bytes:
    context = None
    if trust_roots:
        context = ValidationContext(trust_roots=trust_roots, allow_fetching=True)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=certify,
        docmdp_permissions=MDPPerm.FILL_FORMS if certify else MDPPerm.NO_CHANGES,
        embed_validation_info=context is not None,
        validation_context=context,
    )
    timestamper = HTTPTimeStamper(tsa_url) if tsa_url else None
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    pdf_signer = signers.PdfSigner(meta, signer, timestamper=timestamper)

    async def sign() -> bytes:
        try:
            output = await pdf_signer.async_sign_pdf(writer, existing_fields_only=True)
        finally:
            if context is not None:
                await context.aclose()
        return output.getvalue()

    return asyncio.run(sign())


def stock_certify(pdf: bytes, parties: _Parties, **profile) -> bytes:
    return _stock_sign(
        pdf, parties.stock["authority"], field_name=AUTHORITY_FIELD, certify=True, **profile
    )


def stock_seal(certified: bytes, parties: _Parties) -> bytes:
    return _stock_sign(certified, parties.stock["seal"], field_name=BUSINESS_FIELD, certify=False)


def _stock_archive(pdf: bytes, parties: _Parties) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    context = ValidationContext(trust_roots=parties.trust_roots, allow_fetching=True)

    async def archive() -> bytes:
        try:
            paths = []
            for signature in writer.prev.embedded_signatures:
                paths += await collect_validation_info(signature, context)
            DocumentSecurityStore.supply_dss_in_writer(
                writer, sig_contents=None, paths=paths, validation_context=context
            )
            output = await signers.PdfTimeStamper(
                HTTPTimeStamper(parties.pki.tsa_url), field_name="Archive_Timestamp_1"
            ).async_timestamp_pdf(writer, "sha256", validation_context=context)
        finally:
            await context.aclose()
        return output.getvalue()

    return asyncio.run(archive())


def stock_flow(pdf: bytes, parties: _Parties) -> bytes:
    certified = stock_certify(pdf, parties, **parties.profile)
    signed = _stock_sign(
        certified,
        parties.stock["business"],
        field_name=BUSINESS_FIELD,
        certify=False,
        **parties.profile,
    )
    return _stock_archive(signed, parties)


def stock_verify(pdf: bytes, parties: _Parties) -> list:
    """Every signature and timestamp validated by pyHanko against one context holding the
    trust roots and what the document's DSS embeds (as ours does)."""
    from pyhanko.pdf_utils.decode_limits import DecodePurpose

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    dss = DocumentSecurityStore.read_dss(reader)
    context = ValidationContext(
        trust_roots=parties.trust_roots,
        other_certs=list(dss.load_certs()),
        ocsps=[
            ocsp.OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE))
            for ref in dss.ocsps
        ],
        crls=[
            crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL))
            for ref in dss.crls
        ],
        allow_fetching=True,
        revocation_mode="hard-fail",
    )

    async def validate() -> list:
        statuses = []
        try:
            await _validate_each(reader, context, statuses)
        finally:
            await context.aclose()
        return statuses

    return asyncio.run(validate())


async def _validate_each(reader, context, statuses: list) -> None:
    for embedded in reader.embedded_signatures:
        if embedded.sig_object_type == "/DocTimeStamp":
            status = await async_validate_pdf_timestamp(embedded, validation_context=context)
        else:
            status = await async_validate_pdf_signature(
                embedded, signer_validation_context=context, ts_validation_context=context
            )
        statuses.append(status)


# --- The area ---------------------------------------------------------------------------------


def _compared(name: str, ours: list[float], stock: list[float], ratio_target: float | None):
    ours_ms, stock_ms = round(median(ours), 1), round(median(stock), 1)
    ratio = round(ours_ms / stock_ms, 2) if stock_ms else 0.0
    timed = {"how": FUNCTION, "runs": len(ours)}
    yield Figure(f"signing.{name}.median", ours_ms, "ms", **timed)
    yield Figure(f"signing.{name}.stock_median", stock_ms, "ms", **timed)
    if ratio_target is None:
        yield Figure(f"signing.{name}.ratio_to_stock", ratio, "×", **timed)
    else:
        yield Figure.at_most(f"signing.{name}.ratio_to_stock", ratio, "×", ratio_target, **timed)


class SigningBenchmark(Benchmark):
    name = "signing"
    help = (
        "the authority's certification, the registry seal, a two-party signing with an "
        "archive timestamp and its verification, each beside stock pyHanko"
    )

    def run(self, session: Session) -> Iterator[Figure]:
        session.log("Converting the MoU to sign…")
        try:
            pdf = signable_mou()
        except Exception as error:  # no LibreOffice on this machine
            session.log(f"No signing figures: the MoU cannot be converted ({error}).")
            yield Figure("signing.unavailable", 1, "flag")
            return
        with tempfile.TemporaryDirectory(prefix="benchmark-pki-") as directory:
            try:
                pki = start_pki(Path(directory))
            except ImportError:
                session.log("No signing figures: certomancer is not installed (`test` extra).")
                yield Figure("signing.unavailable", 1, "flag")
                return
            # Its own loopback PKI is the one place validation may fetch from here.
            allowed = FetchPolicy.of([pki.base_url + "/"], internal=True)
            try:
                with fetch_policy(allowed):
                    yield from self._figures(session, pdf, _Parties(pki))
            finally:
                pki.close()

    def _figures(self, session: Session, pdf: bytes, parties: _Parties) -> Iterator[Figure]:
        runs = session.runs
        yield Figure("signing.mou_pages", page_count(pdf), "pages")
        session.log("Timing the authority's certification…")
        yield from _compared(
            "certify",
            _time(lambda: ours_certify(pdf, parties), runs),
            _time(lambda: stock_certify(pdf, parties), runs),
            STAMPED_RATIO_TARGET,
        )
        certified = ours_certify(pdf, parties)
        session.log("Timing the registry seal…")
        yield from _compared(
            "seal",
            _time(lambda: ours_seal(certified, parties), runs),
            _time(lambda: stock_seal(certified, parties), runs),
            STAMPED_RATIO_TARGET,
        )
        session.log("Timing a complete signing with the loopback TSA…")
        flow_runs = max(1, min(runs, 5))
        yield from _compared(
            "flow",
            _time(lambda: ours_flow(pdf, parties), flow_runs, warm_up=1),
            _time(lambda: stock_flow(pdf, parties), flow_runs, warm_up=1),
            None,
        )
        final = ours_flow(pdf, parties)
        verdict = ours_verify(final, parties)
        yield Figure.equal_to(
            "signing.verify.verdict_ok", int(verdict.ok), "flag", 1, "the final MoU verifies"
        )
        session.log("Timing verification of the final MoU…")
        ours = _time(lambda: ours_verify(final, parties), runs)
        stock = _time(lambda: stock_verify(final, parties), runs)
        timed = {"how": FUNCTION, "runs": len(ours)}
        yield Figure.under(
            "signing.verify.median", round(median(ours), 1), "ms", VERIFY_TARGET_MS, **timed
        )
        stock_ms = round(median(stock), 1)
        yield Figure("signing.verify.stock_median", stock_ms, "ms", **timed)
        new_file = _time(lambda: ours_verify_new_file(final, parties), runs)
        yield Figure("signing.verify.new_file_median", round(median(new_file), 1), "ms", **timed)
        first_sight = _time(lambda: ours_verify_first_sight(final, parties), runs)
        yield Figure(
            "signing.verify.first_sight_median", round(median(first_sight), 1), "ms", **timed
        )
        yield Figure.at_most(
            "signing.verify.ratio_to_stock",
            round(round(median(ours), 1) / stock_ms, 2) if stock_ms else 0.0,
            "×",
            VERIFY_RATIO_TARGET,
            **timed,
        )


def _time(action, runs: int, *, warm_up: int = 2) -> list[float]:
    return _time_runs(action, runs=runs, warm_up=warm_up).wall
