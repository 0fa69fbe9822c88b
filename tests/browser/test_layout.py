"""The main pages fit a desktop and a phone screen without scrolling sideways.

Set BROWSER_SCREENSHOT_DIR to keep a full-page screenshot of each page at each width
(for looking at the layout by eye; nothing is written otherwise).
"""

import os
from pathlib import Path

import pytest

from partnerships.models import MouState, TargetGroup
from tests.factories import bring_to, make_mou
from tests.factories.browser import DESKTOP, PHONE, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOT_DIR = os.environ.get("BROWSER_SCREENSHOT_DIR")

# Wider than the viewport by more than a pixel of rounding means a sideways scroll bar.
PAGE_OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def busy_registry(world):
    """Enough on every page to stretch it: several MoUs, a long title, two pledges."""
    mou = make_mou(
        world.ben_luc,
        world.garment,
        title="Tiếp nhận, đào tạo nghề và giải quyết việc làm cho người chấp hành xong án phạt tù "
        "trên địa bàn xã Bến Lức giai đoạn 2025–2027",
        notes="Doanh nghiệp bố trí chỗ ở tập thể cho người lao động ở xa.",
    )
    second = mou.pledges.create(
        line=2,
        kind="training",
        quantity=20,
        occupation="Thợ may công nghiệp",
        min_monthly_wage=5_500_000,
        workplace="Khu công nghiệp Thuận Đạo, Bến Lức",
    )
    second.target_groups.add(*TargetGroup.objects.filter(code__in=["post_rehab", "amnesty"]))
    bring_to(mou, MouState.ACTIVE)
    for state in (MouState.SENT, MouState.CANCELLED, MouState.SIGNED):
        bring_to(make_mou(world.ben_luc, world.garment), state)
    return mou


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_main_pages_fit_the_screen_without_sideways_scrolling(
    world, busy_registry, open_browser, viewport
):
    page = open_browser(viewport=viewport)
    log_in(page, world.staff)
    pages = {
        "dashboard": "/",
        "mou-list": "/mous/",
        "mou-form": "/mous/new/",
        "mou-detail": f"/mous/{busy_registry.pk}/",
    }
    overflowing = {}
    for name, path in pages.items():
        page.goto(path)
        if SCREENSHOT_DIR:
            Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
            page.screenshot(
                path=Path(SCREENSHOT_DIR) / f"{name}-{viewport['width']}.png", full_page=True
            )
        overflow = page.evaluate(PAGE_OVERFLOW)
        if overflow > 1:
            overflowing[name] = overflow
    assert overflowing == {}
