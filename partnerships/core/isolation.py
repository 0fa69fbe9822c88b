"""Run a parser of untrusted bytes in a child process with its own memory, CPU and time
budget, so that a hostile file costs one child, never the web worker that received it.

The child is forked: it starts at once with everything the parent has loaded, and returns
its value (or the RegistryError it raised, for the parent to raise again) through a pipe.
It must not touch the database (it shares the parent's connections), so callers pass plain
values in and get plain values back.
"""

import multiprocessing
import os
import resource
import signal
from dataclasses import dataclass

from django.db import connections

from partnerships.core.errors import RegistryError


class LimitExceeded(RegistryError):
    """The work needed more memory, CPU or time than it was given; `kind` says which."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True)
class Budget:
    memory_mb: int = 768  # on top of what the parent had already mapped
    cpu_seconds: int = 20
    wall_seconds: int = 30


def _mapped_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child(connection, budget: Budget, function, args) -> None:
    # The parent's database connections are its own: forget them without closing them.
    for alias in connections:
        connections[alias].connection = None
    resource.setrlimit(resource.RLIMIT_AS, (_mapped_bytes() + budget.memory_mb * 1024 * 1024,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (budget.cpu_seconds, budget.cpu_seconds + 1))
    try:
        connection.send(("ok", function(*args)))
    except MemoryError:
        connection.send(("limit", "memory"))
    except RegistryError as error:  # an answer for the user: the parent raises it again
        connection.send(("raise", error))
    except BaseException as exc:  # reported to the parent, which decides what to say
        connection.send(("error", f"{type(exc).__name__}"))
    finally:
        connection.close()
        os._exit(0)  # no atexit handlers, no flushing of the parent's buffers


def run_limited(function, *args, budget: Budget = Budget()):
    """`function(*args)` in a forked child under `budget`: its return value, the
    RegistryError it raised, or LimitExceeded("memory" | "cpu" | "time" | "crash")."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sending, budget, function, args), daemon=True)
    child.start()
    sending.close()
    try:
        if not receiving.poll(budget.wall_seconds):
            raise LimitExceeded("time")
        try:
            outcome, value = receiving.recv()
        except EOFError as exc:  # the child died without a word: killed for CPU, or memory
            child.join(1)
            killed_for_cpu = child.exitcode in (-signal.SIGXCPU, -signal.SIGKILL)
            raise LimitExceeded("cpu" if killed_for_cpu else "crash") from exc
    finally:
        receiving.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    if outcome == "limit":
        raise LimitExceeded(value)
    if outcome == "raise":
        raise value
    if outcome == "error":
        raise LimitExceeded("crash")
    return value
