"""Small files that describe enormous ones are refused by cheap checks before they are read:
an XLSX that unpacks to a gigabyte, a sheet that declares a million rows by sixteen thousand
columns, a CSV of a million rows. Each is refused in seconds, with its reason, and nothing
of it is kept."""

import io
import re
import time
import zipfile

import pytest

from partnerships.models import ImportStatus, Placement
from tests.factories.placements import csv_bytes, import_row, xlsx_bytes

SHEET = "xl/worksheets/sheet1.xml"


def rebuilt_xlsx(source: bytes, *, replace=None, extra=None) -> bytes:
    """A copy of an XLSX with some members replaced (or left out, when replaced by None),
    and `extra(archive)` writing more."""
    replace = replace or {}
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(source)) as original,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for member in original.infolist():
            if member.filename not in replace:
                copy.writestr(member.filename, original.read(member))
            elif replace[member.filename] is not None:
                copy.writestr(member.filename, replace[member.filename])
        if extra:
            extra(copy)
    return buffer.getvalue()


def stream_member(archive, name: str, *, head: bytes, filler: bytes, size: int, tail: bytes):
    """Write a member of about `size` bytes chunk by chunk: the test never holds it whole."""
    with archive.open(name, "w", force_zip64=True) as member:
        member.write(head)
        chunk = filler * (1024 * 1024 // len(filler))
        for _ in range(size // len(chunk)):
            member.write(chunk)
        member.write(tail)


def refused(batch, code: str) -> None:
    assert (batch.status, batch.error_code) == (ImportStatus.FAILED, code)
    assert batch.pending_file is None
    assert not Placement.objects.exists()


def timed_upload(upload, user, data: bytes, name: str):
    started = time.monotonic()
    batch = upload(user, data, name)
    return batch, time.monotonic() - started


# --- Zip bombs --------------------------------------------------------------------------------


def test_an_xlsx_of_1_mb_unpacking_to_1_gb_is_refused_unread(placements_world, upload):
    w = placements_world
    good = xlsx_bytes([import_row(w)])
    sheet = zipfile.ZipFile(io.BytesIO(good)).read(SHEET)
    head, tail = sheet.split(b"</sheetData>")

    def bomb(archive):
        # The whole sheet again, with a gigabyte of spaces (valid XML) before its end.
        stream_member(
            archive,
            "xl/worksheets/sheet1.xml",
            head=head,
            filler=b" ",
            size=1 << 30,
            tail=b"</sheetData>" + tail,
        )

    data = rebuilt_xlsx(good, replace={SHEET: None}, extra=bomb)
    assert len(data) < 2 * 1024 * 1024

    batch, seconds = timed_upload(upload, w.business, data, "danh-sach.xlsx")

    refused(batch, "xlsx_too_large")
    assert seconds < 10


def test_a_bomb_below_the_size_limits_is_refused_by_its_ratio(placements_world, upload):
    w = placements_world

    def padding(archive):
        stream_member(
            archive, "xl/media/image1.png", head=b"", filler=b"\0", size=20 << 20, tail=b""
        )

    data = rebuilt_xlsx(xlsx_bytes([import_row(w)]), extra=padding)

    refused(upload(w.business, data, "danh-sach.xlsx"), "xlsx_too_large")


def test_an_xlsx_of_thousands_of_parts_is_refused(placements_world, upload):
    w = placements_world

    def parts(archive):
        for number in range(1200):
            archive.writestr(f"customXml/item{number}.xml", "<a/>")

    data = rebuilt_xlsx(xlsx_bytes([import_row(w)]), extra=parts)

    refused(upload(w.business, data, "danh-sach.xlsx"), "xlsx_too_large")


# --- Declared sheet size ----------------------------------------------------------------------


def with_dimension(w, ref: str) -> bytes:
    good = xlsx_bytes([import_row(w)])
    sheet = zipfile.ZipFile(io.BytesIO(good)).read(SHEET)
    spoiled = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="' + ref.encode() + b'"', sheet)
    assert spoiled != sheet
    return rebuilt_xlsx(good, replace={SHEET: spoiled})


def test_a_sheet_declaring_a_million_rows_by_16384_columns_is_refused_at_once(
    placements_world, upload, client_as
):
    w = placements_world
    data = with_dimension(w, "A1:XFD1048576")
    assert len(data) < 10 * 1024

    batch, seconds = timed_upload(upload, w.business, data, "danh-sach.xlsx")

    refused(batch, "sheet_too_large")
    assert seconds < 10
    page = client_as(w.business).get(f"/imports/{batch.pk}/").content.decode()
    assert "holds 1048576 rows and 16384 columns" in page


@pytest.mark.parametrize("ref", ["A1:P1048576", "A1:ZZ3"])
def test_other_oversized_declarations_are_refused(placements_world, upload, ref):
    w = placements_world

    refused(upload(w.business, with_dimension(w, ref), "danh-sach.xlsx"), "sheet_too_large")


def test_an_ordinary_spreadsheet_is_still_read(placements_world, upload):
    w = placements_world

    batch = upload(w.business, xlsx_bytes([import_row(w)]), "danh-sach.xlsx")

    assert batch.status == ImportStatus.PREVIEW


# --- Rows, counted while reading -------------------------------------------------------------


def test_a_csv_of_a_million_rows_is_refused_early(placements_world, upload):
    w = placements_world
    header = csv_bytes([])
    data = header + b"x\r\n" * 1_000_000
    assert len(data) < 10 * 1024 * 1024

    batch, seconds = timed_upload(upload, w.business, data, "danh-sach.csv")

    refused(batch, "too_many_rows_read")
    assert seconds < 10


def test_a_csv_of_mostly_empty_rows_is_refused_too(placements_world, upload):
    w = placements_world
    data = csv_bytes([import_row(w)]) + b",,,\r\n" * 200_000

    refused(upload(w.business, data, "danh-sach.csv"), "too_many_rows_read")


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(b"a" * 5000 + b"\x00\r\n", id="a NUL character"),
        pytest.param(b'"' + b"a" * 200_000 + b'"\r\n', id="a value of 200 KB"),
    ],
)
def test_a_csv_line_that_is_not_text_is_a_clear_refusal(placements_world, upload, spoil):
    w = placements_world
    data = csv_bytes([import_row(w)]) + spoil

    refused(upload(w.business, data, "danh-sach.csv"), "csv_unreadable")
