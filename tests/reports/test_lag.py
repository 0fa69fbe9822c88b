"""The lag flag: an MoU in force whose delivery trails the share of its term elapsed by more
than DELIVERY_LAG_MARGIN, in the tables and on the dashboard."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from partnerships.mous import lifecycle
from partnerships.reports import queries
from partnerships.reports import tallies as tally
from partnerships.settings import env_share


def lagging(user):
    today = timezone.localdate()
    tally.ensure_fresh(as_of=today)
    count, worst = queries.lagging_mous(user=user, as_of=today)
    return count, [mou.pk for mou in worst]


def test_mous_behind_their_term_are_flagged(report_world):
    w = report_world
    count, worst = lagging(w.admin)
    # MoU 20 delivered 10% with two thirds of the term past, Kim Bảng 20%: both lag, the
    # worse first. MoU 10 (50%) is 17 points behind, within the 20-point margin.
    assert count == 2
    assert worst == [w.district_mou.pk, w.quarry_mou.pk]


def test_the_margin_is_a_setting(report_world, settings):
    w = report_world
    settings.DELIVERY_LAG_MARGIN = 0.1
    count, worst = lagging(w.admin)
    assert count == 3 and w.active_mou.pk in worst
    settings.DELIVERY_LAG_MARGIN = 0.7
    assert lagging(w.admin) == (0, [])


def test_a_closed_mou_no_longer_lags(report_world):
    w = report_world
    lifecycle.perform(w.district_mou, "terminate", actor=None, note="Ngừng hợp tác.")
    count, worst = lagging(w.admin)
    assert (count, worst) == (1, [w.quarry_mou.pk])


def test_the_flag_shows_on_the_dashboard_and_in_the_tables(report_world, client_as):
    w = report_world
    dashboard = client_as(w.official).get("/").content.decode()
    # The official of Long An sees MoU 20, not Hà Nam's.
    assert 'data-testid="lagging"' in dashboard
    assert "1 MoU lags behind its term" in dashboard
    assert "20/BGN-UBND" in dashboard.split('data-testid="lagging"')[1].split("</section>")[0]
    report = client_as(w.official).get("/reports/mous/?lagging=on").content.decode()
    body = report.split("<tbody")[1].split("</tbody>")[0]
    assert "20/BGN-UBND" in body and "10/BGN-UBND" not in body
    assert 'class="badge lagging"' in body


def test_nobody_lagging_shows_nothing(report_world, client_as, settings):
    settings.DELIVERY_LAG_MARGIN = 1
    assert 'data-testid="lagging"' not in client_as(report_world.admin).get("/").content.decode()


@pytest.mark.parametrize("raw", ["abc", "-0.1", "1.5"])
def test_a_bad_margin_is_refused(monkeypatch, raw):
    monkeypatch.setenv("DELIVERY_LAG_MARGIN", raw)
    with pytest.raises(ImproperlyConfigured, match="DELIVERY_LAG_MARGIN"):
        env_share("DELIVERY_LAG_MARGIN", 0.2)


def test_a_margin_from_the_environment(monkeypatch):
    monkeypatch.setenv("DELIVERY_LAG_MARGIN", "0.25")
    assert env_share("DELIVERY_LAG_MARGIN", 0.2) == 0.25
    monkeypatch.delenv("DELIVERY_LAG_MARGIN")
    assert env_share("DELIVERY_LAG_MARGIN", 0.2) == 0.2
