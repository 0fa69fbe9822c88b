"""The template library page: uploading a new version of a template, what is refused and
how the page says why, who may upload, and that old versions are kept and still used by
the documents made with them.

Pages are requested in English."""

import html
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from docx import Document

from partnerships.documents import rendering
from partnerships.documents.template_library import upload_template_version
from partnerships.models import (
    AuditEvent,
    DocumentTemplate,
    MouDocument,
    TemplateVersion,
)
from tests.factories import (
    a_docx_with_a_damaged_part,
    a_legacy_doc,
    a_png,
    a_truncated_docx,
    a_zip_that_is_not_a_docx,
    an_encrypted_docx,
    built_in_template,
    pdf_layout_text,
    requires_libreoffice,
    template_with_paragraph,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NEW_ARTICLE = "Điều 7. Đầu mối liên hệ của Bên B: {{ partner_signatory.name }}."


@pytest.fixture
def bgn_vi(db):
    return DocumentTemplate.objects.get(key="bgn_vi")


def upload(browser, template, data: bytes, *, note="Thêm Điều 7", from_the_page=True, **options):
    """Choose the template and the file on the templates page and press upload;
    `from_the_page=False`: post the same by hand, where the page shows no upload form."""
    post = browser.submit if from_the_page else browser.post_by_hand
    return post(
        reverse("template_list"),
        {
            "template": template.pk,
            "file": SimpleUploadedFile("ban-ghi-nho.docx", data, content_type=DOCX),
            "note": note,
        },
        **options,
    )


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def grant_upload(user):
    user.user_permissions.add(Permission.objects.get(codename="add_templateversion"))


# --- A good upload ------------------------------------------------------------------------


def test_an_administrator_uploads_a_new_version(client_as, world, bgn_vi):
    data = template_with_paragraph(NEW_ARTICLE)

    response = upload(client_as(world.admin), bgn_vi, data)

    assert response.status_code == 302
    assert response["Location"] == reverse("template_list")
    version = bgn_vi.latest_version()
    assert version.number == 2
    assert bytes(version.docx) == data
    assert version.uploaded_by == world.admin
    assert version.note == "Thêm Điều 7"
    assert "partner_signatory" in version.variables
    event = AuditEvent.objects.get(action="template.version_uploaded")
    assert event.actor == world.admin
    assert event.details == {"template": "bgn_vi", "version": 2, "sha256": version.sha256}


def test_the_upload_form_says_to_keep_the_two_signature_anchors(client_as, world, bgn_vi):
    response = client_as(world.admin).get(reverse("template_list"))

    page = page_text(response)
    assert "<code>{{ sign_here_authority }}</code>" in page
    assert "<code>{{ sign_here_business }}</code>" in page


def test_the_list_shows_the_new_version_in_use_and_keeps_the_old_one(client_as, world, bgn_vi):
    browser = client_as(world.admin)

    response = upload(browser, bgn_vi, template_with_paragraph(NEW_ARTICLE), follow=True)

    page = page_text(response)
    assert f"Version 2 of “{bgn_vi.name}” is now in use." in page
    first, second = bgn_vi.versions.order_by("number")
    assert reverse("template_download", args=[first.pk]) in page
    assert reverse("template_download", args=[second.pk]) in page
    assert "Thêm Điều 7" in page


def test_the_old_version_can_still_be_downloaded_unchanged(client_as, world, bgn_vi):
    upload(client_as(world.admin), bgn_vi, template_with_paragraph(NEW_ARTICLE))
    first = bgn_vi.versions.get(number=1)

    response = client_as(world.staff).get(reverse("template_download", args=[first.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == DOCX
    assert response.content == built_in_template("bgn_vi")
    assert response["Content-Disposition"] == 'attachment; filename="bgn_vi-v1.docx"'


@requires_libreoffice
def test_the_next_rendering_uses_the_new_version_and_earlier_documents_keep_theirs(
    client_as, world, bgn_vi
):
    earlier = world.mou.ready_document()
    upload(client_as(world.admin), bgn_vi, template_with_paragraph(NEW_ARTICLE))

    document = rendering.render_now(world.mou, actor=world.staff)

    assert document.template_version == bgn_vi.versions.get(number=2)
    pdf = bytes(MouDocument.objects.get(pk=document.pk).pdf)
    assert "Điều 7. Đầu mối liên hệ của Bên B: Nguyễn Thị Hoa." in pdf_layout_text(pdf)
    assert MouDocument.objects.get(pk=earlier.pk).template_version.number == 1


def test_staff_given_the_permission_upload_too(client_as, world, bgn_vi):
    grant_upload(world.staff)
    browser = client_as(world.staff)
    assert "Upload a new version" in page_text(browser.get(reverse("template_list")))

    response = upload(browser, bgn_vi, template_with_paragraph(NEW_ARTICLE))

    assert response.status_code == 302
    assert bgn_vi.latest_version().uploaded_by == world.staff


def test_versions_are_numbered_per_template(client_as, world, bgn_vi):
    mou_en = DocumentTemplate.objects.get(key="mou_en")
    browser = client_as(world.admin)

    upload(browser, bgn_vi, template_with_paragraph(NEW_ARTICLE))
    upload(browser, bgn_vi, template_with_paragraph(NEW_ARTICLE + " (2)"))
    upload(browser, mou_en, template_with_paragraph("Contact: {{ partner.name }}", "mou_en"))

    assert list(bgn_vi.versions.values_list("number", flat=True)) == [3, 2, 1]
    assert list(mou_en.versions.values_list("number", flat=True)) == [2, 1]


# --- Bad uploads: refused with the reason on the page --------------------------------------


def a_template_without_the_business_signature_block() -> bytes:
    """Both signatories named, but only the authority's signature anchor: the business's
    field would have nowhere to go."""
    document = Document()
    document.add_paragraph("{{ authority_signatory.position }}")
    document.add_paragraph("{{ sign_here_authority }}")
    document.add_paragraph("{{ authority_signatory.name }}")
    document.add_paragraph("{{ partner_signatory.position }}")
    document.add_paragraph("{{ partner_signatory.name }}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


BAD_UPLOADS = [
    pytest.param(a_png, "The file is not a Word document (.docx).", id="PNG image"),
    pytest.param(
        lambda: "Bản ghi nhớ".encode(), "The file is not a Word document (.docx).", id="text"
    ),
    pytest.param(
        an_encrypted_docx,
        "The file is password-protected: remove the password in Word, then upload it.",
        id="encrypted",
    ),
    pytest.param(
        a_legacy_doc,
        "This is an old Word (.doc) file: save it as .docx in Word, then upload it.",
        id="legacy .doc",
    ),
    pytest.param(
        a_truncated_docx, "The Word document is damaged and cannot be read.", id="truncated"
    ),
    pytest.param(
        a_docx_with_a_damaged_part,
        "The Word document is damaged and cannot be read.",
        id="damaged part",
    ),
    pytest.param(
        a_zip_that_is_not_a_docx, "The file is not a Word document (.docx).", id="other zip"
    ),
    pytest.param(
        lambda: b"PK" + bytes(5 * 1024 * 1024 + 1),
        "The file is larger than 5 MB.",
        id="too large",
    ),
    pytest.param(
        lambda: template_with_paragraph("Fax: {{ unknown_variable }}"),
        "The template uses variables the registry does not provide: unknown_variable.",
        id="unknown variable",
    ),
    pytest.param(
        lambda: template_with_paragraph("Fax: {{ partner.fax_number }}"),
        "fax_number",
        id="unknown field of a provided variable",
    ),
    pytest.param(
        lambda: template_with_paragraph("{% for x in pledges %}{{ x.occupation }}"),
        "'endfor'",
        id="for without endfor",
    ),
    pytest.param(
        lambda: template_with_paragraph("Bên B: {{ partner.name "),
        "The template has a syntax error in the tag “{{ partner.name”",
        id="unclosed tag",
    ),
    pytest.param(
        a_template_without_the_business_signature_block,
        "The template has no signature block for: {{ sign_here_business }}.",
        id="no business signature block",
    ),
]


@pytest.mark.parametrize(("make", "message"), BAD_UPLOADS)
def test_a_bad_upload_is_refused_with_its_reason_on_the_page(
    client_as, world, bgn_vi, make, message
):
    response = upload(client_as(world.admin), bgn_vi, make())

    assert response.status_code == 200
    page = page_text(response)
    assert message in page
    assert 'type="file"' in page  # the form is shown again, to choose another file
    assert bgn_vi.versions.count() == 1
    assert not AuditEvent.objects.filter(action="template.version_uploaded").exists()


def test_an_upload_without_a_file_is_refused(client_as, world, bgn_vi):
    response = client_as(world.admin).submit(reverse("template_list"), {"template": bgn_vi.pk})

    assert response.status_code == 200
    assert "This field is required." in page_text(response)
    assert bgn_vi.versions.count() == 1


# --- Who may upload -----------------------------------------------------------------------


@pytest.mark.parametrize("user", ["staff", "official", "business"])
def test_users_without_the_permission_see_no_form_and_cannot_upload(client_as, world, bgn_vi, user):
    browser = client_as(getattr(world, user))

    listing = browser.get(reverse("template_list"))
    response = upload(browser, bgn_vi, template_with_paragraph(NEW_ARTICLE), from_the_page=False)

    assert listing.status_code == 200
    assert "Upload a new version" not in page_text(listing)
    assert 'type="file"' not in page_text(listing)
    assert response.status_code == 403
    assert bgn_vi.versions.count() == 1


def test_the_upload_service_itself_refuses_a_user_without_the_permission(world, bgn_vi):
    with pytest.raises(PermissionDenied):
        upload_template_version(
            template=bgn_vi, docx=template_with_paragraph(NEW_ARTICLE), actor=world.staff
        )
    assert bgn_vi.versions.count() == 1


def test_outsiders_without_a_role_get_403_even_with_the_permission(client_as, world, bgn_vi):
    grant_upload(world.no_role)
    browser = client_as(world.no_role)

    assert browser.get(reverse("template_list")).status_code == 403
    response = upload(browser, bgn_vi, template_with_paragraph(NEW_ARTICLE), from_the_page=False)
    assert response.status_code == 403
    version = bgn_vi.latest_version()
    assert browser.get(reverse("template_download", args=[version.pk])).status_code == 403
    assert TemplateVersion.objects.filter(template=bgn_vi).count() == 1


def test_anonymous_visitors_are_sent_to_log_in(client_as, world, bgn_vi):
    response = upload(
        client_as(None), bgn_vi, template_with_paragraph(NEW_ARTICLE), from_the_page=False
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert bgn_vi.versions.count() == 1
