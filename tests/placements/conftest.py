"""Placements on top of the shared world: MoUs that accept placements, people, and import
files built in plain code.

- `placements_world`: the shared world plus, at Bến Lức, an active MoU no. 10 of the garment
  factory whose term started two years ago (pledge line 1: jobs, line 2: training), a sent
  MoU no. 11 (not open for placements yet), and at Kim Bảng an active MoU of the quarry.
"""

import csv
import io
import unicodedata
from datetime import date, timedelta

import pytest
from django.utils import timezone
from openpyxl import Workbook

from partnerships.models import (
    ContractType,
    Gender,
    MouState,
    Pledge,
    PledgeKind,
    TargetGroup,
)
from partnerships.placements import services as placements
from partnerships.placements.imports.columns import COLUMNS
from tests.factories import bring_to, dmy, make_mou

NATIONAL_ID = "079203001234"


def years_ago(years: int, today: date | None = None) -> date:
    today = today or timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28))


@pytest.fixture
def placements_world(world):
    w = world
    today = timezone.localdate()
    w.today = today
    w.term_start = years_ago(2, today)
    w.active_mou = make_mou(
        w.ben_luc,
        w.garment,
        number=10,
        term_start=w.term_start,
        term_end=today + timedelta(days=365),
    )
    w.job_pledge = w.active_mou.pledges.get()
    w.training_pledge = Pledge.objects.create(
        mou=w.active_mou,
        line=2,
        kind=PledgeKind.VOCATIONAL_TRAINING,
        quantity=3,
        occupation="Thợ may",
    )
    bring_to(w.active_mou, MouState.ACTIVE)
    w.sent_mou = bring_to(make_mou(w.ben_luc, w.garment, number=11), MouState.SENT)
    w.quarry_mou = make_mou(
        w.kim_bang,
        w.quarry,
        number=10,
        term_start=w.term_start,
        term_end=today + timedelta(days=365),
    )
    bring_to(w.quarry_mou, MouState.ACTIVE)
    w.completed_prison = TargetGroup.objects.get(code="completed_prison")
    return w


def person_details(w, **overrides) -> placements.PersonDetails:
    values = {
        "national_id": NATIONAL_ID,
        "full_name": "Nguyễn Văn An",
        "gender": Gender.MALE,
        "birth_year": 1990,
        "target_group": w.completed_prison,
        "consent_given_on": w.term_start,
    } | overrides
    return placements.PersonDetails(**values)


def placement_details(w, **overrides) -> placements.PlacementDetails:
    values = {
        "pledge": w.job_pledge,
        "start_date": w.term_start + timedelta(days=10),
        "contract_type": ContractType.LABOUR_12_MONTHS_OR_MORE,
        "occupation": "Công nhân may",
        "monthly_wage": 6_500_000,
    } | overrides
    return placements.PlacementDetails(**values)


def report(w, actor=None, *, person=None, **placement_overrides):
    """Report a placement through the service (by the business unless told otherwise)."""
    return placements.report_placement(
        actor=actor or w.business,
        person=person or person_details(w),
        placement=placement_details(w, **placement_overrides),
    )


# --- Import files ---


def import_row(w, **overrides) -> dict:
    """One row of an import file, by column key, as people type it."""
    return {
        "mou_number": "10/BGN-UBND",
        "mou_year": str(w.active_mou.year),
        "pledge_line": "1",
        "national_id": NATIONAL_ID,
        "full_name": "Nguyễn Văn An",
        "gender": "Nam",
        "birth_year": "1990",
        "target_group": "completed_prison",
        "kind": "Việc làm",
        "start_date": dmy(w.term_start + timedelta(days=10)),
        "occupation": "Công nhân may",
        "monthly_wage": "6.500.000",
        "contract_type": "labour_12m_plus",
        "consent_given_on": dmy(w.term_start),
    } | overrides


def many_rows(w, count: int, *, first_id: int = 1) -> list[dict]:
    """`count` different people on pledge line 1, starting on different days."""
    return [
        import_row(
            w,
            national_id=f"{79_000_000_000 + first_id + index:012d}",
            full_name=f"Người Số {first_id + index}",
            start_date=dmy(w.term_start + timedelta(days=index % 500)),
        )
        for index in range(count)
    ]


def csv_bytes(rows: list[dict], *, bom: bool = False, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.header_vi for column in COLUMNS])
    for row in rows:
        writer.writerow([row.get(column.key, "") for column in COLUMNS])
    text = ("\ufeff" if bom else "") + buffer.getvalue()
    return to_cp1258(text) if encoding == "cp1258" else text.encode(encoding)


def to_cp1258(text: str) -> bytes:
    """Vietnamese as old Windows software saves it: letters with their vowel marks (ô, ơ, ă)
    precomposed, tone marks as combining characters after them."""
    encoded = bytearray()
    for char in text:
        try:
            encoded += char.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", char)
            tones = [mark for mark in marks if mark in "\u0300\u0301\u0303\u0309\u0323"]
            vowel_marks = [mark for mark in marks if mark not in tones]
            letter = unicodedata.normalize("NFC", base + "".join(vowel_marks))
            encoded += (letter + "".join(tones)).encode("cp1258")
    return bytes(encoded)


def xlsx_bytes(rows: list[dict], *, edit=None) -> bytes:
    """An XLSX of the rows; `edit(sheet)` may spoil it (formulas, merged cells...)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([column.header_vi for column in COLUMNS])
    for row in rows:
        sheet.append([row.get(column.key, "") for column in COLUMNS])
    if edit:
        edit(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Upload a file through the import service and let the background reading run (the
    test task backend runs tasks at once, once the transaction commits)."""
    from partnerships.placements.imports import service

    def run(user, data: bytes, name: str = "tiep-nhan.csv"):
        with django_capture_on_commit_callbacks(execute=True):
            batch = service.upload(user=user, file_name=name, data=data)
        batch.refresh_from_db()
        return batch

    return run


@pytest.fixture
def confirm_import(django_capture_on_commit_callbacks):
    from partnerships.placements.imports import service

    def run(batch, user):
        with django_capture_on_commit_callbacks(execute=True):
            service.confirm(batch=batch, user=user)
        batch.refresh_from_db()
        return batch

    return run


def problem_codes(batch) -> dict[int, list[str]]:
    """Row number -> the codes of its problems."""
    return {
        entry["row"]: [problem["code"] for problem in entry["problems"]]
        for entry in batch.row_errors
    }
