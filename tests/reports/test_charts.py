"""The pledged-versus-delivered chart: SVG drawn on the server, well-formed, escaped, with
no inline style (the Content-Security-Policy forbids it) and no script."""

import re
import xml.etree.ElementTree as ET

import pytest

from partnerships.models import Partner
from partnerships.reports.charts import Bar, pledged_vs_delivered

SVG = "{http://www.w3.org/2000/svg}"


def chart_of(html: str) -> ET.Element:
    match = re.search(r"<svg .*?</svg>", html, re.S)
    assert match, "no chart on the page"
    return ET.fromstring(match.group(0))  # noqa: S314 - our own markup


@pytest.mark.parametrize(
    "url",
    [
        "/reports/mous/",
        "/reports/partners/",
        "/reports/authorities/",
        "/reports/groups/",
        "/reports/periods/",
        "/reports/province/",
    ],
)
def test_every_report_has_a_well_formed_chart(report_world, client_as, url):
    response = client_as(report_world.admin).get(url)
    html = response.content.decode()
    svg = chart_of(html)
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img" and svg.find(f"{SVG}title").text
    assert len(svg.findall(f".//{SVG}rect")) >= 5  # legend, and two bars a row
    assert "style=" not in html.split("<svg")[1].split("</svg>")[0]
    assert "<script" not in html.split("<main>")[1]
    assert "style-src 'self'" in response["Content-Security-Policy"]


def test_bars_are_to_scale_and_flag_lagging_rows():
    svg = ET.fromstring(  # noqa: S314 - our own markup
        pledged_vs_delivered(
            [Bar("A", pledged=40, delivered=10), Bar("B", pledged=20, delivered=20, flagged=True)],
            title="t",
        )
    )
    rows = svg.findall(f"{SVG}g")
    widths = [[float(rect.get("width")) for rect in row.findall(f"{SVG}rect")] for row in rows]
    (a_pledged, a_delivered), (b_pledged, b_delivered) = widths
    assert a_pledged == pytest.approx(4 * a_delivered) and a_pledged == pytest.approx(2 * b_pledged)
    assert b_pledged == pytest.approx(b_delivered)
    colours = [row.findall(f"{SVG}rect")[1].get("fill") for row in rows]
    assert colours[0] != colours[1]


def test_names_are_escaped(report_world, client_as):
    Partner.objects.filter(pk=report_world.garment.pk).update(name='Công ty <May> & "Dệt"')
    html = client_as(report_world.admin).get("/reports/partners/").content.decode()
    svg = chart_of(html)
    labels = [text.text for text in svg.iter(f"{SVG}text")]
    assert 'Công ty <May> & "Dệt"' in labels


def test_an_empty_report_still_draws(report_world, client_as):
    html = client_as(report_world.other_staff).get("/reports/mous/").content.decode()
    svg = chart_of(html)
    assert "Nothing to show." in [text.text for text in svg.iter(f"{SVG}text")]
