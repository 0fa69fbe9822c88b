"""Odd characters in addresses and forms get a clean answer, never a server error: "²" is
a digit to Python's isdigit() but no number, and PostgreSQL refuses a NUL character in any
value it compares or stores."""

import pytest

SUPERSCRIPT_TWO = "²"

ODD_NUMBERS = [
    pytest.param("/mous/?q=²", 200, id="MoU search"),
    pytest.param("/reports/mous/?q=²", 200, id="report search"),
    pytest.param("/reports/partners/?q=²", 200, id="partner report search"),
    pytest.param("/reports/authorities/?root=²", 404, id="report root"),
    pytest.param("/reports/province/?year=²", 200, id="province year"),
    pytest.param("/reports/province/?area=²", 200, id="province area"),
]


@pytest.mark.parametrize(("url", "status"), ODD_NUMBERS)
def test_a_superscript_digit_is_not_a_server_error(client_as, world, url, status):
    browser = client_as(world.admin)
    browser.raise_request_exception = False

    assert browser.get(url).status_code == status


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("١٢", id="Arabic-Indic digits"),
        pytest.param("99999999999999999999", id="beyond a database integer"),
        pytest.param("12/BGN-UBND²", id="a number with a superscript after it"),
        pytest.param("-1", id="negative"),
    ],
)
def test_other_odd_numbers_are_ignored_as_numbers(client_as, world, text):
    browser = client_as(world.admin)
    browser.raise_request_exception = False

    for url in ("/mous/?q={}", "/reports/mous/?q={}", "/reports/province/?year={}"):
        assert browser.get(url.format(text)).status_code == 200, url


def test_the_mou_search_still_finds_a_number(client_as, world):
    page = client_as(world.admin).get(f"/mous/?q={world.mou.number}").content.decode()

    assert world.mou.title in page


NUL_REQUESTS = [
    pytest.param("/mous/?q=a%00b", id="MoU search"),
    pytest.param("/partners/?q=%00", id="partner search"),
    pytest.param("/reports/partners/?q=%00", id="partner report search"),
    pytest.param("/placements/?confirmation=%00", id="placement filter"),
    pytest.param("/mous/?%00=1", id="in a parameter name"),
]


@pytest.mark.parametrize("url", NUL_REQUESTS)
def test_a_nul_character_in_a_query_is_a_bad_request(client_as, world, url):
    browser = client_as(world.admin)
    browser.raise_request_exception = False

    response = browser.get(url)

    assert response.status_code == 400
    assert "Request not understood" in response.content.decode()


def test_the_bad_request_page_is_translated(client_as, world):
    from django.utils import translation

    browser = client_as(world.admin, language="vi")
    with translation.override("vi"):
        title = translation.gettext("Request not understood")
    assert title != "Request not understood"

    assert title in browser.get("/partners/?q=%00").content.decode()
