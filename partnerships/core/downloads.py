"""CSV and XLSX downloads of report rows, written directly (csv module, openpyxl in
write-only mode): ten thousand rows in well under a second, where django-tables2's export
renders every cell through the table.

Numbers stay numbers (a percentage is a number of percent, one decimal), so a spreadsheet
can add them up; the CSV starts with a byte-order mark, so Excel reads Vietnamese right.

Every export goes through `spreadsheet()`, and every text cell through `inert()`: names and
titles come from users, and a partner called `=HYPERLINK(...)` must reach the spreadsheet as
text, never as a formula (OWASP, "CSV injection").
"""

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# What makes Excel, LibreOffice or Google Sheets read a text cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value):
    """A cell value that no spreadsheet program will run: text that could start a formula
    gets a leading apostrophe, the mark spreadsheets themselves use for "this is text".
    Numbers, dates and empty cells are left as they are (a negative number is a number)."""
    if isinstance(value, Promise):
        value = str(value)  # lazily translated labels
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet(
    *,
    file_name: str,
    file_format: str,
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence]]],
) -> HttpResponse:
    """A download of one or more (title, headers, rows) sheets. CSV holds the first sheet;
    further sheets follow it after an empty line."""
    content = _xlsx(sheets) if file_format == "xlsx" else _csv(sheets)
    return attachment(
        HttpResponse(content, content_type=CONTENT_TYPES[file_format]),
        f"{file_name}.{file_format}",
    )


def attachment(response: HttpResponse, file_name: str, *, inline: bool = False) -> HttpResponse:
    """Name the download. Django's header writes a name beyond ASCII (an authority code
    with "Đ") as RFC 6266's filename*, which every browser reads; a hand-written
    filename="..." with such a name is not taken as an attachment."""
    response["Content-Disposition"] = content_disposition_header(not inline, file_name)
    return response


def table_download(table, *, file_name: str, file_format: str) -> HttpResponse:
    """A django-tables2 table as a download through the same path as the reports (its
    value_* methods give the cells; the byte-order mark and the header come from here)."""
    rows = iter(table.as_values())
    headers = next(rows)
    return spreadsheet(
        file_name=file_name, file_format=file_format, sheets=[(file_name, headers, rows)]
    )


def _csv(sheets) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for index, (_title, headers, rows) in enumerate(sheets):
        if index:
            writer.writerow([])
        writer.writerow([inert(str(header)) for header in headers])
        writer.writerows(["" if value is None else inert(value) for value in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx(sheets) -> bytes:
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=_sheet_title(str(title)))
        header_cells = []
        for header in headers:
            cell = _text_cell(sheet, str(header))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            sheet.append([_xlsx_value(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_cell(sheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=inert(text))
    # openpyxl reads any text starting with "=" as a formula; say it is a string, whatever
    # it starts with.
    cell.data_type = "s"
    return cell


def _xlsx_value(sheet, value):
    value = inert(value)
    return _text_cell(sheet, value) if isinstance(value, str) else value


def _sheet_title(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in title)
    return cleaned[:31] or "Sheet"
