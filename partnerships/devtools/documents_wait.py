"""The wait a user sees from "Save draft" to the PDF link on the MoU page.

Staff open the edit page of a draft with four pledge lines, and post the form as the browser
would (every field as the page filled it); the redirect brings the MoU page, whose script
(site.js) asks for the rendering's status every quarter second and reloads the page once it is
done. The clock runs from the POST until the page that shows the PDF link has arrived: the
worker's pick-up (it looks for work every WORKER_POLL_INTERVAL), the rendering on the
converter pool, the script's questions and the reload are all in it. The worker is the
registry's own (RegistryWorker), in a thread of this process.
"""

import re
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test.utils import override_settings

from partnerships.background.worker import RegistryWorker
from partnerships.devtools.base import REQUEST, Figure, Session, median, p95
from partnerships.devtools.dataset import session_dataset
from partnerships.devtools.web import PageError, PageProbe
from partnerships.models import Mou, MouState, Role

WAIT_TARGET_S = 1.5
# Saves timed: each waits a full rendering, so fewer than the page figures.
WAIT_RUNS = 20
PDF_LINK = re.compile(r'href="/mous/\d+/documents/\d+\.pdf')
STATUS_URL = re.compile(r'data-document-status-url="([^"]+)"')
# As DOCUMENT_POLL_MS in site.js.
SCRIPT_POLL_S = 0.25
BUSY = ("queued", "running")
GIVE_UP_S = 60


class _FormReader(HTMLParser):
    """The fields a browser would submit from each POST form of a page (the templates of
    rows a script would add, inside <template>, are not part of them)."""

    def __init__(self):
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._in_template = 0
        self._select: str | None = None
        self._multiple = False
        self._select_values: list[str] = []
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._in_form, self.fields = True, []
        if not self._in_form:
            return
        if tag == "template":
            self._in_template += 1
        if self._in_template:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._multiple = name, "multiple" in attrs
            self._select_values, self._first_option = [], None
        elif tag == "option" and self._select is not None:
            value = attrs.get("value") or ""
            if self._first_option is None:
                self._first_option = value
            if "selected" in attrs:
                self._select_values.append(value)
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.append((name, ""))

    def handle_data(self, data):
        if self._textarea is not None:
            name, value = self.fields.pop()
            if not value and data.startswith("\n"):
                data = data[1:]  # the newline just after <textarea> is not part of its text
            self.fields.append((name, value + data))

    def handle_endtag(self, tag):
        if tag == "template" and self._in_template:
            self._in_template -= 1
        elif tag == "select" and self._select is not None:
            # A list with nothing chosen sends its first option; a multiple one sends nothing.
            values = self._select_values
            if not values and not self._multiple and self._first_option is not None:
                values = [self._first_option]
            self.fields.extend((self._select, value) for value in values)
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._in_form:
            self._in_form = False
            self.forms.append(self.fields)


def form_fields(html: str) -> dict[str, list[str]]:
    """The fields of the page's largest POST form (the header's small forms set aside)."""
    reader = _FormReader()
    reader.feed(html)
    fields: dict[str, list[str]] = {}
    for name, value in max(reader.forms, key=len, default=[]):
        fields.setdefault(name, []).append(value)
    return fields


def _draft_with_four_lines(dataset) -> Mou:
    """A draft of the staff user's authority with four pledge lines (the registry grows
    until it has one)."""
    for total in (200, 1000, 5000):
        if dataset.mou_count < total:
            dataset.grow_mous(total)
        draft = (
            Mou.objects.filter(state=MouState.DRAFT, authority=dataset.staff_authority)
            .annotate(lines=Count("pledges"))
            .filter(lines=4)
            .order_by("pk")
            .first()
        )
        if draft is not None:
            return draft
    raise PageError("The generated registry has no draft with four pledge lines.")


def _save_and_wait(probe: PageProbe, mou: Mou) -> float:
    edit_url = f"/mous/{mou.pk}/edit/"
    fields = form_fields(probe.get(edit_url).content.decode())
    started = time.perf_counter()
    response = probe.client.post(edit_url, fields, secure=True)
    if response.status_code != 302:
        errors = re.findall(r'class="error[^"]*"[^>]*>([^<]+)<', response.content.decode())
        raise PageError(f"Saving {edit_url} answered {response.status_code}: {errors[:5]}")
    page = probe.get(response["Location"]).content.decode()
    while not PDF_LINK.search(page):
        status_url = STATUS_URL.search(page)
        if status_url is None or time.perf_counter() - started > GIVE_UP_S:
            raise PageError(f"The MoU page of {mou.pk} showed no PDF link and stopped waiting.")
        _wait_as_the_script_does(probe, status_url.group(1), started)
        page = probe.get(mou.get_absolute_url()).content.decode()
    return time.perf_counter() - started


def _wait_as_the_script_does(probe: PageProbe, status_url: str, started: float) -> None:
    """Ask for the status every SCRIPT_POLL_S until the rendering is no longer busy."""
    while time.perf_counter() - started < GIVE_UP_S:
        time.sleep(SCRIPT_POLL_S)
        if probe.get(status_url).json()["status"] not in BUSY:
            return


def save_to_pdf_link_figures(session: Session, ports: list[int]) -> Iterator[Figure]:
    if "django_tasks_db" not in settings.TASKS["default"]["BACKEND"]:
        session.log("No Save-to-PDF figure: the tasks backend is not the database's.")
        return
    dataset = session_dataset(session)
    staff = dataset.user(Role.AUTHORITY_STAFF)
    mou = _draft_with_four_lines(dataset)
    probe = PageProbe(staff, runs=WAIT_RUNS)
    worker = RegistryWorker(
        queue_names=["default"],
        excluded_queue_names=[],
        interval=settings.WORKER_POLL_INTERVAL,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="benchmark-worker",
        sweep=None,
        sweep_interval=settings.TASK_SWEEP_INTERVAL,
        heartbeat_interval=settings.WORKER_HEARTBEAT_INTERVAL,
    )
    thread = threading.Thread(target=_run_worker, args=(worker,), name="worker", daemon=True)
    session.log(f"Saving a draft {WAIT_RUNS} times and waiting for its PDF link…")
    with override_settings(UNOSERVER_HOST="127.0.0.1", CONVERTER_PORTS=ports):
        thread.start()
        try:
            _save_and_wait(probe, mou)  # warm-up: the worker's first look, caches
            waits = [_save_and_wait(probe, mou) for _ in range(WAIT_RUNS)]
        finally:
            worker.running = False
            thread.join(timeout=30)
    runs = len(waits)
    yield Figure.under(
        "documents.save_to_pdf_link.median",
        round(median(waits), 2),
        "s",
        WAIT_TARGET_S,
        how=REQUEST,
        runs=runs,
    )
    yield Figure.under(
        "documents.save_to_pdf_link.p95",
        round(p95(waits), 2),
        "s",
        WAIT_TARGET_S,
        how=REQUEST,
        runs=runs,
    )
    yield Figure("documents.worker_poll_interval", settings.WORKER_POLL_INTERVAL, "s")


def _run_worker(worker: RegistryWorker) -> None:
    try:
        worker.run()
    finally:
        connection.close()
