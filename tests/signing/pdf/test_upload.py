"""A business signs the sent PDF with its own tool and uploads it: accepted only if it is the
sent file plus its one signature, intact, trusted, not revoked, and its own."""

import json

import pytest

from partnerships.signing.pdf import pades
from partnerships.signing.pdf.errors import SigningError
from partnerships.signing.pdf.upload import check_business_upload, tax_code_rule
from tests.factories.signing import business_signs_with, sign_new_field
from tests.signing.pdf import tampering
from tests.signing.pdf.pki import BUSINESS_TAX_CODE, OTHER_TAX_CODE


@pytest.fixture
def check(flow, pki):
    def check(uploaded, *, sent=None, tax_code=BUSINESS_TAX_CODE, **options):
        return check_business_upload(
            flow.certified if sent is None else sent,
            uploaded,
            trust_roots=pki.trust_roots,
            tax_code=tax_code,
            **options,
        )

    return check


@pytest.fixture(scope="module")
def uploaded(flow, signer_for):
    """The sent PDF signed by the business's own certificate, as its signing tool would (B-B)."""
    return business_signs_with(flow, signer_for("business"))


def test_it_accepts_the_sent_pdf_signed_by_the_business(check, uploaded):
    verdict = check(uploaded)

    assert verdict.accepted, verdict.as_dict()
    assert verdict.reason is None
    assert verdict.signature.field == "Sig_Business"
    assert verdict.signature.signer_name == "Nguyễn Thị Hoa"
    json.dumps(verdict.as_dict())


def test_it_accepts_validation_data_added_after_the_signature(check, flow):
    # Our own business signature with a TSA and trust roots adds a DSS update after it.
    assert check(flow.business_signed).accepted


def test_it_can_refuse_anything_after_the_signature(check, flow):
    verdict = check(flow.business_signed, allow_validation_updates=False)

    assert verdict.reason == "modified_after_sending"


def test_it_refuses_a_file_that_is_not_a_pdf(check):
    assert check(b"PK\x03\x04 a zip").reason == "not_a_pdf"


def test_it_refuses_the_unsigned_sent_file(check, flow):
    assert check(flow.certified).reason == "not_signed"


def test_it_refuses_a_resaved_file_without_a_signature(check, flow):
    assert check(tampering.append_metadata_change(flow.certified)).reason == "not_signed"


def test_it_refuses_a_file_signed_from_a_different_base(check, flow, signer_for, pki):
    # The same MoU certified again (another revision, other bytes), then signed.
    other_base = pades.certify_as_authority(
        flow.signable,
        signer_for("authority"),
        signer_name="Võ Minh Tâm",
        position="Chủ tịch",
        verification_url="https://registry.example.org/xac-minh/khac",
    )
    signed = pades.sign_as_business(other_base, signer_for("business"))

    verdict = check(signed)

    assert verdict.reason == "not_based_on_sent"
    assert "not the document we sent" in str(verdict.message)


def test_it_refuses_a_flipped_byte_in_the_sent_part(check, uploaded, flow):
    tampered = tampering.flip_a_byte_at(uploaded, len(flow.certified) // 2)

    assert check(tampered).reason == "not_based_on_sent"


def test_it_refuses_a_flipped_byte_in_the_signed_part(check, uploaded):
    verdict = check(tampering.flip_a_signed_byte(uploaded))

    assert verdict.reason == "signature_broken"


def test_it_refuses_page_content_changed_after_signing(check, uploaded):
    verdict = check(tampering.append_page_content(uploaded))

    assert verdict.reason == "object_changed"


def test_it_refuses_page_content_changed_before_signing(check, flow, signer_for):
    changed = tampering.append_page_content(flow.certified)
    signed = pades.sign_as_business(changed, signer_for("business"))

    assert check(signed).reason == "object_changed"


def test_it_refuses_an_annotation_added_after_signing(check, uploaded):
    verdict = check(tampering.append_annotation(uploaded))

    assert verdict.reason == "new_annotation"


def test_it_refuses_an_extra_signature(check, uploaded, signer_for):
    extra = sign_new_field(uploaded, signer_for("business"), "Sig_Extra")

    assert check(extra).reason == "extra_signature"


def test_it_refuses_a_signature_in_another_field(check, flow, signer_for):
    elsewhere = sign_new_field(flow.certified, signer_for("business"), "Sig_Elsewhere")

    assert check(elsewhere).reason == "wrong_field"


def test_it_refuses_another_business_certificate(check, flow, signer_for):
    verdict = check(business_signs_with(flow, signer_for("other")))

    assert verdict.reason == "wrong_partner"
    assert BUSINESS_TAX_CODE in str(verdict.message)
    assert verdict.signature.signer_name == "Lê Văn Sơn"


def test_it_accepts_that_certificate_for_its_own_business(check, flow, signer_for):
    verdict = check(business_signs_with(flow, signer_for("other")), tax_code=OTHER_TAX_CODE)

    assert verdict.accepted, verdict.as_dict()


def test_it_refuses_a_revoked_certificate(check, flow, signer_for):
    verdict = check(business_signs_with(flow, signer_for("revoked")))

    assert verdict.reason == "revoked"
    assert verdict.signature.revoked


def test_it_refuses_an_expired_certificate(check, flow, signer_for):
    assert check(business_signs_with(flow, signer_for("expired"))).reason == "expired"


def test_it_refuses_a_certificate_from_an_untrusted_authority(flow, uploaded, pki):
    verdict = check_business_upload(
        flow.certified, uploaded, trust_roots=[pki.cert("tsa")], tax_code=BUSINESS_TAX_CODE
    )

    assert verdict.reason == "untrusted"


def test_it_refuses_a_sent_file_it_cannot_read(uploaded, pki):
    with pytest.raises(SigningError):
        check_business_upload(
            b"%PDF-1.7 broken", b"%PDF-1.7 broken and more", trust_roots=pki.trust_roots,
            tax_code=BUSINESS_TAX_CODE,
        )  # fmt: skip


# --- The tax code rule ------------------------------------------------------------------------


def test_the_default_rule_reads_the_uid_with_or_without_its_prefix(pki):
    rule = tax_code_rule()

    assert rule(pki.cert("business"), BUSINESS_TAX_CODE)  # UID=MST:0312345678
    assert rule(pki.cert("expired"), BUSINESS_TAX_CODE)  # serialNumber=0312345678
    assert not rule(pki.cert("other"), BUSINESS_TAX_CODE)
    assert not rule(pki.cert("business"), BUSINESS_TAX_CODE[:-1])  # no partial match
    assert not rule(pki.cert("business"), "")


def test_a_rule_can_demand_the_prefix_and_a_given_attribute(pki):
    rule = tax_code_rule(r"MST:{tax_code}", attributes=["user_id"])

    assert rule(pki.cert("business"), BUSINESS_TAX_CODE)
    assert not rule(pki.cert("expired"), BUSINESS_TAX_CODE)  # serialNumber, no prefix


def test_a_rule_must_name_the_tax_code():
    with pytest.raises(ValueError):
        tax_code_rule(r"MST:\d+")
