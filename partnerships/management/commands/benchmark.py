"""`python manage.py benchmark [--json]`: named performance figures, checked against targets.

Runs in a throw-away database that it creates, fills and drops; the configured database is
never touched. Exits 0 even when a target is missed: it reports, it does not judge.
"""

import json
import os
import platform
import signal
import sys
from contextlib import contextmanager

import django
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from partnerships.devtools import Figure, Session, registered
from partnerships.devtools.base import DEFAULT_RUNS, WARM_UP_RUNS, whole_number
from partnerships.devtools.database import throwaway_database
from partnerships.devtools.web import PageError, page_settings


class Command(BaseCommand):
    help = (
        "Measure the registry's performance figures (median of several runs) in a throw-away "
        "database, and say which targets are met."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument(
            "--runs",
            type=whole_number(minimum=1),
            default=DEFAULT_RUNS,
            help=f"Timed runs per figure, after warm-up requests (default {DEFAULT_RUNS}).",
        )
        parser.add_argument(
            "--only",
            action="append",
            metavar="AREA",
            help="Run only this area (repeatable): "
            + ", ".join(benchmark.name for benchmark in registered()),
        )
        for benchmark in registered():
            benchmark.add_arguments(parser)

    def handle(self, *args, **options):
        benchmarks = self._selected(options["only"])
        verbosity = options["verbosity"]
        session = Session(options=options, log=self._logger(verbosity))
        # Other work on the machine shows in the figures (the p95s first): say how busy it was.
        load_before = [round(load, 2) for load in os.getloadavg()]

        figures: list[tuple[str, Figure]] = []  # (area, figure)
        with _finally_on_sigterm(), throwaway_database(verbosity=max(verbosity - 1, 0)) as name:
            session.log(f"Benchmark database: {name}")
            with page_settings() as overrides:
                for benchmark in benchmarks:
                    try:
                        figures.extend(
                            (benchmark.name, figure) for figure in benchmark.run(session)
                        )
                    except PageError as error:
                        raise CommandError(f"{benchmark.name}: {error}") from error
            machine = _machine(session, overrides, load_before)

        if options["json"]:
            payload = {
                "figures": [figure.as_dict(area=area) for area, figure in figures],
                "machine": machine,
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            self._print_lines([figure for _area, figure in figures], machine)

    def _selected(self, names):
        benchmarks = registered()
        if not names:
            return benchmarks
        known = {benchmark.name for benchmark in benchmarks}
        unknown = set(names) - known
        if unknown:
            raise CommandError(
                f"Unknown area(s): {', '.join(sorted(unknown))}. Known: {', '.join(sorted(known))}."
            )
        return [benchmark for benchmark in benchmarks if benchmark.name in names]

    def _logger(self, verbosity):
        def log(message: str) -> None:
            if verbosity >= 1:
                self.stderr.write(message)

        return log

    def _print_lines(self, figures, machine):
        self.stdout.write(
            f"# {machine['database']} · {machine['cpu']} ({machine['cpus']} CPUs) · "
            f"DEBUG={machine['debug']} · load {machine['load_average_before'][0]} · "
            f"medians and p95s of n runs (default {machine['runs']}) · "
            "[request]: a full request through the Django test client and every middleware; "
            "[function]: a direct call"
        )
        for figure in figures:
            line = figure.line()
            self.stdout.write(self.style.ERROR(line) if figure.missed else line)
        missed = [figure.name for figure in figures if figure.missed]
        if missed:
            self.stdout.write(
                self.style.ERROR(f"Missed {len(missed)} target(s): {', '.join(missed)}")
            )
        else:
            self.stdout.write(self.style.SUCCESS("All targets met."))


def _machine(session: Session, overrides: dict, load_before: list[float]) -> dict:
    version = ".".join(str(part) for part in connection.get_database_version())
    return {
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": f"{connection.display_name} {version}",
        "debug": settings.DEBUG,
        "load_average_before": load_before,
        "runs": session.runs,
        "warm_up_runs": WARM_UP_RUNS,
        "settings_overridden": sorted(overrides),
        **session.notes,
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


@contextmanager
def _finally_on_sigterm():
    """Turn SIGTERM into SystemExit, so a killed run still drops its database."""
    try:
        previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
