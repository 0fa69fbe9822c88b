"""Verification for everyone: /verify/ for any PDF, /v/<public id>/ for one MoU (the QR
code's target), and `manage.py verify_pdf`. No login; no personal data on the pages."""

import json
import re
import time
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from partnerships.models import MouState, PdfRevision
from tests.factories import bring_to, make_mou
from tests.factories.signing import (
    anonymous,
    certify,
    confirm_code,
    invite,
    page_text,
    request_code,
)
from tests.factories.web import BrowserClient
from tests.signing.pdf import tampering

PERSONAL = ["Nguyễn Thị Hoa", "hoa@example.com", "Võ Minh Tâm"]


@pytest.fixture
def signed_mou(client_as, world, sent_mou, signing_settings):
    staff = client_as(world.staff)
    assert certify(staff, sent_mou).status_code == 302
    invitation = invite(staff, sent_mou)
    browser = anonymous()
    assert (
        confirm_code(browser, invitation.token, request_code(browser, invitation.token)).status_code
        == 302
    )
    sent_mou.refresh_from_db()
    assert sent_mou.state == MouState.SIGNED
    return sent_mou


def final_pdf(mou) -> bytes:
    return bytes(mou.pdf_revisions.order_by("-sequence").first().pdf)


def post_pdf(url, pdf: bytes, browser=None):
    """Choose the PDF on the page at `url` and press the button."""
    browser = browser or anonymous()
    return browser.submit(url, {"pdf": SimpleUploadedFile("x.pdf", pdf, "application/pdf")})


def test_the_verify_page_explains_each_signature_of_a_signed_mou(signed_mou):
    response = post_pdf(reverse("verify"), final_pdf(signed_mou))

    assert response.status_code == 200
    page = page_text(response).replace("&#x27;", "'")
    assert "Every signature is intact, valid and trusted" in page
    assert page.count('data-testid="verdict-signature"') == 3  # authority, seal, timestamp
    assert "This is the certification signature" in page
    assert "not the company's own digital signature" in page  # the registry seal said plainly
    assert "PAdES level: B-LTA" in page
    assert "The certificate is not revoked." in page
    assert reverse("public_mou", args=[signed_mou.public_id]) in page


def test_the_verify_page_says_whether_the_file_is_an_mous_stored_final_pdf(signed_mou):
    number = signed_mou.document_number
    earlier_pdf = bytes(PdfRevision.objects.get(mou=signed_mou, sequence=1).pdf)

    final = page_text(post_pdf(reverse("verify"), final_pdf(signed_mou)))
    earlier = page_text(post_pdf(reverse("verify"), earlier_pdf))
    other = page_text(
        post_pdf(reverse("verify"), tampering.append_annotation(final_pdf(signed_mou)))
    )

    assert f"This file is the final signed PDF of MoU {number}" in final
    assert reverse("public_mou", args=[signed_mou.public_id]) in final
    assert f"This file is revision 1 of the PDF of MoU {number}" in earlier
    assert "not its final signed version" in earlier
    assert "This file is not a PDF stored in this registry" in other
    assert reverse("public_mou", args=[signed_mou.public_id]) not in other


def test_the_verify_page_says_why_a_tampered_file_fails(signed_mou):
    response = post_pdf(reverse("verify"), tampering.append_page_content(final_pdf(signed_mou)))

    page = page_text(response)
    assert response.status_code == 200
    assert "This document does not pass verification." in page
    assert "The document was changed after its last signature." in page


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not a pdf at all", "The file is not a PDF."), (b"%PDF-1.7\n garbage", "damaged")],
)
def test_any_file_gets_a_verdict_never_an_error(db, signing_settings, content, message):
    response = post_pdf(reverse("verify"), content)

    assert response.status_code == 200
    assert message in page_text(response)


def test_the_verify_page_refuses_files_over_the_limit(db, settings):
    settings.SIGNING_MAX_UPLOAD_MB = 0
    response = post_pdf(reverse("verify"), b"%PDF-1.7 x")
    assert response.status_code == 400
    assert "larger than 0 MB" in page_text(response)


def test_without_trust_roots_the_verdict_says_so(db, settings):
    settings.SIGNING_TRUST_ROOTS = []
    settings.SIGNING_AUTHORITY_PKCS12 = settings.SIGNING_SEAL_PKCS12 = ""
    settings.DEBUG = False
    response = post_pdf(reverse("verify"), b"%PDF-1.7 x")
    assert "no trust roots configured" in page_text(response)


def test_the_public_page_of_an_mou_shows_organisations_state_and_final_hash(signed_mou):
    response = anonymous().get(reverse("public_mou", args=[signed_mou.public_id]))

    assert response.status_code == 200
    page = page_text(response)
    assert signed_mou.document_number in page
    assert "UBND xã Bến Lức" in page and "Công ty May Bến Lức" in page
    assert "Signed" in page
    final = signed_mou.pdf_revisions.order_by("-sequence").first()
    assert final.sha256 in page
    for personal in PERSONAL:
        assert personal not in page


def test_the_public_page_tells_whether_a_file_is_that_document(signed_mou):
    url = reverse("public_mou", args=[signed_mou.public_id])

    same = page_text(post_pdf(url, final_pdf(signed_mou)))
    earlier = page_text(
        post_pdf(url, bytes(PdfRevision.objects.get(mou=signed_mou, sequence=1).pdf))
    )
    changed = page_text(post_pdf(url, tampering.append_annotation(final_pdf(signed_mou))))
    unrelated = page_text(post_pdf(url, b"%PDF-1.7\n another document"))

    assert "This file is the final signed PDF of this MoU." in same
    assert "revision 1 of this MoU" in earlier
    for other in (changed, unrelated):
        assert "This file is not this MoU&#x27;s document: its SHA-256 is different." in other
    # The verdict names who signed the uploaded file (it says so itself); the registry adds
    # nothing personal of its own.
    for personal in PERSONAL:
        assert personal not in unrelated


def test_there_is_no_public_page_for_a_draft_or_an_unknown_id(world):
    draft = make_mou(world.ben_luc, world.garment, number=50)
    assert anonymous().get(reverse("public_mou", args=[draft.public_id])).status_code == 404
    assert anonymous().get(reverse("public_mou", args=[str(draft.pk)])).status_code == 404
    assert anonymous().get(reverse("public_mou", args=["nope"])).status_code == 404


def test_a_sent_mou_has_a_public_page_before_it_is_signed(world):
    mou = bring_to(make_mou(world.ben_luc, world.garment, number=51), MouState.SENT)
    page = page_text(anonymous().get(reverse("public_mou", args=[mou.public_id])))
    assert "Not signed yet." in page


# --- manage.py verify_pdf --------------------------------------------------------------------


def run_verify_pdf(path, *arguments):
    out = StringIO()
    try:
        call_command("verify_pdf", str(path), *arguments, stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def test_verify_pdf_exits_0_for_the_final_pdf(signed_mou, tmp_path):
    path = tmp_path / "final.pdf"
    path.write_bytes(final_pdf(signed_mou))

    status, output = run_verify_pdf(path)

    assert status == 0
    assert "Every signature is intact, valid and trusted" in output
    assert "PAdES level: B-LTA" in output


def test_verify_pdf_prints_json(signed_mou, tmp_path):
    path = tmp_path / "final.pdf"
    path.write_bytes(final_pdf(signed_mou))

    status, output = run_verify_pdf(path, "--json")

    data = json.loads(output)
    assert status == 0
    assert data["ok"] is True
    assert [s["registry_seal"] for s in data["signatures"]] == [False, True, False]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (tampering.append_page_content, "modified_after_last_signature"),
        (lambda pdf: b"no pdf", "not_a_pdf"),
    ],
)
def test_verify_pdf_exits_1_when_the_document_fails(signed_mou, tmp_path, change, code):
    path = tmp_path / "changed.pdf"
    path.write_bytes(change(final_pdf(signed_mou)))

    status, output = run_verify_pdf(path, "--json")

    assert status == 1
    data = json.loads(output)
    assert data["ok"] is False
    codes = {p["code"] for p in data["problems"]} | {
        p["code"] for s in data["signatures"] for p in s["problems"]
    }
    assert code in codes


def test_verify_pdf_exits_1_for_the_unsigned_pdf(world, signing_settings, tmp_path):
    path = tmp_path / "unsigned.pdf"
    path.write_bytes(bytes(world.mou.documents.get().pdf))
    status, output = run_verify_pdf(path)
    assert status == 1
    assert "The PDF has no signatures." in output


def test_without_configured_roots_the_registrys_own_chain_is_trusted(signed_mou, settings):
    settings.SIGNING_TRUST_ROOTS = []

    page = page_text(post_pdf(reverse("verify"), final_pdf(signed_mou)))

    assert "Every signature is intact, valid and trusted" in page


def test_a_broken_trust_setting_still_gives_a_verdict(signed_mou, settings):
    settings.SIGNING_TRUST_ROOTS = ["/nonexistent/root.pem"]
    settings.SIGNING_AUTHORITY_PKCS12 = settings.SIGNING_SEAL_PKCS12 = "/nonexistent/x.p12"

    response = post_pdf(reverse("verify"), final_pdf(signed_mou))

    assert response.status_code == 200
    assert "This document does not pass verification." in page_text(response)


def test_a_file_checked_again_within_minutes_gets_the_first_checks_verdict_and_time(
    signed_mou, monkeypatch
):
    """A document many people check costs one check: the same bytes within
    RECENT_SECONDS get the first verdict, saying when it was made; another file, a later
    time or another language is checked afresh."""
    from partnerships.signing import public_verdicts, recent_verdicts

    checks = []
    real_check = public_verdicts._checked_in_child
    monkeypatch.setattr(
        public_verdicts,
        "_checked_in_child",
        lambda *args: checks.append(args[1]) or real_check(*args),
    )
    pdf = final_pdf(signed_mou)

    first = page_text(post_pdf(reverse("verify"), pdf))
    again = page_text(post_pdf(reverse("verify"), pdf))

    assert len(checks) == 1
    assert "Every signature is intact, valid and trusted" in again
    checked_at = re.search(r'data-testid="verdict-checked-at">([^<]*)<', first).group(1)
    assert checked_at.startswith("Checked at ")
    assert checked_at in again  # the time of the check the verdict comes from

    tampered = pdf.replace(b"/Producer", b"/Producex", 1)
    post_pdf(reverse("verify"), tampered)
    assert len(checks) == 2

    vietnamese_browser = BrowserClient(language="vi", HTTP_USER_AGENT="Test browser 1.0")
    vietnamese = page_text(post_pdf(reverse("verify"), pdf, vietnamese_browser))
    assert "Kiểm tra lúc" in vietnamese
    assert len(checks) == 3

    later = time.monotonic() + recent_verdicts.RECENT_SECONDS + 1
    monkeypatch.setattr(recent_verdicts.time, "monotonic", lambda: later)
    post_pdf(reverse("verify"), pdf)
    assert len(checks) == 4


def test_a_verdict_a_network_failure_made_is_not_kept(signed_mou, monkeypatch):
    from partnerships.signing import public_verdicts

    checks = []

    def timed_out(pdf, digest, setup):
        checks.append(digest)
        problem = {"code": "network_timeout", "message": "The network was too slow."}
        return {"ok": False, "raw": {"problems": [problem], "signatures": []}}, True

    monkeypatch.setattr(public_verdicts, "_checked_in_child", timed_out)
    pdf = final_pdf(signed_mou)

    public_verdicts.public_verdict(pdf)
    public_verdicts.public_verdict(pdf)

    assert len(checks) == 2


@pytest.mark.parametrize(
    "description",
    [
        {"raw": {"problems": 5}},
        {"raw": {"problems": [{"code": []}]}},
        {"raw": {"signatures": [{"problems": 1}]}},
        {"raw": "not a dict"},
        {"ok": True, "raw": {"problems": []}, "padding": [0.5] * 100_000},  # too big to keep
        {"ok": True, "raw": {"problems": []}, "summary": "x" * 1_000_000},
    ],
)
def test_an_odd_or_huge_description_from_a_child_is_shown_but_never_kept(
    signed_mou, monkeypatch, description
):
    """What a (taken-over) child describes is not trusted: odd shapes do not break the
    page, and nothing large stays in the worker's memory."""
    from partnerships.signing import public_verdicts

    checks = []

    def odd(pdf, digest, setup):
        checks.append(digest)
        return description, True

    monkeypatch.setattr(public_verdicts, "_checked_in_child", odd)
    pdf = final_pdf(signed_mou)

    assert public_verdicts.public_verdict(pdf)[0] is description
    public_verdicts.public_verdict(pdf)

    assert len(checks) == 2
