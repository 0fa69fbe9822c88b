"""Add a fresh archive timestamp to every signed MoU whose last one's certificate expires
soon (or that has none). Safe to run from cron as often as you like: an MoU that is not due
is left alone. Exits with an error when any renewal failed (the others are kept)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from partnerships.signing.archive import DEFAULT_MARGIN, renew_archive_timestamps
from partnerships.signing.pdf.errors import SigningError


class Command(BaseCommand):
    help = "Renew the archive timestamps (PAdES B-LTA) of signed MoUs that are due."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=DEFAULT_MARGIN.days,
            help="renew when the last archive timestamp's certificate expires within this "
            f"many days (default {DEFAULT_MARGIN.days})",
        )

    def handle(self, *args, days, **options):
        try:
            run = renew_archive_timestamps(margin=timedelta(days=days))
        except SigningError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Renewed {len(run.renewed)}, not due {run.not_due}, failed {len(run.failed)}."
        )
        if run.failed:
            raise CommandError(f"Not renewed: MoU ids {run.failed} (see the log).")
