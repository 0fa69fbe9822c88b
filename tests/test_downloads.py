"""Every download goes out the same way: spreadsheets with a byte-order mark (Excel then reads
Vietnamese), and a file name a browser takes as an attachment even beyond ASCII."""

from urllib.parse import quote

from django.urls import reverse


def test_the_mou_list_csv_starts_with_a_byte_order_mark(client_as, world):
    response = client_as(world.staff).get(reverse("mou_list"), {"_export": "csv"})

    assert response.content.startswith("\ufeff".encode())
    text = response.content.decode("utf-8-sig")
    assert "Bến Lức" in text


def test_a_download_named_with_a_vietnamese_letter_is_still_an_attachment(client_as, world):
    authority = world.mou.authority
    authority.code = "ĐUBND"
    authority.save()
    document = world.mou.ready_document()

    response = client_as(world.staff).get(
        reverse("document_download", args=[world.mou.pk, document.pk, "pdf"])
    )

    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    # RFC 6266's encoded name, which browsers read; never the raw letter in filename="...".
    assert "filename*=utf-8''" + quote(f"1-BGN-ĐUBND-{world.mou.year}-r1.pdf") in disposition
    assert "Đ" not in disposition
