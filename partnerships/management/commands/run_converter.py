"""Keep warm LibreOffice converters (unoservers) running for document conversion until stopped.

Run it beside the web server and the workers (see README, "Running it for real"). It starts
CONVERTER_POOL_SIZE servers (or --instances) on consecutive ports from UNOSERVER_PORT (or
--port), each with its own LibreOffice profile; each rendering takes a free one. A server
that dies is started again (the others serve meanwhile; renderings skip it until it is back).
With none running, conversions fall back to a one-off soffice.

However it ends, its LibreOffices go with it: SIGTERM, SIGINT and SIGHUP stop the servers in
order; if this process is killed outright (SIGKILL, out of memory) each server's lifeline (see
convert.start_unoserver) kills it; and if this process's parent dies, the kernel sends it
SIGTERM (PR_SET_PDEATHSIG), so a converter started by a shell script does not outlive it.
"""

import ctypes
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from partnerships.documents.engine import convert

# Seconds between looks at the servers; a dead one is started again at the next look.
CHECK_INTERVAL = 1


class Command(BaseCommand):
    help = "Run warm LibreOffice converters (unoserver), one per port, until interrupted."

    def add_arguments(self, parser):
        parser.add_argument(
            "--port",
            type=int,
            default=None,
            help="Port of the first server (default: the UNOSERVER_PORT setting).",
        )
        parser.add_argument(
            "--instances",
            type=_at_least_one,
            default=None,
            help="How many servers, on consecutive ports (default: CONVERTER_POOL_SIZE).",
        )
        parser.add_argument(
            "--profile-dir",
            help="Folder for the servers' LibreOffice profiles (default: a new temporary one)",
        )

    def handle(self, *args, port=None, instances=None, profile_dir=None, **options):
        _stop_with_parent(parent=os.getppid())
        first = port or settings.UNOSERVER_PORT
        ports = [first + offset for offset in range(instances or settings.CONVERTER_POOL_SIZE)]
        profile = Path(profile_dir or tempfile.mkdtemp(prefix="partnerships-unoserver-"))
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, lambda *_: stopping.set())

        servers: dict[int, object] = {}
        try:
            for server_port in ports:
                servers[server_port] = self._start(
                    server_port, _profile_of(profile, ports, server_port)
                )
            listed = ", ".join(str(server_port) for server_port in ports)
            self.stdout.write(
                f"Converters listening on 127.0.0.1:{listed} (profiles in {profile})."
            )
            while not stopping.wait(CHECK_INTERVAL):
                self._restart_the_dead(servers, profile, ports)
        finally:
            for process in servers.values():
                if process is not None:
                    convert.stop_unoserver(process)

    def _start(self, port: int, profile: Path):
        try:
            return convert.start_unoserver(port, profile)
        except convert.UnoserverUnavailable as error:
            raise CommandError(f"Could not start the converter on port {port}: {error}") from error

    def _restart_the_dead(self, servers: dict, profile: Path, ports: list[int]) -> None:
        for port, process in servers.items():
            if process is not None and process.poll() is None:
                continue
            if process is not None:
                convert.stop_unoserver(process)  # reaps it and closes its lifeline
                servers[port] = None
                self.stderr.write(f"The converter on port {port} stopped; starting it again.")
            try:
                servers[port] = convert.start_unoserver(port, _profile_of(profile, ports, port))
            except convert.UnoserverUnavailable as error:
                # The others go on serving; this one is tried again at the next look.
                self.stderr.write(f"The converter on port {port} did not start: {error}")


def _at_least_one(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(raw)
    return value


def _profile_of(profile: Path, ports: list[int], port: int) -> Path:
    # One server keeps the folder it was given (as before pools); several get one each.
    return profile if len(ports) == 1 else profile / str(port)


PR_SET_PDEATHSIG = 1


def _stop_with_parent(*, parent: int) -> None:
    """Ask the kernel for SIGTERM when the parent process dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the request: act on it now
        os.kill(os.getpid(), signal.SIGTERM)
