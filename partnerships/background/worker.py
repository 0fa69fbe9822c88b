"""The registry's background worker: django-tasks-db's worker, made to survive and to sweep.

What it adds to `db_worker`:
- a heartbeat (a thread writing WorkerHeartbeat every WORKER_HEARTBEAT_INTERVAL seconds), so
  the sweeper can tell a dead worker's tasks from a busy worker's;
- it survives a lost database connection (PostgreSQL restarted, the backend terminated, the
  network gone): it closes the connection, waits with a growing delay (up to 30 s) and goes
  on, where `db_worker` crashes. A task that was running then is marked failed once the
  database answers again, and the sweeper settles its rendering or import;
- queues in the order given: `--queue-name default,imports` takes a waiting rendering before
  any import (`*` takes every queue in priority order, as `db_worker` does);
- it runs the sweeper every TASK_SWEEP_INTERVAL seconds between tasks.
"""

import logging
import random
import threading
import time
from collections.abc import Callable
from contextlib import suppress

from django.db import close_old_connections, connection, connections
from django.db.utils import DatabaseError, InterfaceError, OperationalError
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from partnerships.core.task_results import WorkerLost, beat, mark_failed, worker_lost_after
from partnerships.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# What a lost connection raises (psycopg: "server closed the connection unexpectedly",
# "terminating connection due to administrator command", "connection already closed").
CONNECTION_ERRORS = (OperationalError, InterfaceError)
MAX_RECONNECT_DELAY = 30.0


class RegistryWorker(Worker):
    def __init__(
        self,
        *,
        sweep: Callable[[], object] | None,
        sweep_interval: float,
        heartbeat_interval: float,
        **options,
    ):
        super().__init__(**options)
        self.sweep = sweep
        self.sweep_interval = sweep_interval
        self.heartbeat_interval = heartbeat_interval
        self._last_sweep: float | None = None
        self._reconnect_delay = 0.0
        self._stopping = threading.Event()

    # --- The loop --------------------------------------------------------------------------

    def run(self) -> None:
        logger.info(
            "Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names)
        )
        heart = threading.Thread(target=self._beat_until_stopped, name="heartbeat", daemon=True)
        self._beat_now()
        heart.start()
        try:
            self._loop()
        finally:
            self._stopping.set()
            heart.join(timeout=5)
            self._say_goodbye()

    def _loop(self) -> None:
        if self.startup_delay and self.interval:
            time.sleep(random.random())
        while self.running:
            try:
                task_result, looked = self._claim_next()
            except CONNECTION_ERRORS as error:
                self._wait_for_database(error)
                continue
            self._reconnect_delay = 0.0
            if task_result is not None:
                self._run_claimed(task_result)
            elif self.batch and looked:
                logger.info("No more tasks for worker_id=%s - exiting.", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info(
                    "Ran %d tasks on worker_id=%s - exiting.", self._run_tasks, self.worker_id
                )
                return
            self._sweep_if_due()
            if self.running and task_result is None:
                time.sleep(self.interval)

    def _claim_next(self) -> tuple[DBTaskResult | None, bool]:
        """The next task, claimed, from the first queue (in the order given) that has one;
        and whether the queues could be looked at (a locked SQLite database says no)."""
        close_old_connections()
        looked = True
        for queues in self._queue_order():
            tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
            if queues is not None:
                tasks = tasks.filter(queue_name__in=queues)
            if self.excluded_queue_names:
                tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
            task_result = None
            with exclusive_transaction(tasks.db):
                try:
                    task_result = tasks.get_locked()
                    if task_result is not None:
                        task_result.claim(self.worker_id)
                except OperationalError as error:
                    if not is_locked_database_exception(error):
                        raise
                    looked = False
            if task_result is not None:
                return task_result, True
        return None, looked

    def _queue_order(self) -> list[list[str] | None]:
        if self.process_all_queues:
            return [None]
        return [[name] for name in self.queue_names]

    def _run_claimed(self, task_result: DBTaskResult) -> None:
        try:
            self.run_task(task_result)
        except CONNECTION_ERRORS as error:
            # The task's own work, or recording its result, met a dead connection.
            self._wait_for_database(error)
            self._mark_interrupted(task_result)

    def _mark_interrupted(self, task_result: DBTaskResult) -> None:
        """Record the task as failed as soon as the database answers again, so that it is
        not left RUNNING on a worker that is alive (the sweeper would wait for its limit)."""
        while self.running:
            try:
                mark_failed(task_result.pk, WorkerLost("the database connection was lost"))
            except CONNECTION_ERRORS as error:
                self._wait_for_database(error)
            else:
                logger.warning("Task %s failed: the database connection was lost", task_result.pk)
                return

    def _wait_for_database(self, error: Exception) -> None:
        self._reconnect_delay = min(max(1.0, self._reconnect_delay * 2), MAX_RECONNECT_DELAY)
        logger.warning(
            "Worker %s lost its database connection (%s); trying again in %.0f s",
            self.worker_id,
            type(error).__name__,
            self._reconnect_delay,
        )
        for conn in connections.all(initialized_only=True):
            with suppress(Exception):
                conn.close()
        if self.running:
            time.sleep(self._reconnect_delay)

    def _sweep_if_due(self) -> None:
        if self.sweep is None:
            return
        now = time.monotonic()
        if self._last_sweep is not None and now - self._last_sweep < self.sweep_interval:
            return
        self._last_sweep = now
        try:
            self.sweep()
        except CONNECTION_ERRORS as error:
            self._wait_for_database(error)
        except Exception:
            logger.exception("The sweeper failed; it runs again in %s s", self.sweep_interval)

    # --- Heartbeat -------------------------------------------------------------------------

    def _beat_now(self) -> None:
        while True:
            try:
                beat(self.worker_id, queues=",".join(self.queue_names))
                return
            except CONNECTION_ERRORS as error:
                self._wait_for_database(error)

    def _beat_until_stopped(self) -> None:
        # Its own thread, hence its own connection: a long task does not silence it.
        try:
            while not self._stopping.wait(self.heartbeat_interval):
                try:
                    beat(self.worker_id, queues=",".join(self.queue_names))
                except DatabaseError as error:
                    logger.warning("Heartbeat not written: %s", type(error).__name__)
                    with suppress(Exception):
                        connection.close()
        finally:
            with suppress(Exception):
                connection.close()

    def _say_goodbye(self) -> None:
        """A worker that stops says so: its heartbeat is dated back, so anything it left
        running is swept at once rather than after three missed beats."""
        with suppress(DatabaseError):
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(
                beat_at=timezone.now() - worker_lost_after() - worker_lost_after()
            )
