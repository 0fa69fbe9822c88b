"""Taking a free converter from a pool of warm ones (several unoservers, see convert.py).

A unoserver converts one document at a time: a second caller waits in its queue even while
another server stands idle. So each conversion first claims a server that nobody is using,
and keeps it for the whole conversion, by holding an exclusive lock (flock) on that server's
lock file. The lock files are per machine, in one folder (UNOSERVER_LOCK_DIR, by default a
private folder in the system's temporary directory), which is where the servers run: they
listen on loopback. The kernel drops a lock when its holder dies, so a worker killed in the
middle of a conversion leaves no server claimed.

Bytes and files only: no database, no settings.
"""

import fcntl
import os
import random
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

# How often a caller looks again when every server is busy: a conversion takes a few
# hundred milliseconds, so this adds little to the wait and costs nothing while waiting.
_BUSY_POLL = 0.01


class NoFreeConverter(TimeoutError):
    """Every converter of the pool stayed busy until the caller's deadline."""


def lock_dir(configured: str | os.PathLike | None = None) -> Path:
    """The folder of the pool's lock files: the one given, UNOSERVER_LOCK_DIR, or a folder
    of this user's own in the temporary directory (private, so no other user can hold a
    converter's lock)."""
    chosen = configured or os.environ.get("UNOSERVER_LOCK_DIR")
    folder = (
        Path(chosen)
        if chosen
        else Path(tempfile.gettempdir()) / f"partnerships-converters-{os.getuid()}"
    )
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


@contextmanager
def claim(
    host: str, ports: Sequence[int], *, deadline: float, folder: Path | None = None
) -> Iterator[int]:
    """Yield the port of a converter nobody else is using, held until the block ends.

    Tries the servers from a random one onwards, so that callers spread over the pool; when
    all are busy, waits for the first to come free. Raises NoFreeConverter at `deadline`
    (a time.monotonic() value).
    """
    folder = folder or lock_dir()
    start = random.randrange(len(ports))
    order = [*ports[start:], *ports[:start]]
    while True:
        for port in order:
            handle = _try_lock(folder / f"{host}-{port}.lock")
            if handle is not None:
                try:
                    yield port
                finally:
                    handle.close()  # closing the file releases the lock
                return
        if time.monotonic() >= deadline:
            raise NoFreeConverter(f"all {len(ports)} converters stayed busy")
        time.sleep(_BUSY_POLL)


def _try_lock(path: Path):
    handle = path.open("a+b")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    except BaseException:
        with suppress(OSError):
            handle.close()
        raise
    return handle
