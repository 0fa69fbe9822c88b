"""Exported cells are never formulas: a partner or an MoU title that starts like a formula
reaches every CSV and XLSX export as text, marked with a leading apostrophe (and, in XLSX,
stored as a string), so opening the export in a spreadsheet runs nothing."""

import csv
import io

import pytest
from openpyxl import load_workbook

from partnerships.models import Mou, Partner

HYPERLINK = '=HYPERLINK("http://x","y")'

EXPORTS = [
    "/mous/?_export={format}",
    "/reports/mous/?_export={format}",
    "/reports/partners/?_export={format}",
    "/reports/province/?_export={format}",
]


def csv_cells(response) -> list[str]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    return [cell for row in rows for cell in row]


def xlsx_cells(response) -> list:
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))  # not read-only: data types
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def export(client, url: str, file_format: str):
    return client.get(url.format(format=file_format))


def name_partner_like_a_formula(partner):
    """The partner had the name when its MoUs were sent (the per-MoU exports show the name
    fixed then) and has it still (the per-partner ones show today's)."""
    Partner.objects.filter(pk=partner.pk).update(name=HYPERLINK)
    Mou.objects.filter(partner=partner, parties_fixed_at__isnull=False).update(
        sent_partner_name=HYPERLINK
    )


@pytest.mark.parametrize("url", EXPORTS)
def test_a_partner_named_like_a_formula_stays_text_in_every_csv(report_world, client_as, url):
    name_partner_like_a_formula(report_world.garment)

    cells = csv_cells(export(client_as(report_world.admin), url, "csv"))

    assert "'" + HYPERLINK in cells
    assert not [cell for cell in cells if cell.startswith(("=", "+", "@", "\t", "\r"))]


@pytest.mark.parametrize("url", EXPORTS)
def test_a_partner_named_like_a_formula_stays_text_in_every_xlsx(report_world, client_as, url):
    name_partner_like_a_formula(report_world.garment)

    cells = xlsx_cells(export(client_as(report_world.admin), url, "xlsx"))

    named = [cell for cell in cells if cell.value == "'" + HYPERLINK]
    assert named and all(cell.data_type == "s" for cell in named)
    assert not [cell for cell in cells if cell.data_type == "f"]


OTHER_STARTS = [
    pytest.param("@SUM(1+1)*cmd|' /C calc'!A0", id="at sign"),
    pytest.param("+1+cmd|' /C notepad'!A1", id="plus"),
    pytest.param("-2+3+cmd|' /C calc'!A0", id="minus"),
    pytest.param("\t=1+1", id="tab"),
    pytest.param("\r=1+1", id="carriage return"),
    pytest.param("=1+1", id="plain formula"),
]


@pytest.mark.parametrize("title", OTHER_STARTS)
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_any_formula_start_in_an_mou_title_is_neutralised(
    report_world, client_as, title, file_format
):
    Mou.objects.filter(pk=report_world.active_mou.pk).update(title=title)

    for url in ("/mous/?_export={format}", "/reports/mous/?_export={format}"):
        response = export(client_as(report_world.admin), url, file_format)
        if file_format == "csv":
            values = csv_cells(response)
        else:
            cells = xlsx_cells(response)
            assert not [cell for cell in cells if cell.data_type == "f"]
            values = [cell.value for cell in cells]
        assert "'" + title in values, url
        assert title not in values, url


def test_numbers_stay_numbers(report_world, client_as):
    cells = xlsx_cells(
        export(client_as(report_world.admin), "/reports/mous/?_export={format}", "xlsx")
    )

    assert any(cell.data_type == "n" and cell.value == 10 for cell in cells)
