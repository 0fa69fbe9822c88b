"""`python manage.py refresh_delivery_tallies`: recount every pledge line's delivery tally
for today. Run it daily from cron just after midnight, so the first report of the day does
not wait for the recount (reports recount by themselves when needed; this only moves the
work to a quiet hour). Safe to run again: a current tally is left as it is."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from partnerships.reports import tallies as tally


class Command(BaseCommand):
    help = "Recount the delivery tallies the reports read, for today."

    def handle(self, *args, **options):
        recounted = tally.ensure_fresh(as_of=timezone.localdate())
        self.stdout.write(f"Pledge lines recounted: {recounted}")
