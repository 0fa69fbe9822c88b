"""Signing in order: the authority certifies, the business approves, an archive timestamp
closes the file. Each step only appends to the PDF, and the profile follows the options."""

import io
import shutil
import subprocess
from datetime import UTC, datetime

import pytest
from asn1crypto import pem
from pypdf import PdfWriter

from partnerships.signing.pdf import pades
from partnerships.signing.pdf.errors import SigningError
from partnerships.signing.pdf.verify import verify_pdf
from tests.factories.signing import AUTHORITY, BUSINESS


def verdict_of(pdf, pki):
    return verify_pdf(pdf, trust_roots=pki.trust_roots)


def test_each_step_only_appends_to_the_file(flow):
    assert flow.certified.startswith(flow.signable)
    assert flow.business_signed.startswith(flow.certified)
    assert flow.archived.startswith(flow.business_signed)
    assert flow.sealed.startswith(flow.certified)


def test_the_authority_certifies_allowing_only_form_filling(flow, pki):
    verdict = verdict_of(flow.certified, pki)

    assert verdict.ok, verdict.as_dict()
    [authority] = verdict.signatures
    assert authority.field == "Sig_Authority"
    assert authority.certification
    assert authority.permission == "fill_forms"
    assert authority.signer_name == "Võ Minh Tâm"
    assert authority.pades_level == "B-LT"


def test_the_business_approval_locks_the_document(flow, pki):
    verdict = verdict_of(flow.business_signed, pki)

    assert verdict.ok, verdict.as_dict()
    authority, business = verdict.signatures
    assert (business.field, business.certification) == ("Sig_Business", False)
    assert business.permission == "no_changes"
    assert business.signer_name == "Nguyễn Thị Hoa"
    # After the authority: a signature (form filling); after the business: only its DSS.
    assert authority.modification_level == "form_filling"
    assert authority.changes_permitted
    assert business.modification_level == "lta_updates"
    assert [s.pades_level for s in verdict.signatures] == ["B-LT", "B-LT"]


def test_the_archive_timestamp_makes_every_signature_b_lta(flow, pki):
    verdict = verdict_of(flow.archived, pki)

    assert verdict.ok, verdict.as_dict()
    authority, business, archive = verdict.signatures
    assert [authority.pades_level, business.pades_level] == ["B-LTA", "B-LTA"]
    assert archive.kind == "timestamp"
    assert archive.field.startswith(pades.ARCHIVE_TIMESTAMP_FIELD_PREFIX)
    assert archive.signer_name == "DEMO Time Stamping"
    assert archive.trusted


def test_the_archive_timestamp_can_be_renewed(flow, pki):
    renewed = pades.add_archive_timestamp(
        flow.archived, tsa_url=pki.tsa_url, trust_roots=pki.trust_roots
    )

    verdict = verdict_of(renewed, pki)
    assert verdict.ok, verdict.as_dict()
    assert [s.field for s in verdict.signatures if s.kind == "timestamp"] == [
        "Archive_Timestamp_1",
        "Archive_Timestamp_2",
    ]


def test_without_a_tsa_or_trust_roots_the_signature_is_b_b(flow, pki, signer_for):
    signed = pades.sign_as_business(flow.certified, signer_for("business"))

    business = verdict_of(signed, pki).signatures[-1]
    assert business.pades_level == "B-B"
    assert business.time_source == "claimed"
    assert business.covers_whole_file


def test_a_tsa_alone_makes_it_b_t(flow, pki, signer_for):
    certified = pades.certify_as_authority(
        flow.signable, signer_for("authority"), **AUTHORITY, tsa_url=pki.tsa_url
    )

    [authority] = verdict_of(certified, pki).signatures
    assert authority.pades_level == "B-T"
    assert authority.time_source == "timestamp"


def test_the_signing_time_is_the_one_given(flow, pki, signer_for):
    moment = datetime(2026, 3, 5, 2, 30, tzinfo=UTC)
    certified = pades.certify_as_authority(
        flow.signable, signer_for("authority"), **AUTHORITY, signed_at=moment
    )

    [authority] = verdict_of(certified, pki).signatures
    assert authority.signed_at == moment


def test_the_business_cannot_sign_before_the_authority(flow, signer_for):
    with pytest.raises(SigningError, match="authority has not signed"):
        pades.sign_as_business(flow.signable, signer_for("business"), **BUSINESS)


def test_the_registry_seal_cannot_sign_before_the_authority(flow, signer_for):
    with pytest.raises(SigningError, match="authority has not signed"):
        pades.sign_with_registry_seal(
            flow.signable, signer_for("seal"), person_name="Nguyễn Thị Hoa", company_name="X"
        )


def test_the_authority_certifies_only_an_unsigned_document(flow, signer_for):
    with pytest.raises(SigningError, match="already signed"):
        pades.certify_as_authority(flow.certified, signer_for("authority"), **AUTHORITY)


def test_a_signed_field_cannot_be_signed_again(flow, signer_for):
    with pytest.raises(SigningError, match="already signed"):
        pades.sign_as_business(flow.business_signed, signer_for("business"))


def test_a_pdf_without_signature_fields_is_refused(signer_for):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    blank = io_bytes(writer)

    with pytest.raises(SigningError, match="no signature field Sig_Authority"):
        pades.certify_as_authority(blank, signer_for("authority"), **AUTHORITY)


def test_garbage_is_refused(signer_for):
    with pytest.raises(SigningError, match="not a PDF"):
        pades.certify_as_authority(b"not a pdf", signer_for("authority"), **AUTHORITY)


def test_a_revoked_certificate_cannot_sign_when_trust_roots_are_configured(flow, pki, signer_for):
    with pytest.raises(SigningError, match="revoked, expired"):
        pades.sign_as_business(flow.certified, signer_for("revoked"), trust_roots=pki.trust_roots)


def test_an_unreachable_tsa_is_a_signing_error(flow, signer_for):
    with pytest.raises(SigningError, match="time-stamping authority"):
        pades.sign_as_business(
            flow.certified, signer_for("business"), tsa_url="http://127.0.0.1:9/tsa"
        )


def io_bytes(writer) -> bytes:
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


# --- Tools we did not write ------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="apt-get install poppler-utils")
def test_pdfsig_reports_every_signature_valid_and_trusted(flow, pki, tmp_path):
    path = tmp_path / "signed.pdf"
    path.write_bytes(flow.archived)
    # Our OCSP has been checked already; certomancer answers OCSP by POST only, NSS asks by GET.
    command = ["pdfsig", "-no-ocsp", str(path)]
    trusted_roots = shutil.which("certutil") is not None
    if trusted_roots:  # an NSS database trusting only the test root (apt: libnss3-tools)
        (tmp_path / "root.pem").write_bytes(pem.armor("CERTIFICATE", pki.root.dump()))
        database = f"sql:{tmp_path}"
        subprocess.run(["certutil", "-N", "-d", database, "--empty-password"], check=True)
        subprocess.run(
            ["certutil", "-A", "-d", database, "-n", "root", "-t", "C,C,C",
             "-i", str(tmp_path / "root.pem")],
            check=True,
        )  # fmt: skip
        command[1:1] = ["-nssdir", database]

    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    assert output.count("Signature Validation: Signature is Valid.") == 2, output
    assert "Signature Field Name: Sig_Authority" in output
    assert "Signature Field Name: Sig_Business" in output
    if trusted_roots:
        assert output.count("Certificate Validation: Certificate is Trusted.") == 2, output


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="apt-get install qpdf")
def test_qpdf_finds_no_errors(flow, tmp_path):
    for name, pdf in [("archived", flow.archived), ("sealed", flow.sealed)]:
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(pdf)
        result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "No syntax or stream encoding errors found" in result.stdout


# --- The room reserved for a signature, estimated once per signer and profile ---------------


def reserved_room(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return len(PdfFileReader(io.BytesIO(pdf)).embedded_signatures[-1].sig_object["/Contents"])


def test_the_room_reserved_for_a_signature_follows_the_signer_and_its_chain(
    signable_pdf, signer_for, pki
):
    from partnerships.signing.pdf.signers import load_pkcs12_signer
    from tests.signing.pdf.pki import PASSPHRASE

    profile = {"tsa_url": pki.tsa_url, "trust_roots": pki.trust_roots}
    plain = signer_for("authority")
    # The same key with a longer chain to embed: its signatures need more room.
    chained = load_pkcs12_signer(
        pki.pkcs12("authority"),
        PASSPHRASE,
        extra_certificates=[pki.cert(label) for label in ("tsa", "ocsp", "seal", "other")],
    )
    first = pades.certify_as_authority(signable_pdf, plain, **AUTHORITY, **profile)
    longer = pades.certify_as_authority(signable_pdf, chained, **AUTHORITY, **profile)
    again = pades.certify_as_authority(signable_pdf, plain, **AUTHORITY, **profile)

    assert reserved_room(longer) > reserved_room(first) == reserved_room(again)
    for pdf in (first, longer, again):
        assert verify_pdf(pdf, trust_roots=pki.trust_roots).ok
