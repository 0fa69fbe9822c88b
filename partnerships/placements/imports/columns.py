"""The columns of a placement import file, and the downloadable template.

The template's headers are Vietnamese (the people filling it in are Vietnamese officials and
HR staff); an uploaded file may use them, the English labels, or the column keys. Each
column's label, as shown in messages, follows the reader's language.
"""

import csv
import io
import unicodedata
from dataclasses import dataclass

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from partnerships import formats
from partnerships.models import (
    ContractType,
    Gender,
    PledgeKind,
    TargetGroup,
)


@dataclass(frozen=True)
class Column:
    key: str
    header_vi: str
    label: Promise
    required: bool = True
    example: str = ""
    width: int = 18


COLUMNS = (
    Column("mou_number", "Số bản ghi nhớ", _("MoU number"), example="4/BGN-UBND", width=16),
    Column("mou_year", "Năm bản ghi nhớ", _("MoU year"), example="2025", width=10),
    Column("pledge_line", "Dòng cam kết", _("Pledge line"), example="1", width=10),
    Column("national_id", "Số CCCD/CMND", _("National ID number"), example="079203001234"),
    Column("full_name", "Họ và tên", _("Full name"), example="Nguyễn Văn An", width=24),
    Column("gender", "Giới tính", _("Gender"), example="Nam", width=10),
    Column("birth_year", "Năm sinh", _("Birth year"), required=False, example="1995", width=10),
    Column("target_group", "Mã nhóm đối tượng", _("Target group code"), example="completed_prison"),
    Column("kind", "Loại hỗ trợ", _("Kind"), example="Việc làm", width=14),
    Column("start_date", "Ngày bắt đầu", _("Start date"), example="01/03/2025", width=13),
    Column(
        "occupation",
        "Nghề, vị trí công việc",
        _("Occupation or trade"),
        required=False,
        example="Công nhân may",
        width=22,
    ),
    Column(
        "monthly_wage",
        "Lương tháng (đồng)",
        _("Monthly wage (VND)"),
        required=False,
        example="6500000",
        width=14,
    ),
    Column("contract_type", "Loại hợp đồng", _("Contract"), example="labour_12m_plus", width=20),
    Column(
        "consent_given_on",
        "Ngày đồng ý xử lý dữ liệu",
        _("Consent given on"),
        example="20/02/2025",
        width=14,
    ),
)
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}


def header_key(text) -> str:
    """A header reduced for matching: composed, lower case, single spaces, no '*'."""
    cleaned = unicodedata.normalize("NFC", str(text or "")).replace("*", " ")
    return " ".join(cleaned.split()).casefold()


def header_aliases() -> dict[str, str]:
    """Every accepted spelling of each header -> column key."""
    from django.utils import translation

    aliases = {}
    for column in COLUMNS:
        aliases[header_key(column.key)] = column.key
        aliases[header_key(column.header_vi)] = column.key
        for language in ("en", "vi"):
            with translation.override(language):
                aliases[header_key(str(column.label))] = column.key
    return aliases


def column_label(key: str) -> str:
    column = COLUMNS_BY_KEY.get(key)
    return str(column.label) if column else ""


# --- The template ---

_INSTRUCTIONS = [
    "Mỗi dòng là một người được tiếp nhận theo một dòng cam kết của bản ghi nhớ.",
    "Số bản ghi nhớ và năm: như trên văn bản, ví dụ 4/BGN-UBND và 2025.",
    "Dòng cam kết: số thứ tự của cam kết trong bản ghi nhớ (1, 2, ...).",
    "Số CCCD (12 chữ số) hoặc CMND cũ (9 chữ số): chỉ dùng để nhận diện, không được lưu.",
    "Ngày viết theo dạng dd/mm/yyyy. Không dùng công thức, không gộp ô.",
    "Chỉ ghi những người đã đồng ý cho xử lý dữ liệu cá nhân (ghi ngày đồng ý).",
    "File CSV phải lưu với bảng mã UTF-8 (trong Excel: CSV UTF-8).",
]


def _choice_help() -> list[tuple[str, str]]:
    from django.utils import translation

    with translation.override("vi"):
        return [
            ("Giới tính", "; ".join(str(c.label) for c in Gender)),
            ("Loại hỗ trợ", "; ".join(f"{c.value} ({c.label})" for c in PledgeKind)),
            ("Loại hợp đồng", "; ".join(f"{c.value} ({c.label})" for c in ContractType)),
            (
                "Mã nhóm đối tượng",
                "; ".join(
                    f"{group.code} ({group.name_vi})"
                    for group in TargetGroup.objects.filter(is_active=True)
                ),
            ),
        ]


def _drop_down_values() -> dict[str, list[str]]:
    """The values each coded column's drop-down list offers: what a person reads (the
    Vietnamese label) where the import accepts it, the code where the code is what people
    quote (contract types, target groups)."""
    from django.utils import translation

    with translation.override("vi"):
        return {
            "gender": [str(c.label) for c in Gender],
            "kind": [str(c.label) for c in PledgeKind],
            "contract_type": [c.value for c in ContractType],
            "target_group": list(
                TargetGroup.objects.filter(is_active=True).values_list("code", flat=True)
            ),
        }


def example_row() -> dict[str, str]:
    """One row that passes the import's checks if copied under an MoU numbered like the
    example of this year: dates of today (never in the future, inside a current term)."""
    today = timezone.localdate()
    example = {column.key: column.example for column in COLUMNS}
    example |= {
        "mou_year": str(today.year),
        "start_date": formats.day(today),
        "consent_given_on": formats.day(today),
        "birth_year": str(today.year - 30),
    }
    return example


def _add_drop_downs(workbook: Workbook, sheet) -> None:
    """Excel drop-down lists (data validation) on the coded columns, their values kept on a
    hidden sheet: a list written inline is limited to 255 characters."""
    lists = workbook.create_sheet("Danh mục")
    lists.sheet_state = "hidden"
    positions = {column.key: index for index, column in enumerate(COLUMNS, start=1)}
    for list_column, (key, values) in enumerate(_drop_down_values().items(), start=1):
        letter = get_column_letter(list_column)
        lists.cell(row=1, column=list_column, value=key)
        for row, value in enumerate(values, start=2):
            lists.cell(row=row, column=list_column, value=value)
        source = f"{quote_sheetname(lists.title)}!${letter}$2:${letter}${len(values) + 1}"
        validation = DataValidation(type="list", formula1=source, allow_blank=True)
        validation.error = "Chọn một giá trị trong danh sách."
        validation.errorTitle = str(COLUMNS_BY_KEY[key].header_vi)
        validation.showErrorMessage = True
        target = get_column_letter(positions[key])
        validation.add(f"{target}2:{target}{_TEMPLATE_ROWS}")
        sheet.add_data_validation(validation)


def template_xlsx() -> bytes:
    """An XLSX with the Vietnamese headers on its first sheet and, on a second one, the
    instructions, the accepted values and an example row (not on the first sheet, where it
    would be imported by mistake). Text columns are formatted as text, so Excel keeps the
    leading zeros of ID numbers and does not turn dates into numbers."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Danh sách"
    sheet.append([column.header_vi for column in COLUMNS])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE7F3")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = bold, fill
        dimension = sheet.column_dimensions[cell.column_letter]
        dimension.width = column.width
        if column.key in _TEXT_COLUMNS:
            dimension.number_format = "@"
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("Hướng dẫn")
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 110
    for line in _INSTRUCTIONS:
        notes.append(["", line])
    notes.append([])
    for name, values in _choice_help():
        notes.append([name, values])
    notes.append(["Cột bắt buộc", ", ".join(c.header_vi for c in COLUMNS if c.required)])
    notes.append([])
    notes.append(["Ví dụ (một dòng)"])
    notes.append([column.header_vi for column in COLUMNS])
    example = example_row()
    notes.append([example[column.key] for column in COLUMNS])
    _add_drop_downs(workbook, sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_TEMPLATE_ROWS = 5000  # rows of the first sheet that get the drop-down lists
_TEXT_COLUMNS = {"mou_number", "national_id", "start_date", "consent_given_on"}


def template_csv() -> bytes:
    """The same headers as CSV in UTF-8 with a BOM, so that Excel opens it in UTF-8."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([column.header_vi for column in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
