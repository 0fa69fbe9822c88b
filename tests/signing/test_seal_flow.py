"""The whole flow with the registry's seal, through the pages, in order: the authority signs
on the MoU page, staff invite the legal representative, who opens the emailed link, asks for
a one-time code, enters it, and the MoU is signed by itself."""

import hashlib
import itertools

from django.urls import reverse

from partnerships.models import (
    AuditEvent,
    InvitationOutcome,
    MouState,
    PdfRevision,
    RevisionKind,
    Signature,
    SignatureMethod,
    SigningCode,
)
from partnerships.signing.setup import SigningSetup
from tests.factories.signing import (
    anonymous,
    certify,
    confirm_code,
    invite,
    link,
    page_text,
    request_code,
    signer_get,
)


def test_the_authority_signs_then_the_business_seals_with_a_code_and_the_mou_is_signed(
    client_as, world, sent_mou, signing_settings
):
    staff = client_as(world.staff)
    mou = sent_mou

    # 1. The authority's certification, from the MoU page.
    page = page_text(staff.get(mou.get_absolute_url()))
    assert "Sign as the authority" in page
    response = certify(staff, mou)
    assert response.status_code == 302
    certified = PdfRevision.objects.get(mou=mou, sequence=1)
    assert certified.kind == RevisionKind.AUTHORITY_CERTIFICATION
    assert bytes(certified.pdf).startswith(bytes(mou.signable_document.pdf))
    assert certified.previous_sha256 == mou.signable_pdf_sha256
    authority = Signature.objects.get(mou=mou, party="authority")
    assert authority.is_verified and authority.revision == certified
    event = AuditEvent.objects.get(mou=mou, action="mou.authority_certified")
    assert event.actor == world.staff
    assert event.details["sha256"] == certified.sha256

    # 2. The invitation email to the legal representative.
    invitation = invite(staff, mou)
    assert invitation.email.to == ["hoa@example.com"]
    assert invitation.link.startswith("https://registry.example.org/sign/")
    assert mou.document_number in invitation.email.subject

    # 3. The link opens the review page, without logging in.
    business = anonymous()
    opened = business.get(link(invitation.token))
    assert opened.status_code == 302 and opened["Location"] == reverse("signing_page")
    assert opened["Referrer-Policy"] == "no-referrer"
    response = business.get(opened["Location"])
    assert response.status_code == 200
    page = page_text(response)
    assert "Công nhân may" in page  # the pledges
    assert "made through the registry for you and your company, not your company" in page
    assert response["Cache-Control"].startswith("max-age=0")
    # Token-free from here: the site's same-origin policy lets the browser's posts through
    # Django's origin check (Origin: null would be refused).
    assert response["Referrer-Policy"] == "same-origin"
    assert invitation.token not in page
    pdf = signer_get(business, invitation.token, "invitation_document")
    assert pdf.content == bytes(certified.pdf)

    # 4. A one-time code by email, then the seal.
    code = request_code(business, invitation.token)
    stored = SigningCode.objects.get()
    assert code not in (stored.code_hash, stored.salt)
    response = confirm_code(business, invitation.token, code)
    assert response.status_code == 302, page_text(response)[:3000]

    mou.refresh_from_db()
    assert mou.state == MouState.SIGNED
    chain = list(PdfRevision.objects.filter(mou=mou).order_by("sequence"))
    assert [revision.kind for revision in chain] == [
        RevisionKind.AUTHORITY_CERTIFICATION,
        RevisionKind.REGISTRY_SEAL,
        RevisionKind.ARCHIVE_TIMESTAMP,
    ]
    for before, after in itertools.pairwise(chain):
        assert bytes(after.pdf).startswith(bytes(before.pdf))
        assert after.previous_sha256 == before.sha256
        assert hashlib.sha256(bytes(after.pdf)).hexdigest() == after.sha256
    seal = Signature.objects.get(mou=mou, party="business")
    assert seal.method == SignatureMethod.REGISTRY_SEAL
    assert seal.signer_name == "Nguyễn Thị Hoa"
    assert seal.revision == chain[1]
    assert PdfRevision.chain_problems(mou) == []

    # The evidence: time, address, browser, code sent and confirmed, never the code.
    sealed = AuditEvent.objects.get(mou=mou, action="mou.business_sealed")
    assert sealed.details["ip"] == "127.0.0.1"
    assert sealed.details["user_agent"] == "Test browser 1.0"
    assert sealed.details["sha256"] == chain[1].sha256
    assert "not the company's digital signature" in sealed.note
    actions = list(AuditEvent.objects.filter(mou=mou).values_list("action", flat=True))
    for action in [
        "mou.invitation_sent",
        "mou.invitation_opened",
        "mou.signing_code_sent",
        "mou.signing_code_confirmed",
        "mou.business_sealed",
        "mou.archive_timestamped",
        "mou.signed",
    ]:
        assert action in actions
    assert not any(code in str(event.details) for event in AuditEvent.objects.filter(mou=mou))
    signed_event = AuditEvent.objects.get(mou=mou, action="mou.signed")
    assert signed_event.actor is None
    assert signed_event.details["final_pdf_sha256"] == chain[-1].sha256

    # The final PDF verifies, with the seal said plainly.
    verdict = SigningSetup.from_settings().verify(bytes(chain[-1].pdf))
    assert verdict.ok, verdict.as_dict()
    assert [s.registry_seal for s in verdict.signatures if s.kind == "signature"] == [False, True]
    assert verdict.signatures[1].pades_level == "B-LTA"

    # 5. Both parties download the final PDF; the link is spent.
    final = signer_get(business, invitation.token, "invitation_final")
    assert final.status_code == 200 and final.content == bytes(chain[-1].pdf)
    assert staff.get(reverse("mou_final_pdf", args=[mou.pk])).content == bytes(chain[-1].pdf)
    owner = client_as(world.business)
    assert owner.get(reverse("mou_final_pdf", args=[mou.pk])).content == bytes(chain[-1].pdf)
    page = page_text(signer_get(business, invitation.token))
    assert "Signed by both parties" in page
    assert mou.invitations.get().outcome == InvitationOutcome.SIGNED_WITH_SEAL
    again = confirm_code(business, invitation.token, code, expected_revision=3, from_the_page=False)
    assert again.status_code == 409
    assert "Nothing was signed twice." in page_text(again)
