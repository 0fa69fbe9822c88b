"""A throw-away database for the benchmark, so it never reads or writes the real one."""

import copy
import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

# PostgreSQL truncates identifiers longer than this; keep the name we drop the one we made.
MAX_NAME_LENGTH = 63


def benchmark_database_name(configured_name: str) -> str:
    """`test_<name>_benchmark_<pid>`: never the configured database, never the test suite's
    `test_<name>`, and not another benchmark running at the same time."""
    base = configured_name if configured_name.startswith("test_") else f"test_{configured_name}"
    suffix = f"_benchmark_{os.getpid()}"
    return base[: MAX_NAME_LENGTH - len(suffix)] + suffix


@contextmanager
def throwaway_database(*, alias: str = DEFAULT_DB_ALIAS, verbosity: int = 0) -> Iterator[str]:
    """Point `alias` at a new, migrated, empty database; drop it on the way out, even on error.

    The configured connection is not used at all: it is set aside and a new connection,
    whose test settings name a separate database (a file in a temporary directory for
    SQLite, `test_<name>_benchmark_<pid>` on a server), takes its place. Django's
    test-database machinery creates and migrates that database, and destroys it at the end.
    Yields the benchmark database's name.
    """
    configured = connections[alias]
    configured_name = settings.DATABASES[alias]["NAME"]
    with ExitStack() as stack:
        bench_settings = copy.deepcopy(configured.settings_dict)
        if configured.vendor == "sqlite":
            directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="benchmark-"))
            bench_name = os.path.join(directory, "benchmark.sqlite3")
        else:
            bench_name = benchmark_database_name(str(configured_name))
        bench_settings["TEST"] = {**bench_settings.get("TEST", {}), "NAME": bench_name}
        bench_settings["TEST"].update({"MIGRATE": True, "MIRROR": None, "DEPENDENCIES": []})
        bench = configured.__class__(bench_settings, alias)

        connections[alias] = bench
        try:
            try:
                bench.creation.create_test_db(
                    verbosity=verbosity, autoclobber=True, serialize=False, keepdb=False
                )
                yield bench_name
            finally:
                # create_test_db renames the connection only once the database exists; before
                # that there is nothing to drop, and the configured name must never be dropped.
                if bench.settings_dict["NAME"] == bench_name:
                    bench.creation.destroy_test_db(
                        old_database_name=configured_name, verbosity=verbosity
                    )
                bench.close()
        finally:
            connections[alias] = configured
            # create_test_db writes the test name into the global settings too; put it back.
            settings.DATABASES[alias]["NAME"] = configured_name
