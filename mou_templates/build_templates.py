"""Builds the built-in MoU templates (bgn_vi.docx, mou_en.docx) with python-docx.

The DOCX files are committed; this script documents exactly how they were made and
rebuilds them after a change: `python mou_templates/build_templates.py`. Staff can
also edit a copy in Word and upload it as a new version from the registry.

Layout follows Decree 30/2020/NĐ-CP: A4, margins 20/20/30/15 mm, Times New Roman 13 pt,
page numbers centred in the top margin from page 2, national motto top right, issuing
body top left, pledge rows that never split across pages under a header row repeated on each
page, two signature blocks side by side that never split across pages.

Each signature block is a small table of fixed row heights: the party and the position
(which may wrap onto three lines), the blank area for the digital signature, the name. Both
blocks have the same rows, so the two names always sit at the same height. The blank area
starts with the anchor `{{ sign_here_authority }}` / `{{ sign_here_business }}` in tiny
white type: the registry hangs the signature field from it.
"""

import json
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
FONT = "Times New Roman"
TEXT_WIDTH_MM = 210 - 30 - 15


def _base_document() -> Document:
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    section.start_type = WD_SECTION.NEW_PAGE
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(13)
    # East-Asian and complex-script slots too, so no run falls back to another font.
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    style.paragraph_format.space_after = Pt(3)
    style.paragraph_format.line_spacing = 1.15
    _page_number_from_page_two(section)
    return document


def _page_number_from_page_two(section) -> None:
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _paragraph(
    container,
    text="",
    *,
    bold=False,
    italic=False,
    size=None,
    align=None,
    keep_with_next=False,
    space_after=None,
    indent_first=False,
):
    paragraph = container.add_paragraph()
    if text:
        run = paragraph.add_run(text)
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = Pt(size)
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.keep_with_next = keep_with_next
    if space_after is not None:
        paragraph.paragraph_format.space_after = Pt(space_after)
    if indent_first:
        paragraph.paragraph_format.first_line_indent = Mm(10)
    return paragraph


def _no_borders(table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _fixed_widths(table, widths_mm) -> None:
    """Fixed layout with explicit grid and cell widths: LibreOffice keeps them as set."""
    table.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    grid = table._tbl.tblGrid
    for column, width in zip(grid.findall(qn("w:gridCol")), widths_mm, strict=True):
        column.set(qn("w:w"), str(int(Mm(width).twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)


def _cant_split(row) -> None:
    properties = row._tr.get_or_add_trPr()
    element = OxmlElement("w:cantSplit")
    properties.append(element)


def _exact_height(row, height_mm: float) -> None:
    row.height = Mm(height_mm)
    row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY


def _repeat_header(row) -> None:
    properties = row._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:tblHeader"))


def _cell_text(cell, text, *, bold=False, italic=False, size=None, align=WD_ALIGN_PARAGRAPH.CENTER):
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    if text:
        run = paragraph.add_run(text)
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = Pt(size)
    return paragraph


def _cell_line(cell, text, **kwargs):
    paragraph = cell.add_paragraph()
    paragraph.alignment = kwargs.pop("align", WD_ALIGN_PARAGRAPH.CENTER)
    paragraph.paragraph_format.space_after = Pt(0)
    run = paragraph.add_run(text)
    run.bold = kwargs.get("bold", False)
    run.italic = kwargs.get("italic", False)
    if kwargs.get("size"):
        run.font.size = Pt(kwargs["size"])
    return paragraph


def _header_block(document, words) -> None:
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    _fixed_widths(table, [68, TEXT_WIDTH_MM - 68])
    left, right = table.rows[0].cells
    _cell_text(left, "{{ authority.parent_name|upper }}", size=12)
    _cell_line(left, "{{ authority.name|upper }}", bold=True, size=12)
    _cell_line(left, "_______", size=8)
    _cell_line(left, words["number"] + " {{ document_number }}", size=13)
    _cell_text(right, words["motto_1"], bold=True, size=12)
    _cell_line(right, words["motto_2"], bold=True, size=13)
    _cell_line(right, "_____________________", size=8)
    _cell_line(right, words["place_date"], italic=True, size=13)


PLEDGE_SIZE = 10.5
PLEDGE_HEADER_SIZE = 10
# No., kind, places, groups, occupation, wage, workplace, due date: 165 mm in all.
PLEDGE_WIDTHS = [11, 20, 13, 26, 24, 26, 23, 22]
PLEDGE_VALUES = [
    "{{ pledge.index }}",
    "{{ pledge.kind }}",
    "{{ pledge.quantity }}",
    "{{ pledge.target_groups }}",
    "{{ pledge.occupation }}",
    "{{ pledge.min_monthly_wage }}",
    "{{ pledge.workplace }}",
    "{{ pledge.due_date }}",
]
_LEFT_ALIGNED = ("occupation }}", "target_groups }}", "workplace }}")


def _pledge_table(document, words) -> None:
    widths = PLEDGE_WIDTHS
    table = document.add_table(rows=3, cols=len(widths))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _fixed_widths(table, widths)
    header, loop_row, end_row = table.rows
    for cell, title in zip(header.cells, words["pledge_columns"], strict=True):
        _cell_text(cell, title, bold=True, size=PLEDGE_HEADER_SIZE)
    # The header row repeats on each page; no row is cut in two by a page break.
    _repeat_header(header)
    _cant_split(header)
    # docxtpl repeats the row between {%tr for %} and {%tr endfor %} once per pledge.
    _cell_text(loop_row.cells[0], "{%tr for pledge in pledges %}", size=PLEDGE_SIZE)
    # The loop tags take whole rows; the real row sits between them.
    row = table.add_row()
    table._tbl.remove(row._tr)
    loop_row._tr.addnext(row._tr)
    _cant_split(row)
    for cell, value, width in zip(row.cells, PLEDGE_VALUES, widths, strict=True):
        cell.width = Mm(width)
        left = value.endswith(_LEFT_ALIGNED)
        _cell_text(
            cell,
            value,
            size=PLEDGE_SIZE,
            align=WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.CENTER,
        )
    _cell_text(end_row.cells[0], "{%tr endfor %}", size=PLEDGE_SIZE)
    total = table.add_row()
    _cant_split(total)
    for cell, width in zip(total.cells, widths, strict=True):
        cell.width = Mm(width)
    _cell_text(total.cells[2], "{{ pledged_total }}", bold=True, size=PLEDGE_SIZE)
    # The label spans the first two columns, so it stays on one line.
    label = total.cells[0].merge(total.cells[1])
    _cell_text(label, words["total"], bold=True, size=PLEDGE_SIZE)


# The signature block's rows, in mm: party and position (three lines of 13 pt), the blank
# area for the signature field (72 pt and a little room), the name.
SIGNATURE_TITLE_MM = 24
SIGNATURE_AREA_MM = 27
SIGNATURE_NAME_MM = 8
ANCHOR_SIZE = 2  # points: LibreOffice keeps it as text, no reader sees it (white)


def _anchor(cell, variable: str) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = 1.0
    run = paragraph.add_run("{{ " + variable + " }}")
    run.font.size = Pt(ANCHOR_SIZE)
    run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)


def _signature_block(document, words) -> None:
    _paragraph(document, "", keep_with_next=True)
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    half = TEXT_WIDTH_MM / 2
    _fixed_widths(table, [half, half])
    # One outer row that never splits: both blocks stay together on one page.
    _cant_split(table.rows[0])
    parties = (
        ("authority_signatory", "sign_here_authority", words["party_a_sign"]),
        ("partner_signatory", "sign_here_business", words["party_b_sign"]),
    )
    for cell, (party, anchor, label) in zip(table.rows[0].cells, parties, strict=True):
        block = cell.add_table(rows=3, cols=1)
        _no_borders(block)
        _fixed_widths(block, [half - 2])
        title, area, name = block.rows
        for row, height in (
            (title, SIGNATURE_TITLE_MM),
            (area, SIGNATURE_AREA_MM),
            (name, SIGNATURE_NAME_MM),
        ):
            _exact_height(row, height)
            _cant_split(row)
        _cell_text(title.cells[0], label, bold=True, size=13)
        _cell_line(title.cells[0], "{{ " + party + ".position|upper }}", bold=True, size=13)
        _anchor(area.cells[0], anchor)
        _cell_text(name.cells[0], "{{ " + party + ".name }}", bold=True, size=13)
        # python-docx leaves the cell's first paragraph above the block and adds one after
        # it (Word wants a cell to end with a paragraph): drop the first, shrink the last.
        leading, trailing = cell.paragraphs[0], cell.paragraphs[-1]
        cell._tc.remove(leading._p)
        trailing.paragraph_format.space_after = Pt(0)
        trailing.paragraph_format.line_spacing = 1.0
        trailing.add_run("").font.size = Pt(1)


def build(words: dict, articles: list[tuple[str, list[str]]], path: Path) -> None:
    document = _base_document()
    _header_block(document, words)
    _paragraph(document, "", space_after=6)
    _paragraph(
        document,
        words["title"],
        bold=True,
        size=14,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        space_after=0,
        keep_with_next=True,
    )
    _paragraph(
        document,
        "{{ title }}",
        bold=True,
        size=13,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        keep_with_next=True,
    )
    _paragraph(document, "__________", align=WD_ALIGN_PARAGRAPH.CENTER, size=8, space_after=8)
    for basis in words["bases"]:
        _paragraph(
            document, basis, italic=True, indent_first=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY
        )
    _paragraph(document, words["today"], indent_first=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    for line in words["party_a"]:
        _paragraph(document, line, bold=line.startswith(("BÊN A", "PARTY A")), indent_first=True)
    for line in words["party_b"]:
        _paragraph(document, line, bold=line.startswith(("BÊN B", "PARTY B")), indent_first=True)
    _paragraph(document, words["agree"], indent_first=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    for heading, paragraphs in articles:
        _paragraph(document, heading, bold=True, keep_with_next=True, indent_first=True)
        for text in paragraphs:
            if text == "PLEDGE_TABLE":
                _pledge_table(document, words)
                _paragraph(document, "", space_after=0)
                continue
            _paragraph(document, text, indent_first=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _paragraph(
        document,
        words["closing"],
        indent_first=True,
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
        keep_with_next=True,
    )
    _signature_block(document, words)
    document.core_properties.title = words["title"]
    document.core_properties.author = "partnerships registry"
    document.save(path)


VI_WORDS = {
    "number": "Số:",
    "motto_1": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "motto_2": "Độc lập - Tự do - Hạnh phúc",
    "place_date": "{{ place_name }}, {{ document_date }}",
    "title": "BẢN GHI NHỚ",
    "bases": [
        "Căn cứ Nghị định số 49/2020/NĐ-CP ngày 17 tháng 4 năm 2020 của Chính phủ quy định "
        "chi tiết thi hành Luật Thi hành án hình sự về tái hòa nhập cộng đồng;",
        "Căn cứ nhu cầu và khả năng của hai bên,",
    ],
    "today": "Hôm nay, {{ document_date }}, tại {{ place_name }}, chúng tôi gồm:",
    "party_a": [
        "BÊN A: {{ authority.name|upper }}",
        "Địa chỉ: {{ authority.address }}",
        "Đại diện: {{ authority_signatory.name }} - Chức vụ: {{ authority_signatory.position }}",
    ],
    "party_b": [
        "BÊN B: {{ partner.name|upper }}",
        "Mã số thuế: {{ partner.tax_code }}",
        "Địa chỉ: {{ partner.address }}",
        "Đại diện: {{ partner_signatory.name }} - Chức vụ: {{ partner_signatory.position }}",
    ],
    "agree": "Hai bên thống nhất ký Bản ghi nhớ với các nội dung sau:",
    "pledge_columns": [
        "STT",
        "Hình thức",
        "Số lượng",
        "Nhóm đối tượng",
        "Nghề, vị trí",
        "Lương tối thiểu (đồng/tháng)",
        "Nơi làm việc",
        "Hạn hoàn thành",
    ],
    "total": "Tổng cộng",
    "closing": "Bản ghi nhớ được lập thành văn bản điện tử, được ký số bởi đại diện hai bên và "
    "có giá trị pháp lý như bản gốc theo Luật Giao dịch điện tử số 20/2023/QH15.",
    "party_a_sign": "ĐẠI DIỆN BÊN A",
    "party_b_sign": "ĐẠI DIỆN BÊN B",
}

VI_ARTICLES = [
    (
        "Điều 1. Mục đích",
        [
            "Phối hợp tiếp nhận, đào tạo nghề và tạo việc làm cho người chấp hành xong án phạt tù, "
            "người chấp hành án hình sự tại cộng đồng, người sau cai nghiện ma túy, giúp họ ổn định "
            "cuộc sống, tái hòa nhập cộng đồng; không kỳ thị, phân biệt đối xử.",
        ],
    ),
    (
        "Điều 2. Trách nhiệm của Bên A",
        [
            "1. Giới thiệu người có nhu cầu việc làm, học nghề đến Bên B khi có sự đồng ý của họ.",
            "2. Tư vấn, hỗ trợ tâm lý, pháp lý; hướng dẫn thủ tục vay vốn và các thủ tục hành chính.",
            "3. Phối hợp theo dõi, động viên người lao động trong thời gian làm việc tại Bên B.",
        ],
    ),
    (
        "Điều 3. Trách nhiệm của Bên B",
        [
            "1. Tiếp nhận, tạo việc làm và đào tạo nghề theo các cam kết sau:",
            "PLEDGE_TABLE",
            "2. Ký hợp đồng lao động, đóng bảo hiểm theo quy định; trả lương không thấp hơn mức lương "
            "tối thiểu vùng.",
            "3. Bảo mật thông tin cá nhân của người lao động; không kỳ thị, phân biệt đối xử; cử người "
            "kèm cặp, hướng dẫn.",
            "4. Định kỳ 6 tháng báo cáo Bên A kết quả tiếp nhận, sử dụng lao động (số liệu ẩn danh).",
        ],
    ),
    (
        "Điều 4. Thời hạn, sơ kết và tổng kết",
        [
            "Bản ghi nhớ có hiệu lực từ {{ term_start }} đến {{ term_end }}. "
            "Hai bên sơ kết vào {{ mid_review_date }} và tổng kết vào {{ final_review_date }}.",
        ],
    ),
    (
        "Điều 5. Sửa đổi, bổ sung và chấm dứt",
        [
            "Việc sửa đổi, bổ sung Bản ghi nhớ do hai bên thỏa thuận bằng văn bản. Mỗi bên có thể "
            "chấm dứt Bản ghi nhớ trước thời hạn khi thông báo cho bên kia bằng văn bản, nêu rõ lý do.",
        ],
    ),
    (
        "Điều 6. Dữ liệu cá nhân",
        [
            "Dữ liệu cá nhân trao đổi giữa hai bên chỉ được dùng cho mục đích của Bản ghi nhớ; khi "
            "Bản ghi nhớ chấm dứt, Bên B trả lại hoặc xóa dữ liệu theo yêu cầu của Bên A.",
        ],
    ),
]

EN_WORDS = {
    "number": "No.:",
    "motto_1": "SOCIALIST REPUBLIC OF VIETNAM",
    "motto_2": "Independence - Freedom - Happiness",
    "place_date": "{{ place_name }}, {{ document_date }}",
    "title": "MEMORANDUM OF UNDERSTANDING",
    "bases": [
        "Pursuant to Decree No. 49/2020/ND-CP of 17 April 2020 on community reintegration;",
        "In view of the needs and capacities of both parties,",
    ],
    "today": "On {{ document_date }}, at {{ place_name }}, we, the undersigned:",
    "party_a": [
        "PARTY A: {{ authority.name|upper }}",
        "Address: {{ authority.address }}",
        "Represented by: {{ authority_signatory.name }}, {{ authority_signatory.position }}",
    ],
    "party_b": [
        "PARTY B: {{ partner.name|upper }}",
        "Tax code: {{ partner.tax_code }}",
        "Address: {{ partner.address }}",
        "Represented by: {{ partner_signatory.name }}, {{ partner_signatory.position }}",
    ],
    "agree": "The parties agree on the following:",
    "pledge_columns": [
        "No.",
        "Kind",
        "Places",
        "Target groups",
        "Occupation",
        "Minimum wage (VND/month)",
        "Workplace",
        "Due date",
    ],
    "total": "Total",
    "closing": "This memorandum is made as an electronic document, digitally signed by both "
    "parties, with the legal effect of an original under Law 20/2023/QH15 on Electronic "
    "Transactions.",
    "party_a_sign": "FOR PARTY A",
    "party_b_sign": "FOR PARTY B",
}

EN_ARTICLES = [
    (
        "Article 1. Purpose",
        [
            "To receive, train and employ people who have completed a prison sentence, people serving "
            "a sentence in the community and people after drug rehabilitation, without stigma or "
            "discrimination, so that they can rebuild their lives.",
        ],
    ),
    (
        "Article 2. Duties of Party A",
        [
            "1. Refer candidates to Party B with their consent.",
            "2. Provide counselling and legal help; assist with loans and paperwork.",
            "3. Follow up with the people placed while they work for Party B.",
        ],
    ),
    (
        "Article 3. Duties of Party B",
        [
            "1. Receive, employ and train people according to the following pledges:",
            "PLEDGE_TABLE",
            "2. Sign labour contracts and pay statutory insurance; pay at least the regional minimum "
            "wage.",
            "3. Keep personal data confidential; do not discriminate; name a mentor.",
            "4. Report anonymised results to Party A every six months.",
        ],
    ),
    (
        "Article 4. Term and reviews",
        [
            "This memorandum is in force from {{ term_start }} to {{ term_end }}. The parties hold a "
            "mid-term review on {{ mid_review_date }} and a final review on {{ final_review_date }}.",
        ],
    ),
    (
        "Article 5. Amendment and termination",
        [
            "Amendments are agreed in writing. Either party may end this memorandum early by written "
            "notice stating its reasons.",
        ],
    ),
    (
        "Article 6. Personal data",
        [
            "Personal data exchanged serves only the purpose of this memorandum; when it ends, Party B "
            "returns or deletes such data at Party A's request.",
        ],
    ),
]


def write_manifest(key: str, name: str, language: str) -> None:
    """The manifest says what a template is and where its signature blocks are: each block
    is found in the PDF by its anchor, printed at the top of the blank signature area."""
    manifest = {
        "key": key,
        "name": name,
        "language": language,
        "variables": sorted(TEMPLATE_VARIABLES),
        "signature_blocks": {
            "authority": {"anchor": "sign_here_authority", "page": "last"},
            "business": {"anchor": "sign_here_business", "page": "last"},
        },
    }
    (HERE / f"{key}.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")


TEMPLATE_VARIABLES = {
    "authority",
    "partner",
    "authority_signatory",
    "partner_signatory",
    "document_number",
    "document_date",
    "place_name",
    "title",
    "pledges",
    "pledged_total",
    "term_start",
    "term_end",
    "mid_review_date",
    "final_review_date",
    "sign_here_authority",
    "sign_here_business",
}


if __name__ == "__main__":
    build(VI_WORDS, VI_ARTICLES, HERE / "bgn_vi.docx")
    write_manifest("bgn_vi", "Bản ghi nhớ (Nghị định 30)", "vi")
    build(EN_WORDS, EN_ARTICLES, HERE / "mou_en.docx")
    write_manifest("mou_en", "Memorandum of understanding (English)", "en")
    print("Wrote", HERE / "bgn_vi.docx", "and", HERE / "mou_en.docx", "with their manifests")
