"""Checking and filling Word templates: what is refused (and how the refusal says why), and
what filling does with the values. No database and no LibreOffice: bytes in, bytes out.

Bad templates are made from the built-in ones by adding a paragraph with python-docx, so
apart from the mistake under test they are real, otherwise valid templates."""

import io
import json
import time
import zipfile

import pytest
from django.utils import translation
from docx import Document

from partnerships.documents.engine.anchors import SIGNATURE_ANCHORS
from partnerships.documents.engine.fill import (
    TemplateError,
    fill_template,
    template_variables,
    validate_template,
)
from partnerships.documents.rendering import PROVIDED_VARIABLES
from tests.factories import (
    TEMPLATE_DIR,
    a_docx_with_a_damaged_part,
    a_legacy_doc,
    a_png,
    a_truncated_docx,
    a_zip_that_is_not_a_docx,
    an_encrypted_docx,
    built_in_template,
    template_with_paragraph,
)

BUILT_IN = ["bgn_vi", "mou_en"]

NOT_A_DOCX = "The file is not a Word document (.docx)."
DAMAGED = "The Word document is damaged and cannot be read."


def refusal(data: bytes) -> str:
    """The message a template is refused with (in English), or fail if it is accepted."""
    with translation.override("en"):
        with pytest.raises(TemplateError) as refused:
            validate_template(data, provided=set(PROVIDED_VARIABLES))
        return str(refused.value.message)


def sample_context(**overrides) -> dict:
    pledge = {
        "index": 1,
        "kind": "Việc làm",
        "quantity": 10,
        "target_groups": "Người chấp hành xong án phạt tù",
        "occupation": "Thợ may",
        "min_monthly_wage": "6.500.000",
        "workplace": "Bến Lức",
        "due_date": "…",
    }
    context = {
        "document_number": "7/BGN-UBND",
        "document_date": "ngày 05 tháng 02 năm 2026",
        "place_name": "Bến Lức",
        "title": "Tiếp nhận lao động",
        "authority": {
            "name": "UBND xã Bến Lức",
            "parent_name": "UBND tỉnh Long An",
            "address": "Bến Lức",
            "code": "UBND",
        },
        "partner": {"name": "Công ty May Bến Lức", "tax_code": "0312345678", "address": ""},
        "authority_signatory": {"name": "Võ Minh Tâm", "position": "Chủ tịch"},
        "partner_signatory": {"name": "Nguyễn Thị Hoa", "position": "Giám đốc"},
        "pledges": [pledge],
        "pledged_total": 10,
        "term_start": "ngày 01 tháng 3 năm 2026",
        "term_end": "ngày 28 tháng 02 năm 2028",
        "mid_review_date": "…",
        "final_review_date": "…",
        "sign_here_authority": SIGNATURE_ANCHORS["authority"],
        "sign_here_business": SIGNATURE_ANCHORS["business"],
    }
    return context | overrides


def document_text(docx: bytes) -> list[str]:
    """Every paragraph's text, body and table cells, as Word shows it."""
    document = Document(io.BytesIO(docx))
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.extend(cell.text for cell in row.cells)
    return lines


# --- The built-in templates ---------------------------------------------------------------


@pytest.mark.parametrize("key", BUILT_IN)
def test_the_built_in_templates_are_accepted_and_use_what_their_manifest_lists(key):
    manifest = json.loads((TEMPLATE_DIR / f"{key}.json").read_text())

    used = validate_template(built_in_template(key), provided=set(PROVIDED_VARIABLES))

    assert used == set(manifest["variables"])
    assert set(manifest["signature_blocks"]) == {"authority", "business"}


def test_a_changed_but_valid_copy_is_accepted():
    changed = template_with_paragraph("Điều 7. Liên hệ: {{ partner.name }}, {{ partner.address }}.")

    assert "partner" in validate_template(changed, provided=set(PROVIDED_VARIABLES))


# --- Files that are not a usable Word document ----------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(a_png, NOT_A_DOCX, id="a PNG image"),
        pytest.param(lambda: "Bản ghi nhớ\n".encode(), NOT_A_DOCX, id="plain text"),
        pytest.param(
            an_encrypted_docx,
            "The file is password-protected: remove the password in Word, then upload it.",
            id="encrypted",
        ),
        pytest.param(
            a_legacy_doc,
            "This is an old Word (.doc) file: save it as .docx in Word, then upload it.",
            id="legacy .doc",
        ),
        pytest.param(a_truncated_docx, DAMAGED, id="truncated DOCX"),
        pytest.param(a_docx_with_a_damaged_part, DAMAGED, id="DOCX with a damaged part"),
        pytest.param(a_zip_that_is_not_a_docx, NOT_A_DOCX, id="zip that is not a DOCX"),
        pytest.param(lambda: b"", "The file is empty.", id="empty file"),
        pytest.param(
            lambda: b"PK" + bytes(6 * 1024 * 1024), "The file is larger than 5 MB.", id="too large"
        ),
    ],
)
def test_a_file_that_is_not_a_usable_docx_is_refused_with_a_clear_message(make, message):
    assert refusal(make()) == message


# --- Templates whose tags are wrong ---------------------------------------------------------


def test_a_variable_the_registry_does_not_provide_is_named():
    message = refusal(template_with_paragraph("Người liên hệ: {{ unknown_variable }}"))

    assert message == (
        "The template uses variables the registry does not provide: unknown_variable."
    )


def test_every_unknown_variable_is_named_once():
    message = refusal(
        template_with_paragraph("{{ fax_number }} {{ bank_account }} {{ fax_number }}")
    )

    assert message.endswith(": bank_account, fax_number.")


def test_a_for_loop_without_endfor_is_refused_naming_the_missing_tag():
    message = refusal(template_with_paragraph("{% for x in pledges %}{{ x.occupation }}"))

    assert message.startswith("The template has a syntax error")
    assert "'endfor'" in message
    assert "'for'" in message


def test_an_if_without_endif_is_refused_naming_the_missing_tag():
    message = refusal(template_with_paragraph("{% if title %}Có tiêu đề"))

    assert "'endif'" in message


def test_an_unclosed_variable_tag_is_refused_naming_the_tag():
    message = refusal(template_with_paragraph("Bên B: {{ partner.name "))

    assert message.startswith("The template has a syntax error in the tag “{{ partner.name”")


def test_a_variable_tag_closed_with_one_brace_is_refused_naming_the_tag():
    message = refusal(template_with_paragraph("Bên B: {{ partner.name }."))

    assert "“{{ partner.name }.”" in message


def test_a_malformed_expression_is_refused_naming_the_tag():
    message = refusal(template_with_paragraph("Bên B: {{ partner..name }}"))

    assert "“{{ partner..name }}”" in message


def test_a_stray_endfor_is_refused_naming_it():
    message = refusal(template_with_paragraph("{% endfor %}"))

    assert "'endfor'" in message


def test_an_unknown_filter_is_refused_naming_it():
    message = refusal(template_with_paragraph("{{ partner.name|shout }}"))

    assert "'shout'" in message


def test_a_mistake_in_the_english_template_is_found_too():
    message = refusal(template_with_paragraph("Party B: {{ partner.name ", key="mou_en"))

    assert "“{{ partner.name”" in message


def test_the_variables_of_a_template_are_listed_without_checking_them():
    variables = template_variables(template_with_paragraph("{{ unknown_variable }}"))

    assert {"unknown_variable", "partner", "pledges"} <= variables


# --- Filling ------------------------------------------------------------------------------


def test_filling_keeps_ampersands_and_angle_brackets_as_written():
    context = sample_context(
        title="Tiếp nhận lao động A&B <2026>",
        partner={"name": "Công ty A & B <Việt Nam>", "tax_code": "0312345678", "address": ""},
    )

    docx = fill_template(built_in_template(), context)

    lines = document_text(docx)
    assert "Tiếp nhận lao động A&B <2026>" in lines
    assert "BÊN B: CÔNG TY A & B <VIỆT NAM>" in lines
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        xml = archive.read("word/document.xml").decode()
    # Escaped once in the XML: the document stays valid and Word shows the characters.
    assert "A &amp; B &lt;VIỆT NAM&gt;" in xml
    assert "&amp;amp;" not in xml


def test_filling_writes_one_table_row_per_pledge_and_no_template_tags():
    pledges = [
        dict(sample_context()["pledges"][0], index=number, occupation=occupation)
        for number, occupation in enumerate(["Thợ may", "Thợ hàn", "Thợ điện"], 1)
    ]

    docx = fill_template(built_in_template(), sample_context(pledges=pledges, pledged_total=30))

    document = Document(io.BytesIO(docx))
    pledge_table = next(t for t in document.tables if t.rows[0].cells[0].text == "STT")
    rows = [[cell.text for cell in row.cells] for row in pledge_table.rows]
    # The total's label spans the first two columns.
    assert [row[0] for row in rows] == ["STT", "1", "2", "3", "Tổng cộng"]
    assert [row[4] for row in rows[1:4]] == ["Thợ may", "Thợ hàn", "Thợ điện"]
    assert rows[0][7] == "Hạn hoàn thành"
    assert [row[7] for row in rows[1:4]] == ["…"] * 3
    assert rows[-1][1:3] == ["Tổng cộng", "30"]
    assert not any("{{" in line or "{%" in line for line in document_text(docx))


def test_filling_names_a_field_the_registry_does_not_provide():
    with translation.override("en"), pytest.raises(TemplateError) as refused:
        fill_template(template_with_paragraph("Fax: {{ partner.fax_number }}"), sample_context())

    assert "fax_number" in str(refused.value.message)


def test_a_template_filled_again_from_its_compiled_parts_carries_only_the_new_values():
    """The first fill of a template prepares and compiles its parts in this process; the
    next fills reuse them. Each document must still say what its own MoU says, nothing of
    the last."""
    from partnerships.documents.engine import fill, sandbox

    template = template_with_paragraph("Bên B: {{ partner.name }} nhận {{ pledged_total }} người")
    first = fill_template(
        template, sample_context(partner={"name": "Công ty Một", "tax_code": "1", "address": ""})
    )
    remembered = len(sandbox.COMPILED), len(fill.PATCHED)
    assert any("partner.name" in source for source in sandbox.COMPILED.texts())
    second = fill_template(
        template,
        sample_context(
            partner={"name": "Hợp tác xã Hai", "tax_code": "2", "address": ""}, pledged_total=7
        ),
    )
    assert (len(sandbox.COMPILED), len(fill.PATCHED)) == remembered  # nothing done again
    assert "Bên B: Công ty Một nhận 10 người" in document_text(first)
    assert "Bên B: Hợp tác xã Hai nhận 7 người" in document_text(second)
    assert not any("Công ty Một" in line for line in document_text(second))
    # The sandbox holds for compiled parts too: a branch that reaches for internals, not
    # taken by the first fill, is refused when a later fill takes it.
    escape = template_with_paragraph(
        "{% if pledged_total == 99 %}{{ partner.name.__class__ }}{% endif %}"
    )
    fill_template(escape, sample_context())
    with pytest.raises(TemplateError):
        fill_template(escape, sample_context(pledged_total=99))


def _constants(code):
    for constant in code.co_consts:
        if hasattr(constant, "co_consts"):
            yield from _constants(constant)
        else:
            yield constant


def test_compiling_a_template_runs_none_of_its_filters():
    """Compiling also happens in the worker itself, outside a fill's budget (the parts are
    compiled once per process): Jinja must not work out constant expressions then, such
    as a huge string in a branch no MoU takes, or an autoescape switch."""
    from partnerships.documents.engine import sandbox

    huge = 50_000_000
    source = (
        "{% if pledged_total == -1 %}{{ 'x'|center(" + str(huge) + ") }}{% endif %}"
        "{% autoescape ('y'|center(" + str(huge) + ")|length) > 0 %}{{ title }}{% endautoescape %}"
    )
    code = sandbox.TemplateSandbox().compile(source)
    assert max(len(c) for c in _constants(code) if isinstance(c, str)) < 1000
    # Filled, the branch is not taken and the switch keeps escaping on.
    docx = fill_template(template_with_paragraph(source), sample_context(title="A & B"))
    assert "A & B" in document_text(docx)


def test_the_worker_keeps_a_bounded_memo_and_survives_any_reply_of_a_child():
    """What a (compromised) child says it compiled is compiled again by the worker only if
    it is text, is skipped if Python cannot compile it, and the memo stays bounded."""
    from partnerships.documents.engine import sandbox
    from partnerships.documents.engine.memo import ParentMemo

    memo = ParentMemo(sandbox.compile_template)
    nested = "{% for a in b %}" * 25 + "{% endfor %}" * 25  # too deep for Python's compiler
    memo.remember([nested, 42, None, b"{{ x }}"])
    memo.remember("not a list")
    assert len(memo) == 0
    part = "<w:t>Bên B cam kết</w:t>" * 30_000 + "{{ title }}"  # about 0.7 MB
    for number in range(10):
        memo.remember([f"<!-- {number} -->{part}"])
    assert sum(len(text) for text in memo.texts()) <= ParentMemo.MAX_TOTAL_TEXT
    assert memo.texts()[-1].startswith("<!-- 9 -->")  # the latest kept, the oldest gone
    memo.remember(["x" * (ParentMemo.MAX_TEXT + 1)])
    assert not any(text.startswith("xxx") for text in memo.texts())


def test_a_text_slow_to_prepare_costs_the_worker_nothing_and_is_not_kept():
    """docxtpl's clean-up is quadratic on some texts: a child taken over by a template
    could report one that would hold the worker for minutes. It is tried in a child of its
    own first, under a budget, and the worker skips it."""
    from partnerships.documents.engine import fill
    from partnerships.documents.engine.memo import ParentMemo

    slow = "{{" + "</w:t>" * 160_000  # about 1 MB: minutes of docxtpl's regular expressions
    memo = ParentMemo(fill._patch)
    started, cpu_started = time.monotonic(), time.process_time()

    memo.remember([slow, "<w:t>{{ title }}</w:t>"])

    assert time.process_time() - cpu_started < 1  # the worker's own CPU
    assert time.monotonic() - started < ParentMemo.CHECK_BUDGET.wall_seconds + 2
    assert slow not in memo.texts()


def test_the_worker_works_out_each_reported_text_once_whatever_the_reply_repeats():
    """Repeats in a reply, or texts pushed out of the memo by the same reply, are not worked
    out again: the worker does at most what the check child did."""
    from partnerships.documents.engine.memo import ParentMemo

    worked = []
    memo = ParentMemo(lambda text: worked.append(text) or len(text))
    big = [f"<!-- {n} -->" + "x" * (ParentMemo.MAX_TEXT - 20) for n in range(5)]  # > 4 MB

    memo.remember(big * 12)

    assert sorted(worked) == sorted(big)
