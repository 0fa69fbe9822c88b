"""The parties are fixed on an MoU when it is sent: renaming the partner, changing its tax code
or renaming the authority afterwards changes nothing the registry shows of a sent or signed
MoU (its public page, the signer's page, the completion certificate, the MoU page) nor whose
certificate may sign it. Taken back to draft, it reads the live records again."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from partnerships.models import AuditEvent, Authority, MouDocument, MouState, Partner
from partnerships.mous import lifecycle
from partnerships.mous.lifecycle import MouError
from partnerships.signing.pdf import pades
from tests.factories import bring_to, make_mou
from tests.factories.documents import pdf_layout_text, requires_libreoffice
from tests.factories.signing import anonymous, page_text, signer_get, upload
from tests.factories.world import add_verified_signatures

SENT_NAME = "Công ty May Bến Lức"
SENT_TAX_CODE = "0312345678"  # also the MST in the test PKI's business certificate


def rename_partner(partner, name, tax_code):
    Partner.objects.filter(pk=partner.pk).update(name=name, tax_code=tax_code)


def public_page(mou) -> str:
    return page_text(anonymous().get(reverse("public_mou", args=[mou.public_id])))


def certificate_text(browser, mou) -> str:
    response = browser.get(reverse("mou_certificate_pdf", args=[mou.pk]))
    assert response.status_code == 200
    return " ".join(pdf_layout_text(response.content).split())


def test_a_partner_renamed_after_sending_and_after_signing_changes_nothing_the_mou_shows(
    invited, signer_for, client_as, world
):
    mou, invitation, staff = invited
    # After sending (and the authority's signature), the partner is renamed and its tax code
    # changed in the registry.
    rename_partner(mou.partner, "Công ty Đổi Tên Lần Một", "0399999999")

    business = anonymous()
    signer_page = page_text(signer_get(business, invitation.token))
    assert SENT_NAME in signer_page and SENT_TAX_CODE in signer_page
    assert "Đổi Tên" not in signer_page and "0399999999" not in signer_page

    # The business signs with its certificate, which carries the MST the MoU was sent with:
    # accepted, although the partner's record now has another tax code.
    prepared = signer_get(business, invitation.token, "invitation_document").content
    response = upload(
        business, invitation.token, pades.sign_as_business(prepared, signer_for("business"))
    )
    assert response.status_code == 302, page_text(response)[:3000]
    mou.refresh_from_db()
    assert mou.state == MouState.SIGNED

    # After signing, the partner changes again.
    rename_partner(mou.partner, "Công ty Đổi Tên Lần Hai", "0388888888")

    public = public_page(mou)
    assert SENT_NAME in public and SENT_TAX_CODE in public
    for later in ("Đổi Tên", "0399999999", "0388888888"):
        assert later not in public

    certificate = certificate_text(client_as(world.staff), mou)
    assert SENT_NAME in certificate and f"MST {SENT_TAX_CODE}" in certificate
    assert "Đổi Tên" not in certificate and "0388888888" not in certificate

    # The MoU's page names the parties as sent, and says what the partner's record says now.
    detail = page_text(staff.get(mou.get_absolute_url()))
    assert f'data-testid="party-b"><a href="/partners/{mou.partner.pk}/">{SENT_NAME}' in detail
    assert f'data-testid="party-b-tax-code">{SENT_TAX_CODE}<' in detail
    assert "Its record today" in detail and "Công ty Đổi Tên Lần Hai" in detail


def test_the_upload_check_refuses_a_certificate_of_the_partners_new_tax_code(
    invited, signer_for, world
):
    """The other way round: a certificate matching only the record's new MST is refused,
    naming the MST the MoU was sent with."""
    mou, invitation, _staff = invited
    # The partner now has the MST of the test PKI's "other" certificate (freed first).
    Partner.objects.filter(pk=world.quarry.pk).update(tax_code="0700000099")
    rename_partner(mou.partner, "Công ty Khác", "0700000001")
    business = anonymous()
    prepared = signer_get(business, invitation.token, "invitation_document").content

    response = upload(
        business, invitation.token, pades.sign_as_business(prepared, signer_for("other"))
    )

    page = page_text(response)
    assert f"its tax code {SENT_TAX_CODE} is not in the certificate" in page
    mou.refresh_from_db()
    assert mou.state == MouState.SENT


def test_an_authority_renamed_after_sending_keeps_its_sent_name_and_document_number(world):
    mou = bring_to(make_mou(world.ben_luc, world.garment, number=60), MouState.SENT)
    number = mou.document_number
    Authority.objects.filter(pk=world.ben_luc.pk).update(name="UBND phường Mới", code="UBNDP")
    mou = type(mou).objects.get(pk=mou.pk)

    page = public_page(mou)
    assert "UBND xã Bến Lức" in page and "UBND phường Mới" not in page
    assert mou.document_number == number and number in page

    add_verified_signatures(mou)
    lifecycle.perform(mou, "sign", actor=None)
    assert "UBND xã Bến Lức" in public_page(mou)


def test_taken_back_to_draft_and_sent_again_it_takes_the_new_names(world, client_as):
    mou = bring_to(make_mou(world.ben_luc, world.garment, number=61), MouState.SENT)
    rename_partner(world.garment, "Công ty Dệt Tân An", "0311111111")
    Authority.objects.filter(pk=world.ben_luc.pk).update(name="UBND phường Bến Lức")
    mou = type(mou).objects.get(pk=mou.pk)
    assert mou.parties.partner_name == SENT_NAME

    lifecycle.perform(mou, "recall", actor=world.staff)
    # A draft reads the live records: the MoU's page shows the new names at once.
    assert not mou.parties.is_fixed
    detail = page_text(client_as(world.staff).get(mou.get_absolute_url()))
    assert 'data-testid="party-b-tax-code">0311111111<' in detail
    assert "UBND phường Bến Lức" in detail and "Its record today" not in detail

    lifecycle.perform(mou, "send", actor=world.staff)

    mou = type(mou).objects.get(pk=mou.pk)
    rename_partner(world.garment, "Công ty Sau Cùng", "0322222222")
    page = public_page(mou)
    assert "Công ty Dệt Tân An" in page and "0311111111" in page
    assert "UBND phường Bến Lức" in page
    assert SENT_NAME not in page and "Công ty Sau Cùng" not in page


def test_a_pdf_printed_with_the_old_names_cannot_be_sent_after_a_rename(world):
    mou = make_mou(world.ben_luc, world.garment, number=62)
    document = mou.ready_document()
    MouDocument.objects.filter(pk=document.pk).update(parties=mou.live_parties().as_dict())
    rename_partner(world.garment, "Công ty Dệt Tân An", "0311111111")
    mou = type(mou).objects.get(pk=mou.pk)

    with pytest.raises(MouError, match="changed since the PDF was prepared"):
        lifecycle.perform(mou, "send", actor=world.staff)
    assert mou.state == MouState.DRAFT


@requires_libreoffice
def test_a_rendering_records_the_parties_it_printed_and_sending_fixes_those(world):
    from partnerships.documents import rendering

    mou = world.mou
    mou.documents.all().delete()
    first = rendering.render_now(mou, actor=world.staff)
    assert first.parties["partner_name"] == SENT_NAME
    rename_partner(world.garment, "Công ty Dệt Tân An", "0311111111")
    mou = type(mou).objects.get(pk=mou.pk)
    assert "changed since the PDF was prepared" in " ".join(map(str, mou.send_blockers()))

    again = rendering.render_now(mou, actor=world.staff)
    lifecycle.perform(mou, "send", actor=world.staff)
    rename_partner(world.garment, "Công ty Sau Cùng", "0322222222")

    mou = type(mou).objects.get(pk=mou.pk)
    assert mou.signable_document_id == again.pk
    assert mou.parties.as_dict() == again.parties
    printed = " ".join(pdf_layout_text(bytes(again.pdf)).split())
    assert "BÊN B: CÔNG TY DỆT TÂN AN" in printed and "Mã số thuế: 0311111111" in printed
    assert (mou.parties.partner_name, mou.parties.partner_tax_code) == (
        "Công ty Dệt Tân An",
        "0311111111",
    )


def test_sending_fixes_the_parties_the_pdf_printed(world):
    mou = make_mou(world.ben_luc, world.garment, number=63)
    MouDocument.objects.filter(pk=mou.ready_document().pk).update(
        parties=mou.live_parties().as_dict()
    )

    lifecycle.perform(mou, "send", actor=world.staff)

    mou = type(mou).objects.get(pk=mou.pk)
    assert mou.parties.is_fixed
    assert mou.parties.as_dict() == MouDocument.objects.get(pk=mou.signable_document_id).parties
    # The audit trail records what was fixed.
    sent = AuditEvent.objects.get(mou=mou, action="mou.sent")
    assert sent.details["parties"]["partner_tax_code"] == SENT_TAX_CODE


def test_the_migration_fixes_the_parties_of_mous_sent_before_it(world):
    migration = importlib.import_module("partnerships.migrations.0017_fixed_mou_parties")
    sent = bring_to(make_mou(world.ben_luc, world.garment, number=64), MouState.SIGNED)
    draft = make_mou(world.ben_luc, world.garment, number=65)
    cancelled_draft = bring_to(
        make_mou(world.ben_luc, world.garment, number=66), MouState.CANCELLED
    )
    for mou in (sent, draft, cancelled_draft):
        mou.release_parties()  # as before the migration
        mou.save()

    migration.fix_parties_of_sent_mous(apps, None)
    rename_partner(world.garment, "Công ty Đổi Tên", "0399999999")

    sent, draft, cancelled_draft = (
        type(m).objects.get(pk=m.pk) for m in (sent, draft, cancelled_draft)
    )
    assert sent.parties.is_fixed
    assert (sent.parties.partner_name, sent.parties.partner_tax_code) == (SENT_NAME, SENT_TAX_CODE)
    assert sent.parties.signatory_name == sent.partner_signatory.full_name
    assert sent.parties.authority_code == world.ben_luc.code
    for unsent in (draft, cancelled_draft):
        assert not unsent.parties.is_fixed
        assert unsent.parties.partner_name == "Công ty Đổi Tên"


def test_the_mou_list_and_the_per_mou_report_name_the_parties_as_sent(world, client_as):
    import csv
    import io

    mou = bring_to(make_mou(world.ben_luc, world.garment, number=67), MouState.ACTIVE)
    draft = make_mou(world.ben_luc, world.quarry, number=68)
    rename_partner(world.garment, "Công ty Đổi Tên", "0399999999")
    Authority.objects.filter(pk=world.ben_luc.pk).update(name="UBND phường Mới")
    Partner.objects.filter(pk=world.quarry.pk).update(name="Công ty Đá Mới")
    admin = client_as(world.admin)

    def csv_text(url):
        response = admin.get(url)
        assert response.status_code == 200
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))

    listed = {row[0]: row for row in csv_text("/mous/?_export=csv")[1:]}
    sent_row = listed[mou.document_number]
    assert "UBND xã Bến Lức" in sent_row and SENT_NAME in sent_row and SENT_TAX_CODE in sent_row
    assert "Công ty Đổi Tên" not in sent_row and "0399999999" not in sent_row
    assert "Công ty Đá Mới" in listed[draft.document_number]  # a draft: the live record
    # In the tables; the filters' choices list the partners and authorities as they are now.
    # (world.mou, a draft of the same partner, shows its new name.)
    page = page_text(admin.get("/mous/"))
    assert f">{SENT_NAME}</td>" in page and ">Công ty Đổi Tên</td>" in page

    report = page_text(admin.get("/reports/mous/"))
    assert f">{SENT_NAME}</td>" in report and ">Công ty Đổi Tên</td>" not in report
    assert "UBND xã Bến Lức" in report
    (line,) = [row for row in csv_text("/reports/mous/?_export=csv")[1:-1]]
    assert line[:2] == [mou.document_number, "UBND xã Bến Lức"]
    assert line[4:6] == [SENT_NAME, SENT_TAX_CODE]
