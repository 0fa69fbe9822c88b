"""The public /verify/ page refuses each attack of tests/signing/pdf/attacks.py with its own
reason, in words, and still says a genuine MoU passes. (verify_pdf and the upload check:
tests/signing/pdf/test_attacks.py.)"""

import html

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from partnerships.signing.pdf import modifications, verify, visual
from tests.factories.signing import anonymous, business_signs_with
from tests.signing.pdf import attacks

PASSES = "Every signature is intact, valid and trusted"
FAILS = "This document does not pass verification."


def _message(code: str) -> str:
    with translation.override("en"):
        return str({**verify.MESSAGES, **modifications.MESSAGES}[code])


def _page(pdf: bytes) -> str:
    browser = anonymous()
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = browser.submit(
        reverse("verify"), {"pdf": SimpleUploadedFile("x.pdf", pdf, "application/pdf")}
    )
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.fixture(autouse=True)
def fresh_render_cache():
    visual.forget_all()


def test_a_genuine_mou_passes(db, signing_settings, flow):
    for final in (flow.archived, flow.sealed):
        assert PASSES in _page(final)


@pytest.mark.parametrize(("attack", "reason", "_upload"), attacks.AFTER_THE_LAST_SIGNATURE)
def test_changes_after_the_last_signature(
    db, signing_settings, flow, pki, signer_for, attack, reason, _upload
):
    forged = attacks.after_the_last_signature(
        attack, flow.archived, tsa_url=pki.tsa_url, signer=signer_for("other")
    )

    page = _page(forged)

    assert FAILS in page
    assert _message(reason) in page


@pytest.mark.parametrize(
    ("plant", "reveal"),
    [
        (attacks.plant_white_box, "hide"),
        (attacks.plant_page_content, "replace"),
        (attacks.plant_page, "hide_and_replace"),
    ],
)
def test_shadow_attacks(db, signing_settings, flow, pki, signer_for, plant, reveal):
    signed, planted = attacks.planted_in_upload(flow.certified, signer_for("business"), plant)
    revealed = {
        "hide": lambda: attacks.shadow_hide(signed, planted, tsa_url=pki.tsa_url),
        "replace": lambda: attacks.shadow_replace(signed, planted),
        "hide_and_replace": lambda: attacks.shadow_hide_and_replace(signed, planted),
    }[reveal]()

    for pdf in (signed, revealed):
        page = _page(pdf)
        assert FAILS in page
        assert _message("unreferenced_objects") in page
    assert "page 1 looks different from the last signed version" in _page(revealed)


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (attacks.contents_zeroed, "unreadable_signature"),
        (attacks.contents_swapped, "signature_broken"),
        (attacks.byte_range_edited, "signature_broken"),
        (
            lambda pdf: attacks.signature_dictionary_redefined(pdf, attacks.BUSINESS_FIELD),
            "signature_field_changed",
        ),
        (attacks.signature_wrapping, "incomplete_coverage"),
    ],
)
def test_byte_range_and_contents_forgeries(db, signing_settings, flow, signer_for, forge, reason):
    page = _page(forge(business_signs_with(flow, signer_for("business"))))

    assert FAILS in page
    assert _message(reason) in page


def test_an_annotation_in_the_businesss_own_revision(db, signing_settings, flow, signer_for):
    page = _page(attacks.annotation_in_upload(flow.certified, signer_for("business")))

    assert FAILS in page
    assert _message("new_annotation") in page


def test_an_unparsable_signature_does_not_hide_the_others(db, signing_settings, flow, signer_for):
    uploaded = business_signs_with(flow, signer_for("business"))

    page = _page(
        attacks.signature_dictionary_redefined(
            uploaded, attacks.BUSINESS_FIELD, drop_byte_range=True
        )
    )

    assert FAILS in page
    assert page.count('data-testid="verdict-signature"') == 2
    assert "Signed by Võ Minh Tâm" in page
    assert _message("unreadable_signature") in page
