"""The documents of an MoU on its page: preparing them, downloading the Word file and the PDF
of a draft, and the frozen PDF once it is sent; who may do which.

Pages are requested in English. Most tests use the finished document every test MoU gets
(tests.factories.make_mou); preparing one renders it for real with LibreOffice."""

import hashlib

import pytest
from django.urls import reverse

from partnerships.documents import rendering
from partnerships.models import MouDocument, MouState, RenderStatus
from tests.factories import bring_to, make_mou, pdf_layout_text, requires_libreoffice

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def download_url(mou, document, extension):
    return reverse("document_download", args=[mou.pk, document.pk, extension])


def detail(browser, mou):
    response = browser.get(reverse("mou_detail", args=[mou.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- Preparing ------------------------------------------------------------------------------


@requires_libreoffice
def test_staff_prepare_the_documents_of_a_draft(
    client_as, world, django_capture_on_commit_callbacks
):
    mou = world.mou
    mou.documents.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(world.staff).submit(
            mou.get_absolute_url(), action=reverse("document_prepare", args=[mou.pk])
        )

    assert response.status_code == 302
    assert response["Location"] == reverse("mou_detail", args=[mou.pk])
    document = rendering.current_document(mou)
    assert document.status == RenderStatus.READY, document.error_text
    assert document.requested_by == world.staff
    pdf = bytes(MouDocument.objects.get(pk=document.pk).pdf)
    assert f"Số: {mou.document_number}" in pdf_layout_text(pdf)
    page = detail(client_as(world.staff), mou)
    assert "Ready" in page
    assert download_url(mou, document, "pdf") in page
    assert download_url(mou, document, "docx") in page


def test_preparing_queues_the_work_and_the_page_shows_it_is_waiting(
    client_as, world, django_capture_on_commit_callbacks
):
    browser = client_as(world.staff)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = browser.submit(
            world.mou.get_absolute_url(),
            action=reverse("document_prepare", args=[world.mou.pk]),
            follow=True,
        )

    assert len(queued) == 1  # the rendering task, handed over once the request commits
    page = response.content.decode()
    assert "The documents are being prepared." in page
    assert "Waiting to be prepared" in page
    # The page's script asks for the status; without scripts the page refreshes itself.
    status_url = reverse("document_status", args=[world.mou.pk])
    assert f'data-document-status-url="{status_url}"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page


def status_of(browser, mou):
    response = browser.get(reverse("document_status", args=[mou.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]  # never an old answer from a cache
    return response.json()["status"]


def test_the_status_the_page_waits_for_changes_when_the_documents_are_ready(
    client_as, world, django_capture_on_commit_callbacks
):
    browser = client_as(world.staff)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        browser.submit(
            world.mou.get_absolute_url(), action=reverse("document_prepare", args=[world.mou.pk])
        )
    assert status_of(browser, world.mou) == RenderStatus.QUEUED

    document = rendering.current_document(world.mou)
    MouDocument.objects.filter(pk=document.pk).update(status=RenderStatus.FAILED)

    assert status_of(browser, world.mou) == RenderStatus.FAILED
    page = detail(browser, world.mou)
    assert "data-document-status-url" not in page  # nothing left to wait for
    assert "http-equiv" not in page
    assert len(queued) == 1


def test_whoever_sees_the_mou_page_may_ask_the_status(client_as, world):
    assert status_of(client_as(world.official), world.mou) == RenderStatus.READY


# A draft is not yet the partner's to see: its page and its status are not found for them.
@pytest.mark.parametrize("user", ["other_staff", "other_business", "business"])
def test_those_who_cannot_see_the_mou_do_not_learn_its_status(client_as, world, user):
    browser = client_as(getattr(world, user))

    assert browser.get(world.mou.get_absolute_url()).status_code == 404
    assert browser.get(reverse("document_status", args=[world.mou.pk])).status_code == 404


def test_the_status_is_not_for_anonymous_visitors(client_as, world):
    response = client_as(None).get(reverse("document_status", args=[world.mou.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_failed_rendering_shows_its_reason_and_offers_to_try_again(client_as, world):
    MouDocument.objects.create(
        mou=world.mou,
        mou_revision=world.mou.revision,
        template_version=world.mou.template.latest_version(),
        status=RenderStatus.FAILED,
        error_message="Converting the document to PDF took too long and was stopped.",
    )

    page = detail(client_as(world.staff), world.mou)

    assert "Failed" in page
    assert "Converting the document to PDF took too long and was stopped." in page
    assert "Try again" in page


def test_a_sent_mous_documents_cannot_be_prepared_again(client_as, world):
    mou = bring_to(world.mou, MouState.SENT)
    before = mou.documents.count()

    # The button of a page loaded before the MoU was sent.
    url = reverse("document_prepare", args=[mou.pk])
    response = client_as(world.staff).post_by_hand(url, follow=True)

    assert "Only a draft&#x27;s documents can be prepared again." in response.content.decode()
    assert mou.documents.count() == before


@pytest.mark.parametrize("user", ["official", "other_staff", "business"])
def test_only_staff_of_the_authority_may_prepare_documents(client_as, world, user):
    before = world.mou.documents.count()

    response = client_as(getattr(world, user)).post_by_hand(
        reverse("document_prepare", args=[world.mou.pk])
    )

    # The official sees the MoU but may not change it; the others do not see it at all.
    assert response.status_code == (403 if user == "official" else 404)
    assert world.mou.documents.count() == before


def test_preparing_needs_a_post(client_as, world):
    response = client_as(world.staff).get(reverse("document_prepare", args=[world.mou.pk]))

    assert response.status_code == 405


# --- Downloading a draft's documents --------------------------------------------------------


def test_staff_download_the_pdf_of_a_draft(client_as, world):
    document = world.mou.ready_document()

    response = client_as(world.staff).get(download_url(world.mou, document, "pdf"))

    assert response.status_code == 200
    assert response["Content-Type"] == PDF
    assert response.content.startswith(b"%PDF")
    assert response.content == bytes(MouDocument.objects.get(pk=document.pk).pdf)
    assert response["Content-Disposition"] == 'attachment; filename="1-BGN-UBND-2026-r1.pdf"'
    assert response["Cache-Control"] == "private, no-store"


def test_staff_download_the_word_file_of_a_draft(client_as, world):
    document = world.mou.ready_document()

    response = client_as(world.staff).get(download_url(world.mou, document, "docx"))

    assert response.status_code == 200
    assert response["Content-Type"] == DOCX
    assert response.content.startswith(b"PK")
    assert response["Content-Disposition"] == 'attachment; filename="1-BGN-UBND-2026-r1.docx"'


def test_the_pdf_preview_opens_in_the_browser(client_as, world):
    url = download_url(world.mou, world.mou.ready_document(), "pdf") + "?inline=1"

    response = client_as(world.staff).get(url)

    assert response["Content-Disposition"].startswith("inline;")


def test_a_file_type_other_than_pdf_or_word_is_not_found(client_as, world):
    response = client_as(world.staff).get(
        download_url(world.mou, world.mou.ready_document(), "exe")
    )

    assert response.status_code == 404


def test_a_rendering_that_is_not_finished_cannot_be_downloaded(client_as, world):
    queued = MouDocument.objects.create(
        mou=world.mou, mou_revision=1, template_version=world.mou.template.latest_version()
    )

    response = client_as(world.staff).get(download_url(world.mou, queued, "pdf"))

    assert response.status_code == 404


def test_a_document_of_another_mou_cannot_be_reached_through_this_one(client_as, world):
    other = make_mou(world.ben_luc, world.garment)

    response = client_as(world.staff).get(download_url(world.mou, other.ready_document(), "pdf"))

    assert response.status_code == 404


@pytest.mark.parametrize("extension", ["pdf", "docx"])
@pytest.mark.parametrize("user", ["business", "other_business", "other_staff", "official"])
def test_nobody_but_the_authoritys_staff_downloads_draft_previews(
    client_as, world, user, extension
):
    response = client_as(getattr(world, user)).get(
        download_url(world.mou, world.mou.ready_document(), extension)
    )

    assert response.status_code == 404


def test_outsiders_without_a_role_are_refused(client_as, world):
    response = client_as(world.no_role).get(
        download_url(world.mou, world.mou.ready_document(), "pdf")
    )

    assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client_as, world):
    response = client_as(None).get(download_url(world.mou, world.mou.ready_document(), "pdf"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- Once sent: the frozen PDF -----------------------------------------------------------


def test_the_partners_representative_downloads_the_frozen_pdf_once_sent(client_as, world):
    mou = bring_to(world.mou, MouState.SENT)
    browser = client_as(world.business)

    response = browser.get(reverse("signable_pdf", args=[mou.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == PDF
    assert hashlib.sha256(response.content).hexdigest() == mou.signable_pdf_sha256
    assert response["Content-Disposition"] == 'attachment; filename="1-BGN-UBND-2026.pdf"'
    # The same document through its own address, since it is the one sent.
    frozen = MouDocument.objects.get(pk=mou.signable_document_id)
    assert browser.get(download_url(mou, frozen, "pdf")).content == response.content


def test_the_partners_representative_still_cannot_see_other_renderings(client_as, world):
    mou = bring_to(world.mou, MouState.SENT)
    frozen = MouDocument.objects.get(pk=mou.signable_document_id)
    # Another finished rendering of the same MoU, which was not the one sent.
    preview = MouDocument.objects.create(
        mou=mou,
        mou_revision=mou.revision,
        template_version=frozen.template_version,
        status=RenderStatus.READY,
        docx=b"PK",
        pdf=b"%PDF-1.7 another preview",
        pdf_sha256="0" * 64,
    )

    response = client_as(world.business).get(download_url(mou, preview, "pdf"))

    assert response.status_code == 404


@pytest.mark.parametrize("user", ["other_business", "other_staff", "no_role"])
def test_other_partners_and_authorities_do_not_get_the_frozen_pdf(client_as, world, user):
    mou = bring_to(world.mou, MouState.SENT)

    response = client_as(getattr(world, user)).get(reverse("signable_pdf", args=[mou.pk]))

    assert response.status_code == (403 if user == "no_role" else 404)


def test_a_draft_has_no_frozen_pdf(client_as, world):
    response = client_as(world.staff).get(reverse("signable_pdf", args=[world.mou.pk]))

    assert response.status_code == 404


def test_the_page_shows_the_sha256_of_the_pdf_sent(client_as, world):
    mou = bring_to(world.mou, MouState.SENT)

    for user in (world.staff, world.business):
        page = detail(client_as(user), mou)
        assert mou.signable_pdf_sha256 in page
        assert reverse("signable_pdf", args=[mou.pk]) in page
        assert "PDF sent for signature" in page
    # Nothing left to prepare once sent.
    assert reverse("document_prepare", args=[mou.pk]) not in detail(client_as(world.staff), mou)


def test_the_page_shows_the_status_of_the_current_draft_documents(client_as, world):
    page = detail(client_as(world.staff), world.mou)

    assert "Version 1 of this draft, from template bgn_vi v1:" in page
    assert "Ready" in page
    assert "Download PDF" in page
    assert "Prepare again" in page


def test_a_rendering_error_is_shown_in_the_readers_language_not_the_workers(client_as, world):
    MouDocument.objects.create(
        mou=world.mou,
        mou_revision=world.mou.revision,
        template_version=world.mou.template.latest_version(),
        status=RenderStatus.FAILED,
        error_code="interrupted",
    )
    english = client_as(world.staff)
    english.cookies["django_language"] = "en"
    vietnamese = client_as(world.staff)
    vietnamese.cookies["django_language"] = "vi"

    assert "The preparation was interrupted" in detail(english, world.mou)
    page = detail(vietnamese, world.mou)
    assert "The preparation was interrupted" not in page
    assert "bị gián đoạn" in page
