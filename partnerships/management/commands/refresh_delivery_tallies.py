"""`python manage.py refresh_delivery_tallies`: recount every pledge line's delivery tally
for today. Run it daily from cron just after midnight: retention moves with the calendar,
and until the recount reports count every line from its placements (exact, but slower).
Reports never recount; the worker recounts the lines a change outdated. Safe to run again,
and beside the worker: a current tally is left as it is."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from partnerships.reports import tallies as tally


class Command(BaseCommand):
    help = "Recount the delivery tallies the reports read, for today."

    def handle(self, *args, **options):
        recounted = tally.ensure_fresh(as_of=timezone.localdate())
        self.stdout.write(f"Pledge lines recounted: {recounted}")
