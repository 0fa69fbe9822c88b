"""Fixtures for the worker tests: real worker processes (`manage.py run_worker`) on the test
database, and a second database connection that holds row locks to keep a task busy."""

import os
import signal
import subprocess
import sys
from contextlib import suppress
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.factories.documents import fake_soffice, unused_port
from tests.factories.tasks import HEARTBEAT_INTERVAL, SWEEP_INTERVAL, terminate_other_backends

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database_tasks(settings):
    """Tasks queued by the test go to the database, for the worker processes."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": settings.TASK_QUEUES}
    }


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgresql://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


@pytest.fixture
def hanging_soffice(tmp_path):
    """A LibreOffice that never finishes: a rendering stays in progress."""
    return fake_soffice(tmp_path, "sleep 30")


@pytest.fixture
def start_worker(tmp_path, hanging_soffice):
    """Start `manage.py run_worker` for the given queues; every worker is killed at the end."""
    started = []

    def start(queues: str, *, soffice: str | None = None, extra: tuple = ()):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": _database_url(),
            "TEST_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "TASK_SWEEP_INTERVAL": str(SWEEP_INTERVAL),
            "WORKER_HEARTBEAT_INTERVAL": str(HEARTBEAT_INTERVAL),
            "SOFFICE_PATH": soffice or hanging_soffice,
            "UNOSERVER_PORT": str(unused_port()),  # nothing there: conversions go cold
        }
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", f"--queue-name={queues}",
             "--interval=0.2", "--no-startup-delay", "--no-reload", *extra],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        # The worker and whatever it started (a hanging soffice) go together.
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    # Anything still connected to the test database would keep it from being dropped.
    terminate_other_backends()


@pytest.fixture
def lock_row():
    """Hold FOR UPDATE locks on rows from a connection of its own, as a long transaction
    would: a task that needs them waits. `release()` rolls back."""
    db = connection.settings_dict
    conn = psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        dbname=db["NAME"],
    )

    class Locks:
        def hold(self, table: str, pk: int) -> None:
            conn.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", [pk])  # noqa: S608

        def release(self) -> None:
            conn.rollback()

    yield Locks()
    with suppress(Exception):
        conn.rollback()
    with suppress(Exception):
        conn.close()
