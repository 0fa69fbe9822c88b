"""verify_pdf, for anyone: a verdict per signature and for the document, never an exception."""

import json

import pytest

from partnerships.signing.pdf import pades
from partnerships.signing.pdf.verify import verify_pdf
from tests.factories.signing import business_signs_with, sign_new_field
from tests.signing.pdf import tampering


@pytest.fixture
def verify(pki):
    def verify(pdf, **options):
        return verify_pdf(pdf, trust_roots=pki.trust_roots, **options)

    return verify


def test_a_fully_signed_document_is_ok(verify, flow):
    verdict = verify(flow.archived)

    assert verdict.ok, verdict.as_dict()
    assert verdict.reasons == []
    authority, business, archive = verdict.signatures
    assert (authority.signer_name, business.signer_name) == ("Võ Minh Tâm", "Nguyễn Thị Hoa")
    for report in verdict.signatures:
        assert (report.intact, report.valid, report.trusted, report.revoked) == (
            True,
            True,
            True,
            False,
        )
        assert report.time_source == "timestamp"
        assert report.signed_at is not None
    assert authority.signed_at < business.signed_at < archive.signed_at
    assert archive.covers_whole_file or archive.modification_level == "lta_updates"


def test_the_verdict_is_json(verify, flow):
    data = json.loads(json.dumps(verify(flow.archived).as_dict()))

    assert data["ok"] is True
    assert len(data["sha256"]) == 64
    business = data["signatures"][1]
    assert business["field"] == "Sig_Business"
    assert business["pades_level"] == "B-LTA"
    assert business["modification_level"] == "lta_updates"
    assert business["signed_at"].startswith("20")


def test_it_reports_a_signature_made_with_the_registry_seal(verify, flow, pki):
    verdict = verify(flow.sealed, registry_seals=[pki.cert("seal")])

    assert verdict.ok, verdict.as_dict()
    seal = verdict.signatures[1]
    assert seal.registry_seal
    assert seal.signer_name == "DEMO Registry Seal"
    assert "Nguyễn Thị Hoa" in seal.claimed_name


def test_embedded_validation_data_is_enough_without_the_network(verify, flow):
    verdict = verify(flow.archived, allow_fetching=False)

    assert verdict.ok, verdict.as_dict()


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "not_a_pdf"),
        (b"hello, world", "not_a_pdf"),
        (b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF", "damaged"),
    ],
)
def test_garbage_is_a_verdict_not_an_exception(verify, content, code):
    verdict = verify(content)

    assert not verdict.ok
    assert verdict.codes == {code}
    json.dumps(verdict.as_dict())


def test_a_pdf_without_signatures(verify, flow):
    verdict = verify(flow.signable)

    assert not verdict.ok
    assert verdict.codes == {"no_signatures"}


def test_an_encrypted_pdf(verify, flow):
    verdict = verify(tampering.encrypted_copy(flow.business_signed))

    assert not verdict.ok
    assert verdict.codes == {"encrypted"}


def test_a_flipped_byte_breaks_the_signature(verify, flow):
    verdict = verify(tampering.flip_a_signed_byte(flow.business_signed))

    assert not verdict.ok
    business = verdict.signatures[1]
    assert not business.intact
    assert [p.code for p in business.problems] == ["signature_broken"]


def test_page_content_changed_after_the_last_signature(verify, flow):
    verdict = verify(tampering.append_page_content(flow.business_signed))

    assert not verdict.ok
    assert "modified_after_last_signature" in {p.code for p in verdict.problems}
    authority, business = verdict.signatures
    assert business.modification_level == "other"
    assert {p.code for p in business.problems} == {"changed_after_signing"}
    assert {p.code for p in authority.problems} == {"changed_after_signing"}


def test_an_annotation_added_after_the_last_signature(verify, flow):
    verdict = verify(tampering.append_annotation(flow.business_signed))

    assert not verdict.ok
    assert "modified_after_last_signature" in verdict.codes
    assert not verdict.signatures[1].changes_permitted


def test_a_signature_added_after_the_lock(verify, flow, signer_for):
    verdict = verify(sign_new_field(flow.business_signed, signer_for("other"), "Sig_Extra"))

    assert not verdict.ok
    _authority, business, extra = verdict.signatures
    assert extra.field == "Sig_Extra"
    # The business's signature locked the fields and allowed no further changes.
    assert business.modification_level not in ("none", "lta_updates")
    assert {p.code for p in business.problems} == {"changed_after_signing"}


def test_another_business_signature_is_reported_with_its_signer(verify, flow, signer_for):
    verdict = verify(business_signs_with(flow, signer_for("other")))

    # A valid signature in itself: whose it is, is for the reader (or the upload) to judge.
    assert verdict.ok
    assert verdict.signatures[1].signer_name == "Lê Văn Sơn"
    assert "MST:0700000001" in verdict.signatures[1].signer_subject


def test_a_revoked_certificate(verify, flow, signer_for):
    verdict = verify(business_signs_with(flow, signer_for("revoked")))

    assert not verdict.ok
    business = verdict.signatures[1]
    assert business.revoked
    assert business.revoked_at is not None
    assert [p.code for p in business.problems] == ["revoked"]


def test_an_expired_certificate(verify, flow, signer_for):
    verdict = verify(business_signs_with(flow, signer_for("expired")))

    assert not verdict.ok
    assert [p.code for p in verdict.signatures[1].problems] == ["expired"]


def test_an_untrusted_root(flow, pki):
    verdict = verify_pdf(flow.business_signed, trust_roots=[pki.cert("tsa")])

    assert not verdict.ok
    assert {p.code for s in verdict.signatures for p in s.problems} == {"untrusted"}


def test_a_document_from_another_base_is_valid_but_not_the_same_file(verify, flow, signer_for):
    other = pades.sign_as_business(
        pades.certify_as_authority(
            flow.signable,
            signer_for("authority"),
            signer_name="Võ Minh Tâm",
            position="Chủ tịch",
            verification_url="https://registry.example.org/xac-minh/khac",
        ),
        signer_for("business"),
    )

    verdict = verify(other)

    # verify_pdf judges the file alone; telling it from our MoU is the SHA-256's job.
    assert verdict.ok
    assert verdict.sha256 != verify(flow.business_signed).sha256


def test_messages_are_translated_when_shown(verify):
    from django.utils import translation

    verdict = verify(b"hello")
    with translation.override("vi"):
        vietnamese = verdict.as_dict()["problems"][0]["message"]
    english = verdict.as_dict()["problems"][0]["message"]

    assert english == "The file is not a PDF."
    assert vietnamese != english
