"""Fixtures shared by every test; the data they build comes from tests/factories/.

- `world`: two provinces with their communes (and a dissolved district whose successor is
  Bến Lức commune), two partners, one user of each role and outsiders, a draft MoU.
- `placements_world`: the world plus, at Bến Lức, an active MoU no. 10 of the garment
  factory whose term started two years ago (pledge line 1: jobs, line 2: training), a sent
  MoU no. 11 (not open for placements yet), and at Kim Bảng an active MoU of the quarry.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from partnerships.models import (
    Authority,
    AuthorityLevel,
    Contact,
    MouState,
    Partner,
    Pledge,
    PledgeKind,
    Role,
    TargetGroup,
)
from tests.factories.documents import requires_libreoffice
from tests.factories.placements import years_ago
from tests.factories.web import BrowserClient
from tests.factories.world import World, bring_to, make_mou, make_user

pytest_plugins = ["tests.signing.pdf.fixtures"]

CATALOGUE = Path(__file__).resolve().parents[1] / "partnerships/locale/vi/LC_MESSAGES/django"

# Fixtures that start a slow part: the certomancer PKI (and pyHanko signing with it), the
# signable PDF (LibreOffice), SoftHSM, a unoserver, the demo data (all of these), a browser.
SLOW_FIXTURES = {"pki", "signable_pdf", "softhsm_token", "unoserver", "seeded_demo", "chromium"}


def pytest_configure(config):
    """Fail at once, and say how to fix it, when the Vietnamese catalogue is not compiled:
    otherwise every page would quietly fall back to English and dozens of tests fail."""
    po, mo = CATALOGUE.with_suffix(".po"), CATALOGUE.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        state = "is missing" if not mo.exists() else "is older than django.po"
        raise pytest.UsageError(
            f"{mo.relative_to(CATALOGUE.parents[4])} {state}: compile the translations first:\n"
            "    DEBUG=1 .venv/bin/python manage.py compilemessages --ignore=.venv"
        )


def pytest_collection_modifyitems(items):
    """Mark `slow` every test that starts LibreOffice, the test PKI, SoftHSM, the demo data or
    a browser, so that `pytest -m "not slow"` is a quick inner loop. Tests that are slow for
    another reason (the benchmark, large data) carry the mark themselves."""
    for item in items:
        needs_libreoffice = requires_libreoffice.mark in item.iter_markers("skipif")
        if (
            needs_libreoffice
            or item.get_closest_marker("browser")
            or SLOW_FIXTURES.intersection(item.fixturenames)
        ):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def world(db):
    w = World()
    w.long_an = Authority.objects.create(
        name="UBND tỉnh Long An", level=AuthorityLevel.PROVINCE, code="UBND"
    )
    w.ben_luc = Authority.objects.create(
        name="UBND xã Bến Lức", level=AuthorityLevel.COMMUNE, parent=w.long_an, code="UBND"
    )
    w.thanh_loi = Authority.objects.create(
        name="UBND xã Thạnh Lợi", level=AuthorityLevel.COMMUNE, parent=w.long_an, code="UBND"
    )
    w.ben_luc_district = Authority.objects.create(
        name="UBND huyện Bến Lức",
        level=AuthorityLevel.DISTRICT,
        parent=w.long_an,
        successor=w.ben_luc,
        code="UBND",
        is_dissolved=True,
    )
    w.ha_nam = Authority.objects.create(
        name="UBND tỉnh Hà Nam", level=AuthorityLevel.PROVINCE, code="UBND"
    )
    w.kim_bang = Authority.objects.create(
        name="UBND phường Kim Bảng", level=AuthorityLevel.COMMUNE, parent=w.ha_nam, code="UBND"
    )

    w.garment = Partner.objects.create(
        name="Công ty May Bến Lức", tax_code="0312345678", registered_by=w.ben_luc
    )
    Contact.objects.create(
        partner=w.garment,
        full_name="Nguyễn Thị Hoa",
        position="Giám đốc",
        email="hoa@example.com",
        is_legal_representative=True,
    )
    w.quarry = Partner.objects.create(
        name="Công ty Đá Kim Bảng", tax_code="0700000001", registered_by=w.kim_bang
    )
    Contact.objects.create(
        partner=w.quarry,
        full_name="Lê Văn Sơn",
        position="Giám đốc",
        email="son@example.com",
        is_legal_representative=True,
    )

    w.staff = make_user("staff", Role.AUTHORITY_STAFF, authority=w.ben_luc)
    w.official = make_user("official", Role.OFFICIAL, authority=w.long_an)
    w.business = make_user("business", Role.BUSINESS_REPRESENTATIVE, partner=w.garment)
    w.admin = make_user("admin", Role.ADMINISTRATOR, superuser=True)
    # Outsiders, one of each kind.
    w.other_staff = make_user("other_staff", Role.AUTHORITY_STAFF, authority=w.thanh_loi)
    w.other_province_official = make_user("other_official", Role.OFFICIAL, authority=w.ha_nam)
    w.other_business = make_user("other_business", Role.BUSINESS_REPRESENTATIVE, partner=w.quarry)
    w.no_role = make_user("no_role")

    w.mou = make_mou(w.ben_luc, w.garment)
    return w


@pytest.fixture
def placements_world(world):
    w = world
    today = timezone.localdate()
    w.today = today
    w.term_start = years_ago(2, today)
    w.active_mou = make_mou(
        w.ben_luc,
        w.garment,
        number=10,
        term_start=w.term_start,
        term_end=today + timedelta(days=365),
    )
    w.job_pledge = w.active_mou.pledges.get()
    w.training_pledge = Pledge.objects.create(
        mou=w.active_mou,
        line=2,
        kind=PledgeKind.VOCATIONAL_TRAINING,
        quantity=3,
        occupation="Thợ may",
    )
    bring_to(w.active_mou, MouState.ACTIVE)
    w.sent_mou = bring_to(make_mou(w.ben_luc, w.garment, number=11), MouState.SENT)
    w.quarry_mou = make_mou(
        w.kim_bang,
        w.quarry,
        number=10,
        term_start=w.term_start,
        term_end=today + timedelta(days=365),
    )
    bring_to(w.quarry_mou, MouState.ACTIVE)
    w.completed_prison = TargetGroup.objects.get(code="completed_prison")
    return w


@pytest.fixture(autouse=True)
def no_recent_verdicts():
    """Each test's uploads are checked afresh: /verify/ answers a file checked minutes ago
    from memory (recent_verdicts.RECENT), across tests too, as in one web worker."""
    from partnerships.signing.recent_verdicts import RECENT

    RECENT.clear()
    yield
    RECENT.clear()


@pytest.fixture(autouse=True)
def nothing_remembered_between_tests():
    """Each test asks the OCSP responders afresh (a certificate revoked by one test is not
    reported good from an answer another test fetched), and works out each file's allow-list
    findings and PAdES levels again (a test may change the rules)."""
    from partnerships.signing.pdf import levels, modifications, ocsp_reuse

    def forget() -> None:
        ocsp_reuse.clear()
        modifications.forget_all()
        levels.forget_all()

    forget()
    yield
    forget()


@pytest.fixture
def client():
    """pytest-django's client, with the CSRF check on as in production."""
    return BrowserClient()


@pytest.fixture
def client_as(db):
    """A logged-in test client that asks for English pages (stable message text whether or
    not the Vietnamese catalogue is compiled); `client_as(None)` stays anonymous. It checks
    CSRF as the site does: post forms with `submit()` (tests/factories/web.py)."""

    def login(user, language="en"):
        browser = BrowserClient(language=language)
        if user is not None:
            browser.force_login(user)
        return browser

    return login
