"""A streaming reader of an XLSX's first sheet: cell values only, straight from the XML.

openpyxl's read-only mode builds a cell object per cell and, for a sheet without a declared
size (as openpyxl itself writes them), reads the whole sheet once more to measure it: for a
10,000-row import that was most of the time spent reading. This reads what an import needs
and nothing else, in one pass, with lxml: shared and inline strings, numbers, booleans,
error codes, dates (numbers in a date format, or ISO dates), and the formulas it refuses.
Values come out as openpyxl gives them (int or float, datetime for a date), so cells.py
reads either the same way. Bytes in; no ORM.

Hostile XML: entities are never expanded, nothing is fetched, lxml's limits on depth and
text size stay on; the archive's sizes were checked before (core.archives).
"""

import posixpath
import zipfile
from collections.abc import Iterator
from datetime import datetime

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_ROW, _CELL = f"{{{MAIN}}}row", f"{{{MAIN}}}c"
_VALUE, _FORMULA, _INLINE = f"{{{MAIN}}}v", f"{{{MAIN}}}f", f"{{{MAIN}}}is"
_TEXT, _PHONETIC = f"{{{MAIN}}}t", f"{{{MAIN}}}rPh"


class SheetUnreadable(ValueError):
    """The workbook's structure is not what an XLSX holds."""


class FormulaFound(ValueError):
    def __init__(self, coordinate: str):
        super().__init__(coordinate)
        self.coordinate = coordinate


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _xml(archive: zipfile.ZipFile, path: str):
    try:
        return etree.fromstring(archive.read(path), _parser())
    except KeyError as exc:
        raise SheetUnreadable(path) from exc


def first_sheet_path(archive: zipfile.ZipFile) -> str:
    """The part holding the workbook's first sheet (as openpyxl's worksheets[0])."""
    workbook = _xml(archive, "xl/workbook.xml")
    sheet = workbook.find(f"{{{MAIN}}}sheets/{{{MAIN}}}sheet")
    if sheet is None:
        raise SheetUnreadable("no sheet")
    relation = sheet.get(f"{{{RELATIONSHIPS}}}id")
    relations = _xml(archive, "xl/_rels/workbook.xml.rels")
    for item in relations.iter(f"{{{PACKAGE_RELATIONSHIPS}}}Relationship"):
        if item.get("Id") == relation:
            target = item.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target))
    raise SheetUnreadable("no sheet part")


def _epoch(archive: zipfile.ZipFile) -> datetime:
    properties = _xml(archive, "xl/workbook.xml").find(f"{{{MAIN}}}workbookPr")
    if properties is not None and properties.get("date1904", "").lower() in {"1", "true"}:
        return CALENDAR_MAC_1904
    return CALENDAR_WINDOWS_1900


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    strings = []
    with archive.open("xl/sharedStrings.xml") as part:
        for _event, item in etree.iterparse(
            part, tag=f"{{{MAIN}}}si", resolve_entities=False, no_network=True
        ):
            strings.append(_text_of(item))
            item.clear()
    return strings


def _text_of(element) -> str:
    """A string item's text: its <t>, or its runs' <t>s, leaving phonetic runs out."""
    if len(element) == 1 and element[0].tag == _TEXT:  # the usual case: one plain <t>
        return element[0].text or ""
    return "".join(
        text.text or "" for text in element.iter(_TEXT) if text.getparent().tag != _PHONETIC
    )


def _date_styles(archive: zipfile.ZipFile) -> set[int]:
    """Indexes of the cell styles whose number format shows a date."""
    if "xl/styles.xml" not in archive.namelist():
        return set()
    styles = _xml(archive, "xl/styles.xml")
    formats = dict(BUILTIN_FORMATS)
    for number_format in styles.iter(f"{{{MAIN}}}numFmt"):
        try:
            formats[int(number_format.get("numFmtId", ""))] = number_format.get("formatCode", "")
        except ValueError:
            continue
    dated = set()
    cell_formats = styles.find(f"{{{MAIN}}}cellXfs")
    if cell_formats is None:
        return dated
    for index, xf in enumerate(cell_formats.iter(f"{{{MAIN}}}xf")):
        try:
            code = formats.get(int(xf.get("numFmtId", "0")))
        except ValueError:
            continue
        if code and is_date_format(code):
            dated.add(index)
    return dated


# Column letters already seen, and their index: a sheet repeats the same few on every row.
# At most 26 + 26² + 26³ entries, for the valid ones only.
_COLUMN_OF_LETTERS: dict[str, int] = {}


def _column_index(reference: str) -> int:
    """0-based column of a cell reference ("C7" -> 2)."""
    letters = reference.rstrip("0123456789")
    index = _COLUMN_OF_LETTERS.get(letters)
    if index is None:
        if not 1 <= len(letters) <= 3 or not letters.isupper() or not letters.isascii():
            raise SheetUnreadable(reference)
        index = 0
        for letter in letters:
            index = index * 26 + ord(letter) - 64
        index -= 1
        _COLUMN_OF_LETTERS[letters] = index
    return index


def _number(text: str):
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


def rows(
    archive: zipfile.ZipFile, sheet_path: str, *, max_columns: int
) -> Iterator[tuple[int, list]]:
    """(row number, values) for every row from row 1, rows missing from the XML given as
    empty lists; only the first `max_columns` columns are read. Raises FormulaFound at the
    first formula, SheetUnreadable (or lxml's XMLSyntaxError, ValueError) for a broken sheet."""
    strings = _shared_strings(archive)
    dated = _date_styles(archive)
    epoch = _epoch(archive)
    expected = 1
    with archive.open(sheet_path) as part:
        for _event, row in etree.iterparse(part, tag=_ROW, resolve_entities=False, no_network=True):
            number = int(row.get("r") or expected)
            while expected < number:
                yield expected, []
                expected += 1
            values: list = []
            for cell in row.iterchildren(_CELL):
                reference = cell.get("r")
                column = _column_index(reference) if reference else len(values)
                if column >= max_columns:
                    continue
                if column > len(values):
                    values.extend([None] * (column - len(values)))
                values.append(_value(cell, strings, dated, epoch, reference or str(number)))
            row.clear()
            while row.getprevious() is not None:
                del row.getparent()[0]
            yield number, values
            expected = number + 1


def _value(cell, strings: list[str], dated: set[int], epoch: datetime, reference: str):
    text, inline = None, None
    for child in cell:
        if child.tag == _VALUE:
            text = child.text
        elif child.tag == _INLINE:
            inline = child
        elif child.tag == _FORMULA:
            raise FormulaFound(reference)
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return _text_of(inline) if inline is not None else None
    if text is None:
        return None
    if kind == "s":
        return strings[int(text)]
    if kind == "n":
        number = _number(text)
        if int(cell.get("s", "0")) in dated:
            return from_excel(number, epoch)
        return number
    if kind == "b":
        return bool(int(text))
    if kind == "d":
        return datetime.fromisoformat(text.replace("Z", ""))
    return text  # "str" (a formula's cached text: refused above), "e" (an error code)
