"""CSV and XLSX exports hold exactly what the filters select, in the table's order, with
the totals as the last row."""

import csv
import io

from openpyxl import load_workbook

from tests.factories.reports import BL20, KB10


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list]:
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = workbook.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_mou_export_keeps_the_filters(report_world, client_as):
    client = client_as(report_world.admin)
    rows = csv_rows(client.get("/reports/mous/?kind=training&_export=csv"))
    header, *lines, total = rows
    assert header[:3] == ["MoU", "Authority", "Year"]
    assert [(line[0], line[1], line[7], line[10]) for line in lines] == [
        ("10/BGN-UBND", "UBND xã Bến Lức", "2", "3")
    ]
    assert total[0] == "Total" and total[10:13] == ["3", "1", "33.3"]

    rows = xlsx_rows(client.get("/reports/mous/?kind=training&_export=xlsx"))
    header, *lines, total = rows
    assert [(line[0], line[10], line[11]) for line in lines] == [("10/BGN-UBND", 3, 1)]
    assert total[10:13] == [3, 1, 33.3]


def test_the_mou_export_follows_the_sort(report_world, client_as):
    client = client_as(report_world.admin)
    rows = csv_rows(client.get("/reports/mous/?sort=-quantity&_export=csv"))[1:-1]
    assert [int(row[10]) for row in rows] == [10, 5, 5, 3]
    rows = csv_rows(client.get("/reports/mous/?sort=quantity&_export=csv"))[1:-1]
    assert [int(row[10]) for row in rows] == [3, 5, 5, 10]


def test_lagging_and_state_filters(report_world, client_as):
    client = client_as(report_world.admin)
    rows = csv_rows(client.get("/reports/mous/?lagging=on&_export=csv"))[1:-1]
    assert {(row[0], row[1]) for row in rows} == {BL20, KB10}
    assert all(row[-1] == "yes" for row in rows)
    rows = csv_rows(client.get("/reports/mous/?state=reviewed&_export=csv"))
    assert rows[1:-1] == [] and rows[-1][10] == "0"


def test_the_partner_export_keeps_the_search(report_world, client_as):
    client = client_as(report_world.admin)
    rows = xlsx_rows(client.get("/reports/partners/?q=0700000001&_export=xlsx"))
    header, *partners, total = rows
    assert header[:3] == ["Partner", "Tax code", "MoUs"]
    assert [(row[0], row[1], row[3], row[4]) for row in partners] == [
        (report_world.quarry.name, "0700000001", 5, 1)
    ]
    assert total[0] == "Total" and total[2:5] == [1, 5, 1]


def test_grouped_exports(report_world, client_as):
    w = report_world
    client = client_as(w.admin)
    rows = csv_rows(client.get(f"/reports/authorities/?root={w.long_an.pk}&_export=csv"))
    assert rows[1][:5] == ["UBND xã Bến Lức", "Commune / ward", "UBND huyện Bến Lức", "2", "18"]
    assert rows[-1][0] == "Total" and rows[-1][3:6] == ["2", "18", "5"]
    rows = csv_rows(client.get("/reports/groups/?_export=csv"))
    by_group = {row[0]: row for row in rows[1:-1]}
    assert by_group["Released by amnesty"][1:3] == ["10", "1"]
    assert rows[-1][:3] == ["Total", "23", "6"]
    assert rows[-1][7:9] == ["2", "4"]  # women, men
    rows = xlsx_rows(client.get("/reports/periods/?kind=job&_export=xlsx"))
    assert rows[-1][0] == "Total" and rows[-1][2:4] == [20, 5]


def test_the_province_summary_exports_its_figures_ranking_and_commendations(
    report_world, client_as
):
    response = client_as(report_world.official).get("/reports/province/?_export=xlsx")
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    summary, ranking, _commended = workbook.worksheets
    figures = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
    assert figures["Area"] == "UBND tỉnh Long An"
    assert figures["People employed by partner businesses"] == 4  # P1 P2 P3 P7
    assert figures["People trained (vocational training, apprenticeship)"] == 1  # P6
    ranks = list(ranking.iter_rows(min_row=2, values_only=True))
    assert [row[:2] for row in ranks] == [(1, report_world.garment.name)]
    text = client_as(report_world.official).get("/reports/province/?_export=csv")
    assert "Ranking" not in text.content.decode("utf-8-sig").splitlines()[0]


def test_a_percentage_reads_the_same_on_the_page_and_in_the_export(report_world, client_as):
    """Line 2 of MoU 10: 1 of 3 places delivered, 33.3 % on both (once "33%" and 33.3)."""
    client = client_as(report_world.admin)
    page = client.get("/reports/mous/?kind=training").content.decode()
    exported = csv_rows(client.get("/reports/mous/?kind=training&_export=csv"))[1]

    assert exported[12] == "33.3"
    assert ">33.3%<" in page
    assert ">33%<" not in page
