"""What changed after each signature, as a verdict reports it: our allow-list answers pyHanko's
difference analysis (diff_policy.py), once for the whole document."""

import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter

from partnerships.documents.engine.fields import AUTHORITY_FIELD, BUSINESS_FIELD
from partnerships.signing.pdf import modifications, pades
from partnerships.signing.pdf.verify import verify_pdf


@pytest.fixture
def verify(pki):
    def verify(pdf):
        return verify_pdf(pdf, trust_roots=pki.trust_roots)

    return verify


def _certify(pdf: bytes, signer, permission: MDPPerm) -> bytes:
    """The authority's certification, made by plain pyHanko with `permission`."""
    metadata = signers.PdfSignatureMetadata(
        field_name=AUTHORITY_FIELD,
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=permission,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    return signers.sign_pdf(writer, metadata, signer=signer, existing_fields_only=True).getvalue()


def _lock_business_field(pdf: bytes) -> bytes:
    """The authority's field locks the business's field (a FieldMDP /Lock), before signing."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for field_ref in writer.root["/AcroForm"]["/Fields"]:
        field = field_ref.get_object()
        if field.get("/T") == AUTHORITY_FIELD:
            field["/Lock"] = generic.DictionaryObject(
                {
                    generic.NameObject("/Type"): generic.NameObject("/SigFieldLock"),
                    generic.NameObject("/Action"): generic.NameObject("/Include"),
                    generic.NameObject("/Fields"): generic.ArrayObject(
                        [generic.TextStringObject(BUSINESS_FIELD)]
                    ),
                }
            )
            writer.update_container(field)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _codes(report) -> set[str]:
    return {p.code for p in report.problems}


def test_the_business_signature_is_form_filling_for_the_certification(verify, flow):
    authority, business, archive = verify(flow.archived).signatures

    assert authority.modification_level == "form_filling"
    assert authority.changes_permitted
    assert business.modification_level == "lta_updates"
    assert archive.modification_level in ("none", "lta_updates")


def test_a_certification_locking_the_business_field_refuses_its_signature(verify, flow, signer_for):
    locked = _lock_business_field(flow.signable)
    certified = _certify(locked, signer_for("authority"), MDPPerm.FILL_FORMS)

    verdict = verify(pades.sign_as_business(certified, signer_for("business")))

    authority, business = verdict.signatures
    assert not verdict.ok
    assert authority.changes_permitted is False
    assert _codes(authority) == {"changed_after_signing"}
    assert business.ok


def test_the_updates_are_reviewed_once_for_all_signatures(verify, flow, monkeypatch):
    reviewed = []
    review_revisions = modifications.review_revisions

    def counted(*args, **kwargs):
        reviewed.append(1)
        return review_revisions(*args, **kwargs)

    monkeypatch.setattr(modifications, "review_revisions", counted)

    verdict = verify(flow.archived)

    assert verdict.ok
    assert len(verdict.signatures) == 3
    assert len(reviewed) == 1
