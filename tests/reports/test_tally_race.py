"""Staff confirming placements on one pledge line while the tallies are recounted and
report pages are read: no deadlock, no error page, and the counts come out right."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from partnerships.models import TALLY_COUNTS, Confirmation, DeliveryTally, Placement, Pledge
from partnerships.placements.delivery import delivery_annotations
from partnerships.reports import tallies as tally
from tests.factories.reports import place

PLACEMENTS = 24
REPORT_PAGES = ["/reports/mous/", "/reports/partners/", "/reports/authorities/", "/"]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks and lets one writer in at a time: no deadlock to "
    "provoke; the real race runs on PostgreSQL",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_confirming_while_tallies_are_recounted_and_reports_read(report_world):
    w = report_world
    today = timezone.localdate()
    reported = [
        place(w.line1, started_days_ago=10 + n, confirmation=Confirmation.REPORTED)
        for n in range(PLACEMENTS)
    ]
    tally.ensure_fresh(as_of=today)
    staff, reader = Client(), Client()
    staff.force_login(w.staff)
    reader.force_login(w.admin)
    confirming = threading.Event()
    confirming.set()
    failures, statuses = [], []

    def confirm_each():
        # What staff do on the placement page: one confirmation per request; each commit
        # queues the recount (run at once by the test task backend, in this thread).
        try:
            for placement in reported:
                response = staff.post(f"/placements/{placement.pk}/confirm/")
                statuses.append(("confirm", response.status_code))
        except Exception as error:  # a deadlock surfaces here as an OperationalError
            failures.append(("confirm", repr(error)))
        finally:
            confirming.clear()
            connection.close()

    def recount_and_read():
        # The daily recount (every line, the day alternating so each pass rewrites all of
        # them) and report pages, for as long as the confirmations go on.
        try:
            rounds = 0
            while confirming.is_set() or rounds < 2:
                tally.refresh(as_of=today + timedelta(days=rounds % 2))
                for url in REPORT_PAGES:
                    statuses.append((url, reader.get(url).status_code))
                rounds += 1
        except Exception as error:
            failures.append(("recount", repr(error)))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm_each), threading.Thread(target=recount_and_read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    assert {status for _what, status in statuses if _what == "confirm"} == {302}
    assert {status for what, status in statuses if what != "confirm"} == {200}
    assert not Placement.objects.filter(pk__in=[p.pk for p in reported]).exclude(
        confirmation=Confirmation.CONFIRMED
    )
    # Once recounted for today, the tally says what the placements say.
    tally.ensure_fresh(as_of=today)
    live = (
        Pledge.objects.filter(pk=w.line1.pk)
        .annotate(**delivery_annotations(prefix="placements__", as_of=today))
        .values(*TALLY_COUNTS)
        .get()
    )
    assert DeliveryTally.objects.filter(pledge=w.line1).values(*TALLY_COUNTS).get() == live
    assert live["delivered"] == 3 + PLACEMENTS
