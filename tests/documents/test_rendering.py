"""Rendering an MoU to its signable PDF with the real templates and the real LibreOffice,
freezing that PDF when the MoU is sent, and what happens when conversion fails.

The PDFs are read the way a reader sees them: the text with `pdftotext -layout`, the fonts
with `pdffonts`, word positions with `pdftotext -bbox`. Only the boundary of the system is
replaced in the failure tests: a fake `soffice` found through SOFFICE_PATH.
"""

import hashlib
import io
import re
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from partnerships.documents import rendering
from partnerships.documents.engine.fields import (
    AUTHORITY_FIELD,
    BUSINESS_FIELD,
    find_signature_fields,
)
from partnerships.documents.engine.formatting import vietnamese_date_in_full
from partnerships.models import (
    AuditEvent,
    Authority,
    AuthorityLevel,
    Contact,
    DocumentTemplate,
    Mou,
    MouDocument,
    MouState,
    Partner,
    Pledge,
    PledgeKind,
    RenderStatus,
    TargetGroup,
)
from partnerships.mous import lifecycle
from partnerships.mous.lifecycle import MouError
from tests.factories import (
    bring_to,
    fake_soffice,
    make_mou,
    mou_form_data,
    pdf_fonts,
    pdf_layout_text,
    pdf_words,
    requires_libreoffice,
    text_box,
    unused_port,
)

DOCUMENT_DATE = date(2026, 2, 5)
PARTNER_NAME = "Công ty TNHH May & Dệt <Bến Lức>"
TITLE = "Tiếp nhận lao động A&B <2026>"
AUTHORITY_SIGNATORY = "Võ Minh Tâm"
PARTNER_SIGNATORY = "Nguyễn Thị Hoa"
# The position as the form's hint writes it: too long for one line of the signature block.
AUTHORITY_POSITION = "TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH"
# (kind, quantity, target group codes, occupation, wage, workplace, due date); the training
# line was saved with a wage of 0, as the form allowed.
PLEDGES = [
    (PledgeKind.JOB, 10, ["completed_prison"], "Thợ may", 6_500_000, "Bến Lức", date(2026, 6, 30)),
    (
        PledgeKind.VOCATIONAL_TRAINING,
        5,
        ["community_sentence"],
        "Thợ hàn",
        0,
        "Trường nghề",
        date(2026, 9, 15),
    ),
    (
        PledgeKind.APPRENTICESHIP,
        3,
        ["completed_prison"],
        "Thợ điện",
        5_200_000,
        "Xưởng điện",
        date(2027, 1, 31),
    ),
]
NOT_READY = "Prepare the PDF of this version first, and wait until it is ready."

# Every test runs with the database (the PDF tests only read what the module's fixture
# rendered), so all of them run before the transactional test, which empties the tables.
pytestmark = pytest.mark.django_db


def make_detailed_mou() -> Mou:
    """MoU 7/BGN-UBND of Bến Lức with three pledge lines, every date set, and a partner whose
    name has characters that mean something in XML."""
    province = Authority.objects.create(
        name="UBND tỉnh Long An", level=AuthorityLevel.PROVINCE, code="UBND"
    )
    commune = Authority.objects.create(
        name="UBND xã Bến Lức",
        level=AuthorityLevel.COMMUNE,
        parent=province,
        code="UBND",
        place_name="Bến Lức",
        address="Khu phố 1, xã Bến Lức, tỉnh Long An",
    )
    partner = Partner.objects.create(
        name=PARTNER_NAME,
        tax_code="0312345678",
        address="KCN Thuận Đạo, Bến Lức",
        registered_by=commune,
    )
    signatory = Contact.objects.create(
        partner=partner,
        full_name=PARTNER_SIGNATORY,
        position="Giám đốc",
        is_legal_representative=True,
    )
    mou = Mou.objects.create(
        authority=commune,
        partner=partner,
        number=7,
        year=2026,
        title=TITLE,
        authority_signatory_name=AUTHORITY_SIGNATORY,
        authority_signatory_position=AUTHORITY_POSITION,
        partner_signatory=signatory,
        term_start=date(2026, 3, 1),
        term_end=date(2028, 2, 28),
        mid_review_date=date(2027, 3, 15),
        final_review_date=date(2028, 1, 30),
    )
    # Stored last line first: the document prints the lines' stored numbers, in their
    # order, whatever order the rows were added in.
    for line, values in reversed(list(enumerate(PLEDGES, 1))):
        kind, quantity, groups, occupation, wage, workplace, due_date = values
        pledge = Pledge.objects.create(
            mou=mou,
            line=line,
            kind=kind,
            quantity=quantity,
            occupation=occupation,
            min_monthly_wage=wage,
            workplace=workplace,
            due_date=due_date,
        )
        pledge.target_groups.set(TargetGroup.objects.filter(code__in=groups))
    return mou


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    text: str  # pdftotext -layout
    target_groups: dict[str, str]  # code -> name in the document's language

    @property
    def flat(self) -> str:
        """The text with every run of white space as one space: phrases that wrap at the
        end of a line are still found."""
        return " ".join(self.text.split())


@pytest.fixture(scope="module")
def rendered(django_db_setup, django_db_blocker):
    """The detailed MoU rendered once with each built-in template, dated 5 February 2026
    (the database rows are rolled back; the PDFs are kept for the tests)."""
    results = {}
    with django_db_blocker.unblock(), transaction.atomic():
        mou = make_detailed_mou()
        for key in ("bgn_vi", "mou_en"):
            version = DocumentTemplate.objects.get(key=key).latest_version()
            language = version.template.language
            _docx, pdf = rendering.produce_signable_pdf(
                mou, bytes(version.docx), language=language, document_date=DOCUMENT_DATE
            )
            with translation.override(language):
                groups = {group.code: str(group) for group in TargetGroup.objects.all()}
            results[key] = Rendered(pdf=pdf, text=pdf_layout_text(pdf), target_groups=groups)
        transaction.set_rollback(True)
    return results


def pledge_rows(text: str) -> list[list[str]]:
    """The pledge table's rows, each as its lines: a row starts with its number at the left
    edge; its wrapped cells continue on the following lines."""
    rows: list[list[str]] = []
    in_table = False
    for line in text.splitlines():
        if re.match(r"\s*(Tổng cộng|Total)\b", line):
            break
        if re.match(r"\s{0,6}\d{1,3}\s{2,}\S", line):
            in_table = True
            rows.append([line])
        elif in_table and line.strip():
            rows[-1].append(line)
    return rows


# --- What the Vietnamese PDF says --------------------------------------------------------


@requires_libreoffice
def test_the_pdf_has_the_national_header_number_place_and_date(rendered):
    text = rendered["bgn_vi"].text

    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "UBND TỈNH LONG AN" in text
    assert "UBND XÃ BẾN LỨC" in text
    assert "Số: 7/BGN-UBND" in text
    assert "Bến Lức, ngày 05 tháng 02 năm 2026" in text
    assert "BẢN GHI NHỚ" in text


@requires_libreoffice
def test_the_pdf_names_both_parties_with_tax_code_and_representatives(rendered):
    text = rendered["bgn_vi"].text

    assert "BÊN A: UBND XÃ BẾN LỨC" in text
    assert "Địa chỉ: Khu phố 1, xã Bến Lức, tỉnh Long An" in text
    assert f"Đại diện: {AUTHORITY_SIGNATORY} - Chức vụ: {AUTHORITY_POSITION}" in text
    assert "BÊN B: CÔNG TY TNHH MAY & DỆT <BẾN LỨC>" in text
    assert "Mã số thuế: 0312345678" in text
    assert f"Đại diện: {PARTNER_SIGNATORY} - Chức vụ: Giám đốc" in text


@requires_libreoffice
def test_ampersands_and_angle_brackets_in_names_survive_unchanged(rendered):
    text = rendered["bgn_vi"].text

    assert TITLE in text
    assert "MAY & DỆT <BẾN LỨC>" in text
    assert "&amp;" not in text
    assert "&lt;" not in text


@requires_libreoffice
def test_every_pledge_is_a_row_of_the_table_with_its_values(rendered):
    document = rendered["bgn_vi"]
    rows = pledge_rows(document.text)

    assert len(rows) == len(PLEDGES)
    kinds = {
        PledgeKind.JOB: "Việc làm",
        PledgeKind.VOCATIONAL_TRAINING: "Đào tạo nghề",
        PledgeKind.APPRENTICESHIP: "Học nghề, tập nghề",
    }
    # No wage applies to a training line: a dash, never "0".
    wages = {6_500_000: "6.500.000", 5_200_000: "5.200.000", 0: "—"}
    for number, (row, pledge) in enumerate(zip(rows, PLEDGES, strict=True), 1):
        kind, quantity, groups, occupation, wage, workplace, due_date = pledge
        # Number, quantity, wage and due date are on the row's first line, in that order.
        first_line = row[0].split()
        assert first_line[0] == str(number)
        due = f"{due_date:%d/%m/%Y}"
        assert first_line.index(str(quantity)) < first_line.index(wages[wage]), row
        assert first_line.index(wages[wage]) < first_line.index(due), row
        assert "0" not in first_line, row
        # Cells that wrap continue below: every word of each cell is in the row.
        words = " ".join(row).split()
        for cell in [kinds[kind], occupation, workplace, document.target_groups[groups[0]]]:
            assert all(word in words for word in cell.split()), (cell, row)
    assert re.search(r"Tổng cộng\s+18\b", document.text)


@requires_libreoffice
def test_a_wage_is_written_with_vietnamese_grouping(rendered):
    assert re.search(r"\s6\.500\.000\s", rendered["bgn_vi"].text)
    assert "6500000" not in rendered["bgn_vi"].text


@requires_libreoffice
def test_the_term_and_review_dates_are_written_in_full(rendered):
    flat = rendered["bgn_vi"].flat

    assert "từ ngày 01 tháng 3 năm 2026 đến ngày 28 tháng 02 năm 2028" in flat
    assert "sơ kết vào ngày 15 tháng 3 năm 2027" in flat
    assert "tổng kết vào ngày 30 tháng 01 năm 2028" in flat
    assert "Hôm nay, ngày 05 tháng 02 năm 2026, tại Bến Lức" in flat


@requires_libreoffice
@pytest.mark.parametrize("key", ["bgn_vi", "mou_en"])
def test_every_font_is_embedded_and_none_is_a_fallback(rendered, key):
    fonts = pdf_fonts(rendered[key].pdf)

    assert fonts
    assert [name for name, embedded in fonts if embedded != "yes"] == []
    # Times New Roman is replaced by its metric twin; anything else (DejaVu…) is a fallback.
    names = [name.split("+", 1)[-1] for name, _embedded in fonts]
    assert all(name.startswith("LiberationSerif") for name in names), names


@requires_libreoffice
@pytest.mark.parametrize("key", ["bgn_vi", "mou_en"])
def test_with_a_long_position_both_names_are_level_and_each_field_sits_over_its_block(
    rendered, key
):
    pdf = rendered[key].pdf
    pages = PdfReader(io.BytesIO(pdf)).pages
    last_page = len(pages) - 1
    # Between the two blocks: the middle of the text width (A4, margins 30 and 15 mm).
    middle = (30 + (210 - 30 - 15) / 2) * 72 / 25.4

    fields = find_signature_fields(pdf)

    assert set(fields) == {AUTHORITY_FIELD, BUSINESS_FIELD}
    authority_name = text_box(pdf, last_page, AUTHORITY_SIGNATORY)
    partner_name = text_box(pdf, last_page, PARTNER_SIGNATORY)
    # The long position wraps onto a second line; the names still share one baseline.
    position_start = text_box(pdf, last_page, "TM. ỦY BAN")
    position_end = text_box(pdf, last_page, "CHỦ TỊCH")
    assert position_end[1] < position_start[1], "the position wraps (else this proves nothing)"
    assert authority_name[1] == pytest.approx(partner_name[1], abs=0.5)
    for field, name_box, position_box, on_left in [
        (AUTHORITY_FIELD, authority_name, position_end, True),
        (BUSINESS_FIELD, partner_name, text_box(pdf, last_page, "GIÁM ĐỐC"), False),
    ]:
        page, (x1, y1, x2, y2) = fields[field]
        assert page == last_page
        assert (x2 <= middle) if on_left else (x1 >= middle)
        # In the blank space of the block: above the printed name and centred over it,
        # below the (last line of the) position.
        name_x1, _name_y1, name_x2, name_y2 = name_box
        assert x1 < (name_x1 + name_x2) / 2 < x2
        assert abs((x1 + x2) / 2 - (name_x1 + name_x2) / 2) < 15
        assert name_y2 <= y1 < name_y2 + 20
        assert y2 <= position_box[1]
        assert y2 - y1 >= 60


@requires_libreoffice
def test_a_pledge_table_across_pages_keeps_each_row_whole_and_repeats_its_header():
    mou = make_detailed_mou()
    for line in range(len(PLEDGES) + 1, 19):
        # Rows of different heights (the occupation wraps onto 2 to 6 lines), each with a
        # word at its top and one at its bottom to find it by.
        Pledge.objects.create(
            mou=mou,
            line=line,
            kind=PledgeKind.JOB,
            quantity=2,
            occupation=f"đầu{line} " + "công nhân may " * (line % 5 + 1) + f"cuối{line}",
            min_monthly_wage=6_000_000,
            workplace="Bến Lức",
            due_date=date(2026, 12, 31),
        )
    version = DocumentTemplate.objects.get(key="bgn_vi").latest_version()
    _docx, pdf = rendering.produce_signable_pdf(
        mou, bytes(version.docx), language="vi", document_date=DOCUMENT_DATE
    )

    pages = [
        [word for word, *_box in pdf_words(pdf, index)]
        for index in range(len(PdfReader(io.BytesIO(pdf)).pages))
    ]
    on_page = {word: index for index, words in enumerate(pages) for word in words}
    rows_on = {on_page[f"đầu{line}"] for line in range(4, 19)}
    assert len(rows_on) >= 2, "the table must cross a page for this test to mean anything"
    for line in range(4, 19):
        assert on_page[f"đầu{line}"] == on_page[f"cuối{line}"], f"row {line} is split"
    for index in rows_on:
        words = pages[index]
        assert "STT" in words and "Hạn" in words and "hoàn" in words, f"no header on {index + 1}"


# --- The English template ---------------------------------------------------------------


@requires_libreoffice
def test_the_english_template_renders_the_english_header_and_dates(rendered):
    document = rendered["mou_en"]

    assert "SOCIALIST REPUBLIC OF VIETNAM" in document.text
    assert "Independence - Freedom - Happiness" in document.text
    assert "No.: 7/BGN-UBND" in document.text
    assert "Bến Lức, 5 February 2026" in document.text
    assert "PARTY B: CÔNG TY TNHH MAY & DỆT <BẾN LỨC>" in document.text
    assert "Tax code: 0312345678" in document.text
    assert "from 1 March 2026 to 28 February 2028" in document.flat
    assert re.search(r"\s6,500,000\s", document.text)
    assert len(pledge_rows(document.text)) == len(PLEDGES)
    assert re.search(r"Due\s+date", document.text)
    assert re.search(r"\s—\s+Trường\s+15/09/2026", document.text), "training: no wage, a due date"


# --- Rendering an MoU and storing the result ------------------------------------------------


def without_documents(mou: Mou) -> Mou:
    mou.documents.all().delete()
    return mou


@requires_libreoffice
def test_rendering_stores_the_mous_own_word_file_and_signable_pdf(world):
    mou = without_documents(world.mou)

    document = rendering.render_now(mou, actor=world.staff)

    assert document.status == RenderStatus.READY, document.error_text
    stored = MouDocument.objects.get(pk=document.pk)
    assert stored.mou_revision == mou.revision
    assert stored.template_version == mou.template.latest_version()
    assert stored.requested_by == world.staff
    assert stored.finished_at is not None
    assert bytes(stored.docx).startswith(b"PK")
    pdf = bytes(stored.pdf)
    assert stored.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    text = pdf_layout_text(pdf)
    assert "Số: 1/BGN-UBND" in text
    assert vietnamese_date_in_full(timezone.localdate()) in text
    assert "BÊN B: CÔNG TY MAY BẾN LỨC" in text
    assert set(find_signature_fields(pdf)) == {AUTHORITY_FIELD, BUSINESS_FIELD}
    assert rendering.current_document(mou).pk == document.pk


def test_saving_a_draft_queues_a_rendering_of_the_new_revision(
    world, client_as, django_capture_on_commit_callbacks
):
    mou = world.mou
    data = mou_form_data(authority=world.ben_luc, partner=world.garment, mou=mou, title="Mới")

    # The rendering task is handed over after the commit: here it is only seen, not run.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client_as(world.staff).submit(reverse("mou_edit", args=[mou.pk]), data)

    assert len(callbacks) == 1
    mou.refresh_from_db()
    assert mou.revision == 2
    queued = rendering.current_document(mou)
    assert (queued.mou_revision, queued.status) == (2, RenderStatus.QUEUED)


# --- Sending freezes the PDF ---------------------------------------------------------------


@requires_libreoffice
def test_sending_freezes_the_rendered_pdf_and_records_its_sha256(world):
    mou = without_documents(world.mou)
    document = rendering.render_now(mou, actor=world.staff)

    lifecycle.perform(mou, "send", actor=world.staff)

    mou = Mou.objects.get(pk=mou.pk)
    stored_pdf = bytes(MouDocument.objects.get(pk=document.pk).pdf)
    event = AuditEvent.objects.get(mou=mou, action="mou.sent")
    assert mou.state == MouState.SENT
    assert mou.signable_document_id == document.pk
    assert mou.signable_pdf_sha256 == hashlib.sha256(stored_pdf).hexdigest()
    assert event.details["pdf_sha256"] == mou.signable_pdf_sha256
    assert event.details["document_id"] == document.pk


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"pdf": b"%PDF-1.7 forged"}, id="its PDF"),
        pytest.param({"pdf_sha256": "0" * 64}, id="its hash"),
        pytest.param({"status": RenderStatus.FAILED, "pdf": b""}, id="its status and PDF"),
    ],
)
def test_a_frozen_document_cannot_be_changed(world, change):
    mou = bring_to(world.mou, MouState.SENT)
    document = MouDocument.objects.get(pk=mou.signable_document_id)
    original = bytes(document.pdf)

    for field, value in change.items():
        setattr(document, field, value)
    with pytest.raises(ValidationError):
        document.save()

    stored = MouDocument.objects.get(pk=document.pk)
    assert bytes(stored.pdf) == original
    assert stored.pdf_sha256 == mou.signable_pdf_sha256
    assert stored.status == RenderStatus.READY


@pytest.mark.parametrize(
    "documents",
    [
        pytest.param([], id="no rendering"),
        pytest.param([RenderStatus.QUEUED], id="a rendering still queued"),
        pytest.param([RenderStatus.RUNNING], id="a rendering under way"),
        pytest.param([RenderStatus.FAILED], id="a failed rendering"),
    ],
)
def test_sending_without_a_ready_pdf_is_refused_and_the_mou_stays_a_draft(world, documents):
    mou = without_documents(world.mou)
    for status in documents:
        MouDocument.objects.create(
            mou=mou,
            mou_revision=mou.revision,
            template_version=mou.template.latest_version(),
            status=status,
        )

    with translation.override("en"), pytest.raises(MouError) as refused:
        lifecycle.perform(mou, "send", actor=world.staff)

    with translation.override("en"):
        assert str(refused.value.message) == NOT_READY
    assert Mou.objects.get(pk=mou.pk).state == MouState.DRAFT
    assert not AuditEvent.objects.filter(mou=mou, action="mou.sent").exists()


def test_after_an_edit_the_pdf_of_the_previous_revision_cannot_be_sent(
    world, client_as, django_capture_on_commit_callbacks
):
    mou = world.mou
    old_document = mou.ready_document()
    data = mou_form_data(authority=world.ben_luc, partner=world.garment, mou=mou, title="Sửa")
    # The new revision's rendering is queued but has not run yet.
    with django_capture_on_commit_callbacks(execute=False):
        client_as(world.staff).submit(reverse("mou_edit", args=[mou.pk]), data)
    mou.refresh_from_db()
    assert mou.revision == old_document.mou_revision + 1

    with translation.override("en"), pytest.raises(MouError) as refused:
        lifecycle.perform(mou, "send", actor=world.staff)

    with translation.override("en"):
        assert str(refused.value.message) == NOT_READY
    assert Mou.objects.get(pk=mou.pk).state == MouState.DRAFT


def test_recalling_releases_the_frozen_pdf_but_keeps_it_stored(world):
    mou = bring_to(world.mou, MouState.SENT)
    document_id, sha256 = mou.signable_document_id, mou.signable_pdf_sha256

    lifecycle.perform(mou, "recall", actor=world.staff)

    mou = Mou.objects.get(pk=mou.pk)
    assert mou.state == MouState.DRAFT
    assert mou.signable_document is None
    assert mou.signable_pdf_sha256 == ""
    kept = MouDocument.objects.get(pk=document_id)
    assert hashlib.sha256(bytes(kept.pdf)).hexdigest() == sha256
    event = AuditEvent.objects.get(mou=mou, action="mou.recalled")
    assert event.details["released_pdf_sha256"] == sha256


# --- When conversion fails ---------------------------------------------------------------


@pytest.fixture
def cold_converter(monkeypatch, settings):
    """Conversions go to the soffice named in SOFFICE_PATH: no warm unoserver is used."""
    settings.CONVERTER_PORTS = [unused_port()]

    def use(soffice: str) -> None:
        monkeypatch.setenv("SOFFICE_PATH", soffice)

    return use


def live_members_of_group(pgid: int) -> list[int]:
    """Processes of the group that are still running (zombies waiting to be reaped are not)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def test_a_crashing_converter_leaves_a_failed_document_with_a_clear_message(
    world, tmp_path, cold_converter
):
    cold_converter(fake_soffice(tmp_path, "echo 'soffice.bin: Segmentation fault' >&2\nexit 1"))
    mou = without_documents(world.mou)

    with translation.override("en"):
        document = rendering.render_now(mou, actor=world.staff)

    assert document.status == RenderStatus.FAILED
    # Stored as a code, worded in the reader's language (not the worker's).
    assert (document.error_code, document.error_message) == ("conversion_crashed", "")
    with translation.override("en"):
        assert document.error_text == (
            "LibreOffice failed while converting the document to PDF. Please try again; "
            "if it keeps failing, tell the administrator."
        )
    with translation.override("vi"):
        assert "LibreOffice" in document.error_text
        assert "Please try again" not in document.error_text
    assert document.pdf is None
    assert document.finished_at is not None
    assert Mou.objects.get(pk=mou.pk).state == MouState.DRAFT


def test_a_hanging_converter_is_stopped_and_nothing_is_left_running(
    world, tmp_path, cold_converter, settings
):
    pid_file = tmp_path / "soffice.pid"
    # Like soffice -> oosplash -> soffice.bin: a launcher with a child, both stuck.
    cold_converter(fake_soffice(tmp_path, f'echo $$ > "{pid_file}"\nsleep 60 &\nsleep 60'))
    # The time limit (60 s by default) made short, so the test does not wait a minute.
    settings.DOCUMENT_CONVERSION_TIMEOUT = 2
    mou = without_documents(world.mou)

    started = time.monotonic()
    with translation.override("en"):
        document = rendering.render_now(mou, actor=world.staff)

    assert time.monotonic() - started < 10
    assert document.status == RenderStatus.FAILED
    assert document.error_code == "conversion_timed_out"
    with translation.override("en"):
        assert document.error_text == (
            "Converting the document to PDF took too long and was stopped. Please try again."
        )
    assert Mou.objects.get(pk=mou.pk).state == MouState.DRAFT
    pgid = int(pid_file.read_text())
    deadline = time.monotonic() + 3
    while live_members_of_group(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live_members_of_group(pgid) == []


@requires_libreoffice
def test_after_a_failure_a_new_request_succeeds_and_the_mou_can_be_sent(
    world, tmp_path, cold_converter, monkeypatch
):
    cold_converter(fake_soffice(tmp_path, "exit 1"))
    mou = without_documents(world.mou)
    failed = rendering.render_now(mou, actor=world.staff)
    assert failed.status == RenderStatus.FAILED
    monkeypatch.undo()  # the real LibreOffice again

    retried = rendering.render_now(mou, actor=world.staff)

    assert retried.status == RenderStatus.READY, retried.error_text
    assert rendering.current_document(mou).pk == retried.pk
    lifecycle.perform(mou, "send", actor=world.staff)
    assert Mou.objects.get(pk=mou.pk).signable_document_id == retried.pk
    assert MouDocument.objects.get(pk=failed.pk).status == RenderStatus.FAILED


@requires_libreoffice
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's shared in-memory test database refuses writes from two threads at once "
    "(table locked) instead of waiting; the two renderings run together on PostgreSQL",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_mous_rendered_at_the_same_time_each_get_their_own_pdf(world):
    second = make_mou(world.ben_luc, world.garment, title="Đào tạo nghề hàn")
    mous = [without_documents(world.mou), without_documents(second)]
    barrier = threading.Barrier(len(mous))
    documents: dict[int, MouDocument] = {}
    failures: list[BaseException] = []
    spans: list[tuple[float, float]] = []

    def render(mou):
        try:
            barrier.wait(timeout=10)
            started = time.monotonic()
            documents[mou.pk] = rendering.render_now(mou, actor=world.staff)
            spans.append((started, time.monotonic()))
        except BaseException as error:  # reported below, with the thread's traceback lost
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=render, args=(mou,)) for mou in mous]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    # The two renderings really ran at the same time.
    assert max(start for start, _end in spans) < min(end for _start, end in spans)
    for mou, other in [(mous[0], mous[1]), (mous[1], mous[0])]:
        document = documents[mou.pk]
        assert document.status == RenderStatus.READY, document.error_text
        text = pdf_layout_text(bytes(MouDocument.objects.get(pk=document.pk).pdf))
        assert f"Số: {mou.document_number}" in text
        assert f"Số: {other.document_number}" not in text
        assert mou.title in text


@requires_libreoffice
def test_a_rendering_passes_over_a_converter_of_the_pool_that_is_not_there(
    world, tmp_path, settings, monkeypatch
):
    from partnerships.documents.engine.convert import start_unoserver, stop_unoserver

    monkeypatch.setenv("UNOSERVER_LOCK_DIR", str(tmp_path / "locks"))
    live = unused_port()
    server = start_unoserver(live, tmp_path / "converter")
    try:
        # A cold conversion would fail: the document can only come from the live converter.
        monkeypatch.setenv("SOFFICE_PATH", str(tmp_path / "no-soffice-here"))
        settings.CONVERTER_PORTS = [unused_port(), live]  # the first one is down
        document = rendering.render_now(without_documents(world.mou), actor=world.staff)
    finally:
        stop_unoserver(server)

    assert document.status == RenderStatus.READY, document.error_text
    assert bytes(document.pdf).startswith(b"%PDF")
