"""The authority's staff sign the sent PDF with the authority's USB token and upload it:
accepted only if it is the sent file plus one signature in the authority's field, nothing else
changed, valid, trusted, and by a certificate that belongs to that authority."""

import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields as sig_fields
from pyhanko.sign import signers as pyhanko_signers
from pypdf import PdfReader, PdfWriter

from partnerships.signing.pdf import pades
from partnerships.signing.pdf.authority_rule import (
    DEFAULT_AUTHORITY_RULE,
    AuthorityIdentity,
    AuthorityRule,
)
from partnerships.signing.pdf.upload import check_authority_upload
from tests.factories.signing import AUTHORITY, sign_new_field
from tests.signing.pdf import tampering

BEN_LUC = AuthorityIdentity(id=2, name="UBND xã Bến Lức", code="UBND")
THANH_LOI = AuthorityIdentity(id=3, name="UBND xã Thạnh Lợi", code="UBND")


@pytest.fixture
def check(flow, pki):
    def check(uploaded, *, authority=BEN_LUC, rule=DEFAULT_AUTHORITY_RULE, **options):
        return check_authority_upload(
            flow.signable,
            uploaded,
            trust_roots=pki.trust_roots,
            authority=authority,
            rule=rule,
            **options,
        )

    return check


def approve_in_field(pdf: bytes, signer, field_name: str, *, tsa_url=None) -> bytes:
    """A plain approval signature in an existing field, as a generic signing tool makes it."""
    meta = pyhanko_signers.PdfSignatureMetadata(
        field_name=field_name, subfilter=sig_fields.SigSeedSubFilter.PADES
    )
    timestamper = None
    if tsa_url:
        from pyhanko.sign.timestamps import HTTPTimeStamper

        timestamper = HTTPTimeStamper(tsa_url)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    return (
        pyhanko_signers.PdfSigner(meta, signer, timestamper=timestamper)
        .sign_pdf(writer, existing_fields_only=True)
        .getvalue()
    )


@pytest.fixture(scope="module")
def certified_by_thanh_loi(flow, signer_for):
    return pades.certify_as_authority(
        flow.signable, signer_for("authority_thanh_loi"), **AUTHORITY | {"signer_name": "Lợi"}
    )


def test_it_accepts_the_sent_pdf_certified_by_the_authority(check, flow):
    verdict = check(flow.certified)

    assert verdict.accepted, verdict.as_dict()
    assert verdict.signature.field == "Sig_Authority"
    assert verdict.signature.signer_name == "Võ Minh Tâm"
    assert verdict.signature.certification


def test_it_accepts_an_approval_signature_in_the_authority_field(check, flow, signer_for):
    signed = approve_in_field(flow.signable, signer_for("authority"), "Sig_Authority")

    verdict = check(signed)

    assert verdict.accepted, verdict.as_dict()
    assert not verdict.signature.certification


def test_two_authorities_each_sign_as_themselves(check, flow, certified_by_thanh_loi):
    assert check(flow.certified, authority=BEN_LUC).accepted
    assert check(certified_by_thanh_loi, authority=THANH_LOI).accepted


def test_one_authoritys_certificate_is_refused_for_another(check, flow, certified_by_thanh_loi):
    verdict = check(certified_by_thanh_loi, authority=BEN_LUC)

    assert verdict.reason == "wrong_authority"
    assert "UBND xã Bến Lức" in str(verdict.message)
    assert "UBND xã Thạnh Lợi" in str(verdict.message)  # the subject it does name
    assert check(flow.certified, authority=THANH_LOI).reason == "wrong_authority"


def test_a_business_certificate_is_refused(check, flow, signer_for):
    signed = pades.certify_as_authority(
        flow.signable, signer_for("business"), **AUTHORITY | {"signer_name": "Hoa"}
    )

    assert check(signed).reason == "wrong_authority"


def test_the_rule_is_the_deployments(check, certified_by_thanh_loi):
    by_code = AuthorityRule(attributes=("organization_name",), match="contains", value="Lợi")

    assert check(certified_by_thanh_loi, authority=BEN_LUC, rule=by_code).accepted


def test_another_pdf_is_refused(check, flow, signer_for):
    # The same MoU saved again by another program (other bytes), then certified.
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(flow.signable)))
    resaved = io.BytesIO()
    writer.write(resaved)
    other = pades.certify_as_authority(resaved.getvalue(), signer_for("authority"), **AUTHORITY)

    assert check(other).reason == "not_based_on_sent"


def test_a_change_before_the_signature_is_refused(check, flow, signer_for):
    edited = tampering.append_metadata_change(flow.signable)
    signed = pades.certify_as_authority(edited, signer_for("authority"), **AUTHORITY)

    assert check(signed).reason == "modified_after_sending"


def test_the_unsigned_pdf_is_refused(check, flow):
    assert check(flow.signable).reason == "not_signed"


def test_content_drawn_after_the_signature_is_refused(check, flow):
    verdict = check(tampering.append_page_content(flow.certified))

    assert not verdict.accepted
    assert verdict.reason == "object_changed", verdict.as_dict()


def test_content_changed_in_the_signatures_own_update_is_refused(check, flow, signer_for):
    # The signing tool changes the page and signs in the same update: the signature covers
    # the change, so only our review of the authority's own revision can see it.
    writer = IncrementalPdfFileWriter(io.BytesIO(flow.signable))
    box = generic.StreamObject(stream_data=b"q 1 1 1 rg 60 600 300 60 re f Q")
    writer.add_stream_to_page(0, writer.add_object(box))
    meta = pyhanko_signers.PdfSignatureMetadata(
        field_name="Sig_Authority", subfilter=sig_fields.SigSeedSubFilter.PADES
    )
    signed = (
        pyhanko_signers.PdfSigner(meta, signer_for("authority"))
        .sign_pdf(writer, existing_fields_only=True)
        .getvalue()
    )

    verdict = check(signed)

    assert verdict.reason == "object_changed", verdict.as_dict()


def test_an_extra_annotation_is_refused(check, flow):
    verdict = check(tampering.append_annotation(flow.certified))

    assert verdict.reason == "new_annotation", verdict.as_dict()


def test_a_signature_in_a_new_field_is_refused(check, flow, signer_for):
    signed = sign_new_field(flow.signable, signer_for("authority"), "Sig_Khac")

    assert check(signed).reason == "wrong_field"


def test_a_signature_in_the_business_field_is_refused(check, flow, signer_for):
    signed = approve_in_field(flow.signable, signer_for("authority"), "Sig_Business")

    verdict = check(signed)

    assert verdict.reason == "wrong_field"
    assert "authority's signature field" in str(verdict.message)


def test_a_revoked_certificate_is_refused(check, flow, signer_for):
    signed = approve_in_field(flow.signable, signer_for("revoked"), "Sig_Authority")

    assert check(signed, rule=AuthorityRule(value="Công ty May Bến Lức")).reason == "revoked"


def test_a_timestamp_can_be_required(check, flow, signer_for, pki):
    plain = approve_in_field(flow.signable, signer_for("authority"), "Sig_Authority")
    stamped = approve_in_field(
        flow.signable, signer_for("authority"), "Sig_Authority", tsa_url=pki.tsa_url
    )

    assert check(plain, require_timestamp=True).reason == "not_timestamped"
    assert check(stamped, require_timestamp=True).accepted
    assert check(plain).accepted
