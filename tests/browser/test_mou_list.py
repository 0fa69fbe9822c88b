"""The MoU list's filters narrow the table, and the CSV export keeps the filter."""

import csv

import pytest

from partnerships.models import MouState
from tests.factories import bring_to, make_mou
from tests.factories.browser import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_state_filter_narrows_the_table_and_the_csv_export_keeps_it(world, page):
    sent = [
        bring_to(make_mou(world.ben_luc, world.garment, title=f"Đã gửi {n}"), MouState.SENT)
        for n in (1, 2)
    ]
    bring_to(make_mou(world.ben_luc, world.garment, title="Đã hủy"), MouState.CANCELLED)
    log_in(page, world.staff)

    page.goto("/mous/")
    rows = page.locator(".table-wrap table tbody tr")
    assert rows.count() == 4  # the fixture's draft, two sent, one cancelled

    filters = page.locator("form.filters")
    filters.locator('input[name="state"][value="sent"]').check()
    filters.locator("button[type=submit]").click()
    page.wait_for_url("**/mous/?*state=sent*")
    assert rows.count() == 2
    assert filters.locator('input[name="state"][value="sent"]').is_checked()
    listed = {rows.nth(i).locator("td").first.inner_text().strip() for i in range(2)}
    assert listed == {mou.document_number for mou in sent}

    export = page.locator('a[href*="_export=csv"]')
    assert "state=sent" in export.get_attribute("href")
    with page.expect_download() as download_info:
        export.click()
    download = download_info.value
    assert download.suggested_filename == "mous.csv"
    with open(download.path(), encoding="utf-8-sig", newline="") as exported:
        header, *records = list(csv.reader(exported))
    assert len(header) >= 9
    assert {record[0] for record in records} == {mou.document_number for mou in sent}
