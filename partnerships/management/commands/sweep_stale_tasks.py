"""Give a final state to work left behind (cron or a systemd timer; workers also do it).

Renderings and imports whose worker died are failed (the page offers to try again; an
import's upload and prepared rows are wiped) or queued again where nothing had started;
tasks running on a dead worker or past TASK_TIME_LIMIT are marked failed."""

from django.core.management.base import BaseCommand

from partnerships.background.sweeper import sweep


class Command(BaseCommand):
    help = "Fail or requeue stale renderings, imports and tasks."

    def handle(self, *args, **options):
        report = sweep()
        if options["verbosity"] >= 1:
            self.stdout.write(f"Swept: {report}.")
