"""Each attack on a signed MoU is refused by verify_pdf and by the business upload check, with
its own reason; a genuine MoU still passes both. (The public /verify/ page: see
tests/signing/test_verify_attacks.py.)"""

import pytest

from partnerships.signing.pdf.upload import check_business_upload
from partnerships.signing.pdf.verify import verify_pdf
from tests.factories.signing import business_signs_with
from tests.signing.pdf import attacks
from tests.signing.pdf.pki import BUSINESS_TAX_CODE


@pytest.fixture
def verify(pki):
    def verify(pdf):
        return verify_pdf(pdf, trust_roots=pki.trust_roots)

    return verify


@pytest.fixture
def check(flow, pki):
    def check(uploaded):
        return check_business_upload(
            flow.certified,
            uploaded,
            trust_roots=pki.trust_roots,
            tax_code=BUSINESS_TAX_CODE,
        )

    return check


def test_a_genuine_mou_passes_verify_and_the_upload_check(verify, check, flow, signer_for):
    for final in (flow.business_signed, flow.archived, flow.sealed):
        verdict = verify(final)
        assert verdict.ok, verdict.as_dict()
    assert check(flow.business_signed).accepted
    assert check(business_signs_with(flow, signer_for("business"))).accepted


# --- After the last signature -----------------------------------------------------------------


def _after_the_last_signature(name, pdf, pki, signer_for):
    return attacks.after_the_last_signature(
        name, pdf, tsa_url=pki.tsa_url, signer=signer_for("other")
    )


@pytest.mark.parametrize(("attack", "reason", "upload_reason"), attacks.AFTER_THE_LAST_SIGNATURE)
def test_changes_after_the_last_signature_are_refused(
    verify, check, flow, pki, signer_for, attack, reason, upload_reason
):
    final = _after_the_last_signature(attack, flow.archived, pki, signer_for)
    uploaded = _after_the_last_signature(attack, flow.business_signed, pki, signer_for)

    verdict = verify(final)
    refusal = check(uploaded)

    assert not verdict.ok
    assert reason in verdict.codes, verdict.codes
    assert refusal.reason == upload_reason, refusal.as_dict()


def test_an_overlay_through_an_indirect_rect_is_no_archive_timestamp(verify, flow, pki):
    verdict = verify(attacks.overlay_through_indirect_rect(flow.archived, tsa_url=pki.tsa_url))

    # pyHanko's own analysis took this update for a timestamp; the allow-list that answers
    # for it (diff_policy.py) refuses it, and so do the pages.
    assert {
        "overlay_field",
        "visible_difference",
        "modified_after_last_signature",
    } <= verdict.codes
    signatures = [s for s in verdict.signatures if s.kind == "signature"]
    assert all("changed_after_signing" in {p.code for p in s.problems} for s in signatures)


@pytest.mark.parametrize("attack", ["overlay_through_indirect_rect", "evil_annotation"])
def test_the_pages_show_what_the_overlay_changed(verify, flow, pki, signer_for, attack):
    verdict = verify(_after_the_last_signature(attack, flow.archived, pki, signer_for))

    difference = next(p for p in verdict.problems if p.code == "visible_difference")
    assert "page 1 looks different" in str(difference.message)


# --- Shadow attacks: objects planted in the business's own signed revision --------------------

SHADOWS = {
    "hide": (attacks.plant_white_box, "overlay_field"),
    "replace": (attacks.plant_page_content, "object_changed"),
    "hide_and_replace": (attacks.plant_page, "object_changed"),
}


@pytest.fixture(scope="module")
def planted(flow, signer_for):
    """{variant: (the business's upload with planted objects, their references)}."""
    return {
        name: attacks.planted_in_upload(flow.certified, signer_for("business"), plant)
        for name, (plant, _reason) in SHADOWS.items()
    }


def _revealed(name, signed, references, pki):
    if name == "hide":
        return attacks.shadow_hide(signed, references, tsa_url=pki.tsa_url)
    if name == "replace":
        return attacks.shadow_replace(signed, references)
    return attacks.shadow_hide_and_replace(signed, references)


@pytest.mark.parametrize("name", SHADOWS)
def test_shadow_attacks_are_refused(verify, check, planted, pki, name):
    signed, references = planted[name]
    revealed = _revealed(name, signed, references, pki)

    upload_refusal = check(signed)
    verdict_before, verdict_after = verify(signed), verify(revealed)

    assert upload_refusal.reason == "unreferenced_objects", upload_refusal.as_dict()
    assert "unreferenced_objects" in verdict_before.codes
    assert {"unreferenced_objects", SHADOWS[name][1]} <= verdict_after.codes
    assert "visible_difference" in verdict_after.codes
    assert check(revealed).reason in {"unreferenced_objects", SHADOWS[name][1]}


def test_an_annotation_inside_the_businesss_signed_revision(verify, check, flow, signer_for):
    uploaded = attacks.annotation_in_upload(flow.certified, signer_for("business"))

    assert check(uploaded).reason == "new_annotation"
    assert "new_annotation" in verify(uploaded).codes


def test_a_sneaky_signature_instead_of_the_businesss(verify, check, flow, signer_for):
    sneaky = attacks.sneaky_signature(flow.certified, signer_for("business"))

    assert check(sneaky).reason == "wrong_field"
    assert "new_signature_field" in verify(sneaky).codes


# --- /ByteRange, /Contents, signature wrapping ------------------------------------------------

FORGERIES = {
    "contents_zeroed": (attacks.contents_zeroed, "unreadable_signature", "signature_broken"),
    "contents_swapped": (attacks.contents_swapped, "signature_broken", "signature_broken"),
    "byte_range_edited": (attacks.byte_range_edited, "signature_broken", "signature_broken"),
    "byte_range_redefined": (
        lambda pdf: attacks.signature_dictionary_redefined(pdf, attacks.BUSINESS_FIELD),
        "signature_field_changed",
        "signature_field_changed",
    ),
    "byte_range_removed": (
        lambda pdf: attacks.signature_dictionary_redefined(
            pdf, attacks.BUSINESS_FIELD, drop_byte_range=True
        ),
        "unreadable_signature",
        "signature_field_changed",
    ),
    "signature_wrapping": (
        attacks.signature_wrapping,
        "incomplete_coverage",
        "object_changed",  # the wrapped update is not laid out plainly (unambiguous.py)
    ),
}


@pytest.mark.parametrize("name", FORGERIES)
def test_byte_range_and_contents_forgeries_are_refused(verify, check, uploaded, name):
    forge, reason, upload_reason = FORGERIES[name]

    verdict = verify(forge(uploaded))
    refusal = check(forge(uploaded))

    assert not verdict.ok
    assert reason in verdict.codes, verdict.codes
    assert refusal.reason == upload_reason, refusal.as_dict()


@pytest.fixture(scope="module")
def uploaded(flow, signer_for):
    """The business's own signature on the sent PDF, nothing after it (B-B)."""
    return business_signs_with(flow, signer_for("business"))


# --- Better verdicts (item 8) -----------------------------------------------------------------


def test_a_signature_that_cannot_be_parsed_does_not_hide_the_others(verify, uploaded):
    verdict = verify(
        attacks.signature_dictionary_redefined(
            uploaded, attacks.BUSINESS_FIELD, drop_byte_range=True
        )
    )

    authority, business = verdict.signatures
    assert authority.signer_name == "Võ Minh Tâm"
    assert authority.intact and authority.trusted
    assert business.field == "Sig_Business"
    assert [p.code for p in business.problems] == ["unreadable_signature"]
    assert not verdict.ok


def test_a_page_smuggled_into_the_validation_data_is_no_validation_data(verify, flow):
    verdict = verify(attacks.dss_smuggled_page_change(flow.archived))

    assert "object_changed" in verdict.codes
    assert "visible_difference" in verdict.codes
