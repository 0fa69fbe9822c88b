"""A template is a file users upload, so it must not run code on the server or take a worker's
memory: escapes from Jinja's sandbox are refused at upload with their reason, never render a
secret even when they slip past the upload check, and zip bombs are refused by their declared
sizes before anything is unpacked.

Pages are requested in English."""

import html
import io
import zipfile

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from docx import Document

from partnerships.documents.engine.fill import TemplateError, fill_template
from partnerships.documents.template_library import _SAMPLE_CONTEXT
from partnerships.models import AuditEvent, DocumentTemplate
from tests.factories import built_in_template, template_with_paragraph

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
INTERNALS = "The template reaches into the server's internals"
FORBIDDEN = "The template tried something templates may not do."
TOO_LARGE = "The file is too large once unpacked."
SECRETS = [settings.SECRET_KEY, settings.PERSON_ID_HMAC_KEY, *settings.PERSON_NAME_KEYS]


@pytest.fixture
def bgn_vi(db):
    return DocumentTemplate.objects.get(key="bgn_vi")


def upload(client_as, world, template, data: bytes) -> str:
    response = client_as(world.admin).submit(
        reverse("template_list"),
        {
            "template": template.pk,
            "file": SimpleUploadedFile("mau.docx", data, content_type=DOCX),
            "note": "",
        },
    )
    assert response.status_code == 200  # the form again, not a redirect to the new version
    return html.unescape(response.content.decode())


def assert_refused(page: str, template, reason: str) -> None:
    assert reason in page
    assert template.versions.count() == 1
    assert not AuditEvent.objects.filter(action="template.version_uploaded").exists()
    for secret in SECRETS:
        assert secret not in page


# --- Escapes from the sandbox -------------------------------------------------------------


def test_the_reported_escape_through_lipsum_is_refused_at_upload(client_as, world, bgn_vi):
    tag = "{{ lipsum.__globals__['os'].environ['SECRET_KEY'] }}"

    page = upload(client_as, world, bgn_vi, template_with_paragraph(tag))

    assert_refused(page, bgn_vi, INTERNALS)
    assert "“__globals__”" in page


ESCAPES = [
    pytest.param("{{ cycler.__init__.__globals__ }}", id="cycler globals"),
    pytest.param("{{ ''.__class__.__mro__[1].__subclasses__() }}", id="class mro"),
    pytest.param("{{ partner['__class__'] }}", id="item lookup"),
    pytest.param("{{ partner|attr('__class__') }}", id="attr filter"),
    pytest.param("{{ partner.name.format_map }}", id="format_map"),
    pytest.param(
        "{% if pledged_total < 0 %}{{ partner.__init__.__globals__ }}{% endif %}",
        id="in a branch the sample does not take",
    ),
]


@pytest.mark.parametrize("tag", ESCAPES)
def test_other_escapes_are_refused_at_upload(client_as, world, bgn_vi, tag):
    page = upload(client_as, world, bgn_vi, template_with_paragraph(tag))

    assert_refused(page, bgn_vi, INTERNALS)


def test_an_escape_in_the_document_properties_is_refused_too(client_as, world, bgn_vi):
    # docxtpl renders the title, subject … of the document as templates as well.
    document = Document(io.BytesIO(built_in_template()))
    document.core_properties.title = "{{ ''.__class__.__base__.__subclasses__() }}"
    buffer = io.BytesIO()
    document.save(buffer)

    page = upload(client_as, world, bgn_vi, buffer.getvalue())

    assert_refused(page, bgn_vi, INTERNALS)


@pytest.mark.parametrize(
    ("tag", "reason"),
    [
        pytest.param("{{ partner|attr('__in' ~ 'it__') }}", FORBIDDEN, id="name built at runtime"),
        pytest.param("{{ pledges.append(1) }}", FORBIDDEN, id="a call that changes a value"),
        pytest.param("{{ 'x' * 1000000000 }}", FORBIDDEN, id="a huge value"),
        pytest.param(
            "{{ settings.SECRET_KEY }}",
            "The template uses a value the registry does not provide",
            id="a settings variable that is not there",
        ),
    ],
)
def test_what_slips_past_the_text_check_is_refused_when_filled(tag, reason):
    with translation.override("en"), pytest.raises(TemplateError) as refused:
        fill_template(template_with_paragraph(tag), _SAMPLE_CONTEXT)

    with translation.override("en"):
        message = str(refused.value.message)
    assert message.startswith(reason)
    for secret in SECRETS:
        assert secret not in message


def test_a_runtime_escape_is_refused_at_upload_with_its_reason(client_as, world, bgn_vi):
    page = upload(
        client_as, world, bgn_vi, template_with_paragraph("{{ partner|attr('__cla' ~ 'ss__') }}")
    )

    assert_refused(page, bgn_vi, FORBIDDEN)


def test_the_refusal_is_translated(client_as, world, bgn_vi):
    tag = "{{ cycler.__init__.__globals__ }}"
    response = client_as(world.admin, language="vi").submit(
        reverse("template_list"),
        {
            "template": bgn_vi.pk,
            "file": SimpleUploadedFile("mau.docx", template_with_paragraph(tag)),
            "note": "",
        },
    )
    with translation.override("vi"):
        expected = str(
            translation.gettext(
                "The template reaches into the server's internals (“%(name)s”), which "
                "templates may not do. Use only the registry's variables, such as "
                "{{ partner.name }}."
            )
        )
    assert expected != INTERNALS
    assert expected % {"name": "__globals__"} in html.unescape(response.content.decode())


def test_good_templates_still_fill_in_the_sandbox():
    template = template_with_paragraph("Bên B: {{ partner.name|upper }}")

    docx = fill_template(template, _SAMPLE_CONTEXT)

    text = "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)
    assert "Bên B: CÔNG TY" in text


# --- Zip bombs ----------------------------------------------------------------------------


def with_extra_member(name: str, size: int, *, filler: bytes = b"\0" * 65536) -> bytes:
    """The built-in template with one more member of `size` bytes, written in chunks so the
    test never holds the unpacked size in memory."""
    buffer = io.BytesIO(built_in_template())
    with (
        zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open(name, "w", force_zip64=True) as member,
    ):
        written = 0
        while written < size:
            chunk = filler[: size - written]
            member.write(chunk)
            written += len(chunk)
    return buffer.getvalue()


def test_the_reported_template_unpacking_to_55_mb_is_refused(client_as, world, bgn_vi):
    data = with_extra_member("word/media/padding.bin", 55 * 1024 * 1024)
    assert len(data) < 200 * 1024

    page = upload(client_as, world, bgn_vi, data)

    assert_refused(page, bgn_vi, TOO_LARGE)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda: with_extra_member("word/footer9.xml", 6 << 20, filler=bytes(range(256))),
            id="one XML part too large to parse",
        ),
        pytest.param(
            lambda: with_extra_member("word/media/a.bin", 3 * 1024 * 1024), id="ratio over 100"
        ),
    ],
)
def test_other_bomb_shapes_are_refused(client_as, world, bgn_vi, make):
    page = upload(client_as, world, bgn_vi, make())

    assert_refused(page, bgn_vi, TOO_LARGE)


def test_a_template_of_many_parts_is_refused(client_as, world, bgn_vi):
    buffer = io.BytesIO(built_in_template())
    with zipfile.ZipFile(buffer, "a") as archive:
        for number in range(600):
            archive.writestr(f"customXml/item{number + 10}.xml", "<a/>")

    page = upload(client_as, world, bgn_vi, buffer.getvalue())

    assert_refused(page, bgn_vi, "The file contains too many parts to be read safely.")


# --- What the sandbox allows, bounded: filling runs under a memory, CPU and time budget ------

TOO_DEMANDING = "Filling the template needs more memory or time than a document may take."


def test_a_template_asking_for_gigabytes_is_stopped(client_as, world, bgn_vi):
    page = upload(
        client_as, world, bgn_vi, template_with_paragraph("{{ partner.name|center(2000000000) }}")
    )

    assert_refused(page, bgn_vi, TOO_DEMANDING)


def test_a_template_looping_for_hours_is_stopped(monkeypatch):
    from partnerships.core.isolation import Budget
    from partnerships.documents.engine import fill

    monkeypatch.setattr(fill, "FILL_BUDGET", Budget(memory_mb=512, cpu_seconds=2, wall_seconds=4))
    loops = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"

    with translation.override("en"), pytest.raises(TemplateError) as refused:
        fill_template(template_with_paragraph(loops), _SAMPLE_CONTEXT)

    with translation.override("en"):
        assert str(refused.value.message).startswith(TOO_DEMANDING)
