"""Run a parser of untrusted bytes in a child process with its own memory, CPU and time
budget, so that a hostile file costs one child, never the web worker that received it.

The child is forked: it starts at once with everything the parent has loaded, and returns
its value (or the RegistryError it raised, for the parent to raise again) through a pipe.
It must not touch the database (it shares the parent's connections), so callers pass plain
values in and get plain values back.

The child's reply is itself untrusted: a parser that a hostile file took over could send
anything. So the reply is JSON, rebuilt as plain data only (see replies.py: no pickle, which
would let the child name what the parent calls), and the parent reads at most
`Budget.reply_mb` of it within the same wall-clock budget.

The child leads a process group of its own, killed with it, so what it starts ends with the
request (unless it leaves the group on purpose, with setsid: the limits on memory and CPU
still hold for it, and a cgroup per child would be the next step). The child is forked with
os.fork and reaped only by run_limited, once the group is killed: until then its pid, which
is the group's id, cannot be reused, so the kill never reaches another process.
"""

import logging
import os
import resource
import select
import signal
import threading
import time
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection

from django.db import connections

from partnerships.core import replies
from partnerships.core.errors import RegistryError

logger = logging.getLogger(__name__)


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
    reply_mb: int = 64  # the child's answer, as the parent reads it


def _mapped_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child(connection, budget: Budget, function, args) -> None:
    # A group of its own: whatever the child starts (a converter, or a hostile file's code)
    # is ended with it (run_limited kills the group).
    os.setpgid(0, 0)
    # The parent's database connections are its own: forget them without closing them.
    for alias in connections:
        connections[alias].connection = None
    resource.setrlimit(resource.RLIMIT_AS, (_mapped_bytes() + budget.memory_mb * 1024 * 1024,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (budget.cpu_seconds, budget.cpu_seconds + 1))
    try:
        reply = ("ok", function(*args))
    except MemoryError:
        reply = ("limit", "memory")
    except RegistryError as error:  # an answer for the user: the parent raises it again
        reply = ("raise", error)
    except BaseException as exc:  # reported to the parent, which decides what to say
        reply = ("error", f"{type(exc).__name__}")
    try:
        try:
            connection.send_bytes(replies.dumps(reply))
        except replies.UnsendableValue as exc:  # a caller returned what replies cannot carry
            logger.error("A limited child's reply could not be sent: %s", exc)
            connection.send_bytes(replies.dumps(("error", "UnsendableValue")))
    except MemoryError:
        connection.send_bytes(replies.dumps(("limit", "memory")))
    finally:
        connection.close()
        os._exit(0)  # no atexit handlers, no flushing of the parent's buffers


def _read_exactly(fd: int, count: int, deadline: float) -> bytes:
    """`count` bytes from the pipe by the deadline. Read here, not by multiprocessing, which
    would wait for ever on a reply that a process the child forked keeps open."""
    chunks, remaining = [], count
    while remaining:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise LimitExceeded("time")
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            if remaining == count and not chunks:
                raise EOFError
            raise LimitExceeded("crash")  # cut short
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _read_reply(fd: int, deadline: float, limit: int) -> bytes:
    """One message as multiprocessing frames it (a 4-byte length, or -1 and 8 bytes), at most
    `limit` bytes long, read by the deadline."""
    size = int.from_bytes(_read_exactly(fd, 4, deadline), "big", signed=True)
    if size == -1:
        size = int.from_bytes(_read_exactly(fd, 8, deadline), "big")
    if size < 0:
        raise LimitExceeded("crash")
    if size > limit:
        raise LimitExceeded("memory")
    return _read_exactly(fd, size, deadline)


class _Child:
    """The forked child, reaped only here (so its pid, which is also its process group's id,
    stays its own until `end`, and killing the group can never reach another process)."""

    def __init__(self, pid: int):
        self.pid = pid

    def kill_group(self) -> None:
        # Its group: whatever it started, unless that left the group (setsid) on purpose.
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        with suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)  # before it made its group

    def killed_by(self, *, timeout: float) -> int | None:
        """The signal that ended the child, waiting up to `timeout` for it to end; None if
        it exited or is still running. The child is not reaped (WNOWAIT)."""
        waited_until = time.monotonic() + timeout
        while True:
            ended = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            if ended is not None:
                return ended.si_status if ended.si_code in _KILLED else None
            if time.monotonic() >= waited_until:
                return None
            time.sleep(0.01)

    def end(self) -> None:
        """Kill the child and its group, then reap the child."""
        self.kill_group()
        os.waitpid(self.pid, 0)


_KILLED = {os.CLD_KILLED, os.CLD_DUMPED}


def run_limited(
    function,
    *args,
    budget: Budget = Budget(),
    returns: tuple | None = None,
    classes: Iterable[type] = (),
):
    """`function(*args)` in a forked child under `budget`: its return value, the
    RegistryError it raised, or LimitExceeded("memory" | "cpu" | "time" | "crash").

    A child taken over by a hostile file may send whatever it likes, so the reply is held to
    what the caller expects: `returns`, the kinds of what the function returns, one per
    item of its tuple (a type, or a tuple of types; None for None), and `classes`, every
    dataclass, enumeration and RegistryError the reply may hold (replies.loads). Anything
    else is a crash."""
    read_fd, write_fd = os.pipe()
    deadline = time.monotonic() + budget.wall_seconds
    pid = os.fork()
    if pid == 0:  # the child: never returns
        try:
            os.close(read_fd)
            _child(Connection(write_fd, readable=False), budget, function, args)
        finally:
            os._exit(1)
    os.close(write_fd)
    child = _Child(pid)
    # A reply that starts in time must also end in time: at the deadline the child's group
    # is killed, which ends the pipe and the read below.
    out_of_time = threading.Timer(budget.wall_seconds, child.kill_group)
    out_of_time.daemon = True
    out_of_time.start()
    try:
        try:
            reply = _read_reply(read_fd, deadline, budget.reply_mb * 1024 * 1024)
        except EOFError as exc:  # the child died without a word: killed for CPU, or memory
            if time.monotonic() >= deadline:
                raise LimitExceeded("time") from exc
            killed_for_cpu = child.killed_by(timeout=1) in (signal.SIGXCPU, signal.SIGKILL)
            raise LimitExceeded("cpu" if killed_for_cpu else "crash") from exc
        try:
            answer = replies.loads(reply, classes)
        except replies.UnsafeReply as exc:
            raise LimitExceeded("crash") from exc
    finally:
        out_of_time.cancel()
        out_of_time.join()  # it may be killing the group right now: before the child is reaped
        os.close(read_fd)
        child.end()
    if type(answer) is not tuple or len(answer) != 2:
        raise LimitExceeded("crash")
    outcome, value = answer
    if outcome == "ok":
        if returns is not None and not _is_shaped(value, returns):
            raise LimitExceeded("crash")
        return value
    if outcome == "limit" and value in ("memory", "cpu"):
        raise LimitExceeded(value)
    if outcome == "raise" and isinstance(value, RegistryError):
        raise value
    raise LimitExceeded("crash")  # "error", or a reply no honest child sends


def _is_shaped(value, returns: tuple) -> bool:
    """Whether `value` is a tuple whose items are exactly of the kinds in `returns`."""
    if type(value) is not tuple or len(value) != len(returns):
        return False
    for item, kinds in zip(value, returns, strict=True):
        allowed = kinds if isinstance(kinds, tuple) else (kinds,)
        if type(item) not in tuple(type(None) if kind is None else kind for kind in allowed):
            return False
    return True
