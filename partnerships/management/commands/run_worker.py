"""Run the background worker: django-tasks-db's `db_worker`, with heartbeats, reconnection
after a lost database connection, queues taken in the order given and the sweeper run every
TASK_SWEEP_INTERVAL seconds. See partnerships.background.worker."""

import os

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from partnerships.background.sweeper import sweep
from partnerships.background.worker import RegistryWorker


class Command(DbWorkerCommand):
    help = (
        "Run a background worker (one per queue: `--queue-name default` for documents, "
        "`--queue-name imports` for imports; `default,imports` takes renderings first)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--no-sweep",
            action="store_false",
            dest="sweeping",
            help="Do not run the sweeper from this worker.",
        )
        # db_worker looks for work once a second; a user waiting for a PDF would wait that long.
        parser.set_defaults(interval=settings.WORKER_POLL_INTERVAL)

    def handle(self, *, verbosity, queue_name, exclude_queues, reload, batch, sweeping, **options):
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = RegistryWorker(
            queue_names=queue_names,
            excluded_queue_names=excluded,
            interval=options["interval"],
            batch=batch,
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            sweep=sweep if sweeping else None,
            sweep_interval=settings.TASK_SWEEP_INTERVAL,
            heartbeat_interval=settings.WORKER_HEARTBEAT_INTERVAL,
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
