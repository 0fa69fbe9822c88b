"""What every benchmark area shares: figures, the run session, and timing arithmetic."""

import argparse
import math
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# Requests made before any is timed, so caches, compiled templates and the database's own
# page cache are as warm as on a server that has been up for a while.
WARM_UP_RUNS = 2
# Timed runs per figure by default: a 95th percentile by nearest rank is then the 38th of
# 40 values, not simply the slowest run.
DEFAULT_RUNS = 40

# What a timing measured (Figure.how).
REQUEST = "request"  # a full GET through django.test.Client: URL routing, every middleware,
# the session, the view, the template, the response (devtools/web.py)
FUNCTION = "function"  # a direct call of the code, without HTTP or middleware


@dataclass(frozen=True)
class Figure:
    """One named measurement, with the target it is held to (if any) and whether it met it.

    A timing says what was timed (`how`: REQUEST or FUNCTION) and from how many runs
    (`runs`, the n of its median or 95th percentile); counts leave both empty."""

    name: str
    value: float
    unit: str
    target: str | None = None
    ok: bool | None = None
    how: str | None = None
    runs: int | None = None

    @classmethod
    def under(cls, name: str, value: float, unit: str, limit: float, **timing) -> "Figure":
        return cls(name, value, unit, target=f"< {limit:g} {unit}", ok=value < limit, **timing)

    @classmethod
    def at_least(cls, name: str, value: float, unit: str, limit: float, **timing) -> "Figure":
        return cls(name, value, unit, target=f">= {limit:g} {unit}", ok=value >= limit, **timing)

    @classmethod
    def at_most(cls, name: str, value: float, unit: str, limit: float, **timing) -> "Figure":
        return cls(name, value, unit, target=f"<= {limit:g} {unit}", ok=value <= limit, **timing)

    @classmethod
    def equal_to(cls, name: str, value: float, unit: str, expected: float, why: str) -> "Figure":
        return cls(name, value, unit, target=f"= {expected:g}, {why}", ok=value == expected)

    @property
    def missed(self) -> bool:
        return self.ok is False

    def as_dict(self, *, area: str | None = None) -> dict[str, Any]:
        """The figure as `benchmark --json` prints it: its area (the benchmark that measured
        it; by default the first part of its name), name, value, unit, target, whether the
        target is met (None without one), kind ("function" or "request", None for a count)
        and n (the runs behind a timing)."""
        return {
            "area": area or self.name.split(".", 1)[0],
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "target": self.target,
            "met": self.ok,
            "kind": self.how,
            "n": self.runs,
        }

    def line(self) -> str:
        text = f"{self.name}: {self.value:g} {self.unit}"
        if self.how:
            text += f" [{self.how}, n={self.runs}]" if self.runs else f" [{self.how}]"
        if self.target is None:
            return text
        return f"{text} (target {self.target}) {'ok' if self.ok else 'MISSED'}"


@dataclass
class Session:
    """What one `manage.py benchmark` run hands to each area, in order.

    Every area works in the same throw-away database, so an area can build on the data an
    earlier one generated (`dataset`) instead of generating its own.
    """

    options: dict[str, Any]
    log: Callable[[str], None]
    dataset: Any = None
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def runs(self) -> int:
        return self.options["runs"]


class Benchmark:
    """One area's figures. Subclass it in a module of this package and list the module in
    `partnerships.devtools.AREAS`; the command finds it there."""

    name: str = ""
    help: str = ""

    def add_arguments(self, parser) -> None:
        """Add this area's own command-line options (names must not clash with others')."""

    def run(self, session: Session) -> Iterable[Figure]:
        raise NotImplementedError


def whole_number(*, minimum: int) -> Callable[[str], int]:
    """An argparse type for a count that must be at least `minimum`."""

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    """95th percentile by the nearest-rank method: a value that was actually measured.

    Under 20 runs this is the slowest run; with the default 40 it is the 38th of 40.
    """
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class Timings:
    """Milliseconds per run: wall clock, and this process's CPU time.

    The CPU figure leaves out time spent waiting (for another process's turn on a busy
    machine, or for a database server), so it shows the app's own Python cost.
    """

    wall: list[float]
    cpu: list[float]


def time_runs(action: Callable[[], Any], *, runs: int, warm_up: int = WARM_UP_RUNS) -> Timings:
    """Time `runs` calls of `action`, after `warm_up` untimed calls."""
    for _ in range(warm_up):
        action()
    timings = Timings(wall=[], cpu=[])
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        timings.wall.append((time.perf_counter() - wall) * 1000)
        timings.cpu.append((time.process_time() - cpu) * 1000)
    return timings


def timing_figures(
    prefix: str, timings: Timings, *, how: str, limit_ms: float | None = None
) -> Iterable[Figure]:
    """`<prefix>.median` (held to `limit_ms` if given), `.p95` and `.cpu_median`, in ms,
    each saying what was timed and from how many runs."""
    runs = len(timings.wall)
    value = round(median(timings.wall), 1)
    if limit_ms is None:
        yield Figure(f"{prefix}.median", value, "ms", how=how, runs=runs)
    else:
        yield Figure.under(f"{prefix}.median", value, "ms", limit_ms, how=how, runs=runs)
    yield Figure(f"{prefix}.p95", round(p95(timings.wall), 1), "ms", how=how, runs=runs)
    cpu = round(median(timings.cpu), 1)
    yield Figure(f"{prefix}.cpu_median", cpu, "ms", how=how, runs=runs)
