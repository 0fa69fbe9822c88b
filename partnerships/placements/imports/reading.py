"""Reading an uploaded file into a header and rows of cells. Bytes in; no ORM.

Refused, each with its own message: anything but CSV or XLSX (an old .xls is named as
such), a CSV not in UTF-8 (with or without BOM; UTF-16 is named), an XLSX that cannot be
opened, has formulas, or has merged cells on the sheet being read. Values are not judged
here (see cells.py and validation.py).
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from partnerships.placements.imports.columns import COLUMNS, header_aliases, header_key
from partnerships.placements.imports.errors import ImportRefused

MAX_FILE_MEGABYTES = 10
MAX_ROWS = 20_000
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
    rows = [(number, cells) for number, cells in grid if not all(map(_blank, cells))]
    if len(rows) > MAX_ROWS:
        raise ImportRefused("too_many_rows", rows=len(rows), limit=MAX_ROWS)
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
    first_line = text.split("\n", 1)[0]
    # Excel writes ';' where the decimal separator is a comma; take whichever the header uses.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    yield from enumerate(reader, start=1)


# --- XLSX ---


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        if "xl/workbook.xml" not in archive.namelist():
            raise ImportRefused("file_type")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
        _refuse_merged_cells(archive, getattr(sheet, "_worksheet_path", None))
    except ImportRefused:
        raise
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise ImportRefused("xlsx_unreadable") from exc
    return _xlsx_cells(workbook, sheet)


def _refuse_merged_cells(archive: zipfile.ZipFile, sheet_path: str | None) -> None:
    """openpyxl's fast read-only mode does not report merged cells: read the sheet's XML.

    Only the sheet being imported counts (the template's instructions sheet may do as it
    likes); without its path, every sheet is checked.
    """
    paths = (
        [sheet_path.lstrip("/")]
        if sheet_path
        else [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
    )
    for path in paths:
        merges = _MERGE.findall(archive.read(path))
        if merges:
            shown = ", ".join(ref.decode() for ref in merges[:3])
            raise ImportRefused("xlsx_merged", cells=shown + (", …" if len(merges) > 3 else ""))


def _xlsx_cells(workbook, sheet) -> Iterator[tuple[int, list]]:
    try:
        # Read-only rows come one per sheet row from row 1, gaps filled with empty cells.
        for number, row in enumerate(sheet.iter_rows(min_row=1), start=1):
            for cell in row:
                if cell.data_type == "f":
                    raise ImportRefused("xlsx_formulas", cell=cell.coordinate)
            yield number, [cell.value for cell in row]
    finally:
        workbook.close()
