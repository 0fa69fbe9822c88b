"""Links that keep the filters of the page they are on (Django's {% querystring %})."""

import re
from html import unescape

from django.urls import reverse


def links(page: str, pattern: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="([^"]*)"', page) if pattern in href]


def test_the_export_buttons_keep_the_filters_and_drop_the_page(report_world, client_as):
    browser = client_as(report_world.staff)
    page = browser.get("/reports/mous/?state=active&page=1").content.decode()

    exports = links(page, "_export=")
    assert sorted(exports) == ["?state=active&_export=csv", "?state=active&_export=xlsx"]


def test_the_mou_list_exports_what_the_filters_show(world, client_as):
    page = client_as(world.staff).get(reverse("mou_list") + "?q=may").content.decode()

    assert "?q=may&_export=csv" in links(page, "_export=csv")


def test_opening_an_authority_one_level_down_keeps_the_filters(report_world, client_as):
    w = report_world
    page = client_as(w.admin).get("/reports/authorities/?state=active&_export=").content
    drill = links(page.decode(), "root=")

    assert f"/reports/authorities/?state=active&root={w.long_an.pk}" in drill
    assert not [link for link in drill if "_export" in link]
