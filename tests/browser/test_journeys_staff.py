"""The authority's staff, from logging in to the business's invitation, in a real browser:
register a partner, draft an MoU with two pledge lines, wait for its PDF (queued in the
database as in production, rendered with real LibreOffice by the worker), send it, sign it
for the authority (real pyHanko over the test PKI) and email the invitation to the partner's
legal representative.

Selectors use ids, names and form addresses; the words checked are those the page shows in
Vietnamese, the language the browser asks for.
"""

import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from partnerships.models import Mou, MouState, Partner, PledgeKind, RenderStatus, TargetGroup
from tests.browser.accessibility import assert_accessible
from tests.browser.steps import (
    SLOW_MS,
    VIEWPORT_IDS,
    VIEWPORTS,
    messages,
    one_line,
    submit,
    vi,
)
from tests.factories import dmy, pdf_layout_text
from tests.factories.browser import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PARTNER = "Hợp tác xã Dịch vụ Thạnh Lợi"
REPRESENTATIVE = "Trần Văn An"
REPRESENTATIVE_EMAIL = "an.tran@example.com"
TITLE = "Tiếp nhận người chấp hành xong án phạt tù vào làm việc"
# Two pledge lines: (kind, places, occupation, target group code).
PLEDGES = [
    ("job", 8, "Nhân viên phục vụ", "completed_prison"),
    ("training", 4, "Thợ sửa xe máy", "post_rehab"),
]


@pytest.fixture
def live_signing(signing_settings, live_server):
    """The test PKI signs, and the QR code and emailed links point at the live server."""
    signing_settings.PUBLIC_BASE_URL = live_server.url
    return signing_settings


@pytest.fixture
def queued_tasks(settings):
    """Background work waits in the database queue until a worker takes it, as in
    production (the other tests run it at once)."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }


# Held by the live server for each request and by the worker for its whole run (SQLite only).
TAKING_TURNS = threading.Lock()


@pytest.fixture
def server_and_worker_take_turns(live_server, monkeypatch):
    """On SQLite the test's connections share one in-memory database (shared cache), where a
    connection that meets another's lock is refused at once ("database table is locked")
    instead of waiting as it does on the database file in production. The page asks for the
    rendering's status four times a second while the worker renders, so there the two take
    turns. PostgreSQL waits on its own and is left to do so."""
    if connection.vendor != "sqlite":
        return
    server = live_server.thread.httpd
    application = server.get_app()

    def one_request_at_a_time(environ, start_response):
        with TAKING_TURNS:
            # The whole response, not just the call (Django may stream it), and its close(),
            # which ends the request (request_finished) as the server would have.
            response = application(environ, start_response)
            try:
                return list(response)
            finally:
                if hasattr(response, "close"):
                    response.close()

    monkeypatch.setattr(server, "application", one_request_at_a_time)


def run_the_worker():
    """What `manage.py db_worker` does in production: take the queued tasks and run them (in
    batch mode: until the queue is empty). In this thread, with this test's database."""
    with TAKING_TURNS:
        Worker(
            queue_names=["default", "imports"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="journey-test",
            excluded_queue_names=[],
        ).run()


def register_partner(page):
    page.locator('.mainnav a[href="/partners/"]').click()
    page.wait_for_url("**/partners/")
    page.locator('a[href="/partners/new/"]').click()
    page.wait_for_url("**/partners/new/")
    assert page.locator("h1").inner_text() == vi("Register a partner")
    assert_accessible(page)

    page.fill("#id_name", PARTNER)
    page.fill("#id_tax_code", "1101234567")
    page.fill("#id_address", "Ấp 3, xã Thạnh Lợi, tỉnh Long An")
    page.fill("#id_sector", "Dịch vụ")
    page.fill("#id_workforce_size", "40")
    page.fill("#id_contacts-0-full_name", REPRESENTATIVE)
    page.fill("#id_contacts-0-position", "Giám đốc")
    page.fill("#id_contacts-0-email", REPRESENTATIVE_EMAIL)
    page.check("#id_contacts-0-is_legal_representative")
    submit(page, "main form button[type=submit].primary")

    assert page.locator("h1").inner_text() == PARTNER
    assert messages(page) == [vi("Partner %(name)s saved.", name=PARTNER)]
    contact_row = page.locator("table.data-table tbody tr", has_text=REPRESENTATIVE)
    assert REPRESENTATIVE_EMAIL in contact_row.inner_text()
    assert vi("Legal representative") in contact_row.inner_text()
    return Partner.objects.get(name=PARTNER)


def fill_pledge(page, index, *, kind, quantity, occupation, group):
    prefix = f"#id_pledges-{index}"
    page.select_option(f"{prefix}-kind", kind)
    page.fill(f"{prefix}-quantity", str(quantity))
    page.fill(f"{prefix}-occupation", occupation)
    group_pk = TargetGroup.objects.get(code=group).pk
    page.check(f'input[name="pledges-{index}-target_groups"][value="{group_pk}"]')


def draft_mou(page, world, partner):
    today = timezone.localdate()
    page.locator('.mainnav a[href="/mous/"]').click()
    page.wait_for_url("**/mous/")
    page.locator('main a[href="/mous/new/"]').first.click()
    page.wait_for_url("**/mous/new/")
    assert_accessible(page)

    page.select_option("#id_authority", str(world.ben_luc.pk))
    page.fill("#id_title", TITLE)
    page.select_option("#id_partner", str(partner.pk))
    page.select_option(
        "#id_partner_signatory", str(partner.contacts.get(full_name=REPRESENTATIVE).pk)
    )
    page.fill("#id_authority_signatory_name", "Võ Minh Tâm")
    page.fill("#id_authority_signatory_position", "TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH")
    page.fill("#id_term_start", dmy(today))
    page.fill("#id_term_end", dmy(today + timedelta(days=730)))
    for index, (kind, quantity, occupation, group) in enumerate(PLEDGES):
        if index:
            page.locator('button.formset-add[data-prefix="pledges"]').click()
        fill_pledge(page, index, kind=kind, quantity=quantity, occupation=occupation, group=group)
    # Saving also asks for the draft's documents: a rendering is queued.
    submit(page, "form.card button[type=submit].primary")

    assert re.search(r"/mous/\d+/$", page.url)
    assert page.locator("h1").inner_text() == TITLE
    assert page.get_by_test_id("mou-state").inner_text() == vi(MouState.DRAFT.label)
    rows = [one_line(row) for row in page.locator("table.data-table tbody tr").all_inner_texts()]
    assert len(rows) == 2
    for row, (kind, quantity, occupation, group) in zip(rows, PLEDGES, strict=True):
        assert row.startswith(f"{vi(PledgeKind(kind).label)} {quantity} {occupation}")
        assert TargetGroup.objects.get(code=group).name_vi in row
    return Mou.objects.get(title=TITLE)


def wait_for_the_pdf(page, mou):
    """The rendering waits for the worker; the page says so and refreshes itself until the
    PDF is ready, without the person doing anything."""
    assert page.locator(f".badge.render-{RenderStatus.QUEUED}").is_visible()
    assert vi("This page refreshes by itself until the documents are ready.") in (
        page.locator("main").inner_text()
    )
    run_the_worker()
    page.locator(".badge.render-ready").wait_for(timeout=SLOW_MS)
    status = page.get_by_test_id("document-status").inner_text()
    assert vi(RenderStatus.READY.label) in status
    with page.expect_download() as download:
        page.locator('a[href$=".pdf"]:not([target])').first.click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    text = one_line(pdf_layout_text(pdf))
    # The template writes the parties' names in capitals; the pledges table totals both lines.
    assert f"BÊN B: {PARTNER.upper()} Mã số thuế: 1101234567" in text
    assert REPRESENTATIVE in text
    assert "Tổng cộng 12" in text
    assert mou.documents.get().status == RenderStatus.READY


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEWPORT_IDS)
def test_staff_register_a_partner_draft_send_certify_and_invite(
    world, live_signing, queued_tasks, server_and_worker_take_turns, open_browser, viewport
):
    page = open_browser(viewport=viewport)
    log_in(page, world.staff)
    assert page.locator("h1").inner_text() == vi("Dashboard")
    assert_accessible(page)

    partner = register_partner(page)
    mou = draft_mou(page, world, partner)
    wait_for_the_pdf(page, mou)
    assert_accessible(page)

    submit(page, page.locator('button[name="action"][value="send"]').first)
    assert page.get_by_test_id("mou-state").inner_text() == vi(MouState.SENT.label)
    mou.refresh_from_db()
    assert mou.state == MouState.SENT
    assert page.get_by_test_id("signable-sha256").inner_text() == mou.signable_pdf_sha256

    # (.first: the button may also stand in the progress steps at the top of the page)
    submit(page, page.locator(f'form[action="/mous/{mou.pk}/signing/certify/"] button').first)
    revision = mou.pdf_revisions.get()
    assert vi(
        "Signed for the authority. SHA-256 of the signed PDF: %(sha256)s",
        sha256=revision.sha256,
    ) in messages(page)
    signing = page.get_by_test_id("signing")
    stored = signing.locator("table.data-table tbody tr")
    assert stored.count() == 1
    assert revision.sha256 in stored.inner_text()
    assert page.locator(f'form[action="/mous/{mou.pk}/signing/certify/"]').count() == 0
    assert_accessible(page)

    submit(page, page.locator(f'form[action="/mous/{mou.pk}/signing/invite/"] button').first)
    assert vi(
        "Invitation sent to %(name)s <%(email)s>.",
        name=REPRESENTATIVE,
        email=REPRESENTATIVE_EMAIL,
    ) in messages(page)
    run_the_worker()  # anything the invitation left in the queue (none today) goes out too
    assert REPRESENTATIVE_EMAIL in page.get_by_test_id("signing").inner_text()
    # One email went to the representative, with a link to this registry's signing page.
    to_representative = [email for email in mail.outbox if email.to == [REPRESENTATIVE_EMAIL]]
    assert len(to_representative) == 1
    server = re.match(r"https?://[^/]+", page.url).group(0)
    assert re.search(re.escape(server) + r"/sign/\S+", to_representative[0].body)
