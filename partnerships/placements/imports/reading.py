"""Reading an uploaded file into a header and rows of cells. Bytes in; no ORM.

Refused, each with its own message: anything but CSV or XLSX (an old .xls is named as
such), a CSV not in UTF-8 (with or without BOM; UTF-16 is named), an XLSX that cannot be
opened, has formulas, or has merged cells on the sheet being read. Values are not judged
here (see cells.py and validation.py).

Cheap checks come before any parsing, because a small file can describe an enormous one: a
1 MB XLSX can unpack to 1 GB, and a 5 KB one can declare a sheet of 1,048,576 rows by 16,384
columns that openpyxl would walk cell by cell. So the zip's declared sizes, the sheet's
declared dimension, and then, while streaming, the number of rows read are all bounded.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from partnerships.core.archives import ArchiveLimits, ArchiveTooLarge, check_archive
from partnerships.placements.imports import sheet
from partnerships.placements.imports.columns import COLUMNS, header_aliases, header_key
from partnerships.placements.imports.errors import ImportRefused

MAX_FILE_MEGABYTES = 10
MAX_ROWS = 20_000
# Rows read in all, empty ones included (spreadsheets often end with formatted empty rows),
# and columns read per row: the template has 16.
MAX_SCANNED_ROWS = 5 * MAX_ROWS
MAX_COLUMNS = 100
XLSX_LIMITS = ArchiveLimits(
    max_members=1000,
    max_total_bytes=200 * 1024 * 1024,
    max_member_bytes=100 * 1024 * 1024,
    max_ratio=200,
)
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls (and password-protected .xlsx)
ZIP_MAGIC = b"PK\x03\x04"
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+\d+:[A-Z]+\d+)"')


@dataclass
class Table:
    """The file's first sheet: which column holds each known key, and the data rows as
    (row number as the user sees it, cells)."""

    columns: dict[str, int]
    rows: list[tuple[int, list]]


def read_table(data: bytes, file_name: str) -> Table:
    """Parse CSV or XLSX bytes; raise ImportRefused for anything that is not a usable file."""
    if len(data) > MAX_FILE_MEGABYTES * 1024 * 1024:
        raise ImportRefused("file_too_large", limit=MAX_FILE_MEGABYTES)
    if not data.strip():
        raise ImportRefused("file_empty")
    name = file_name.lower()
    if data.startswith(ZIP_MAGIC):
        grid = _xlsx_rows(data)
    elif data.startswith(OLE_MAGIC):
        raise ImportRefused("xlsx_unreadable" if name.endswith(".xlsx") else "old_excel")
    elif name.endswith((".csv", ".txt")) or not name.rpartition(".")[1]:
        grid = _csv_rows(data)
    else:
        raise ImportRefused("file_type")
    return _table(grid)


def _table(grid: Iterator[tuple[int, list]]) -> Table:
    header = next(grid, None)
    if header is None:
        raise ImportRefused("file_empty")
    aliases = header_aliases()
    columns = {}
    for index, text in enumerate(header[1]):
        key = aliases.get(header_key(text))
        if key and key not in columns:
            columns[key] = index
    missing = [
        column.header_vi for column in COLUMNS if column.required and column.key not in columns
    ]
    if missing:
        raise ImportRefused("missing_columns", columns=", ".join(missing))
    # Spreadsheets often end with formatted but empty rows: those are not rows of data.
    rows = []
    for number, cells in grid:
        if number > MAX_SCANNED_ROWS:
            raise ImportRefused("too_many_rows_read", limit=MAX_ROWS)
        if all(map(_blank, cells)):
            continue
        rows.append((number, cells))
        if len(rows) > MAX_ROWS:
            # Stop reading here: the rest of the file is not wanted.
            raise ImportRefused("too_many_rows_read", limit=MAX_ROWS)
    if not rows:
        raise ImportRefused("no_rows")
    return Table(columns=columns, rows=rows)


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


# --- CSV ---


def _csv_rows(data: bytes) -> Iterator[tuple[int, list]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise ImportRefused("csv_utf16")
    try:
        text = data.decode("utf-8-sig")  # a BOM, if any, is dropped
    except UnicodeDecodeError as exc:
        raise ImportRefused("csv_encoding") from exc
    if "\x00" in text:
        # Not text; and PostgreSQL cannot store it in the prepared rows.
        raise ImportRefused("csv_unreadable")
    first_line = text.split("\n", 1)[0]
    # Excel writes ';' where the decimal separator is a comma; take whichever the header uses.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:  # one value longer than 128 KB, say
        raise ImportRefused("csv_unreadable") from exc


# --- XLSX ---


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        if "xl/workbook.xml" not in archive.namelist():
            raise ImportRefused("file_type")
        check_archive(archive, XLSX_LIMITS)
        sheet_path = sheet.first_sheet_path(archive)
        _refuse_huge_dimension(archive, sheet_path)
        _refuse_merged_cells(archive, sheet_path)
    except ArchiveTooLarge as exc:
        raise ImportRefused("xlsx_too_large") from exc
    except ImportRefused:
        raise
    except (zipfile.BadZipFile, etree.XMLSyntaxError, KeyError, ValueError, OSError) as exc:
        raise ImportRefused("xlsx_unreadable") from exc
    return _xlsx_cells(archive, sheet_path)


def _sheet_paths(archive: zipfile.ZipFile, sheet_path: str | None) -> list[str]:
    if sheet_path:
        return [sheet_path.lstrip("/")]
    return [name for name in archive.namelist() if name.startswith("xl/worksheets/")]


def _refuse_huge_dimension(archive: zipfile.ZipFile, sheet_path: str | None) -> None:
    """Refuse a sheet whose declared size (its <dimension>, near the start of the XML) is
    beyond what may be imported, reading only the first few kilobytes of the sheet."""
    from openpyxl.utils.cell import range_boundaries

    for path in _sheet_paths(archive, sheet_path):
        with archive.open(path) as sheet_xml:
            start = sheet_xml.read(4096)
        found = _DIMENSION.search(start)
        if not found:
            continue  # no declared size: the limits while streaming still hold
        first_column, first_row, last_column, last_row = range_boundaries(found.group(1).decode())
        rows = (last_row or first_row or 1) - (first_row or 1) + 1
        columns = (last_column or first_column or 1) - (first_column or 1) + 1
        if rows > MAX_SCANNED_ROWS or columns > MAX_COLUMNS:
            raise ImportRefused(
                "sheet_too_large",
                rows=rows,
                columns=columns,
                limit=MAX_ROWS,
                max_columns=MAX_COLUMNS,
            )


def _refuse_merged_cells(archive: zipfile.ZipFile, sheet_path: str | None) -> None:
    """openpyxl's fast read-only mode does not report merged cells: read the sheet's XML.

    Only the sheet being imported counts (the template's instructions sheet may do as it
    likes); without its path, every sheet is checked.
    """
    for path in _sheet_paths(archive, sheet_path):
        merges = _MERGE.findall(archive.read(path))
        if merges:
            shown = ", ".join(ref.decode() for ref in merges[:3])
            raise ImportRefused("xlsx_merged", cells=shown + (", …" if len(merges) > 3 else ""))


def _xlsx_cells(archive: zipfile.ZipFile, sheet_path: str) -> Iterator[tuple[int, list]]:
    """The sheet's rows from row 1 (see sheet.py); columns beyond MAX_COLUMNS unread."""
    try:
        yield from sheet.rows(archive, sheet_path, max_columns=MAX_COLUMNS)
    except sheet.FormulaFound as found:
        raise ImportRefused("xlsx_formulas", cell=found.coordinate) from None
    except (
        zipfile.BadZipFile,
        etree.XMLSyntaxError,
        KeyError,
        IndexError,
        ValueError,
        OverflowError,
        OSError,
    ) as exc:
        raise ImportRefused("xlsx_unreadable") from exc
    finally:
        archive.close()
