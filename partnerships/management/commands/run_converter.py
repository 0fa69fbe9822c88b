"""Keep a warm LibreOffice (unoserver) running for document conversion until stopped.

Run it beside the web server and the worker (see README, "Running it for real"). While it
runs, conversions take the warm path; if it stops, they fall back to a one-off soffice.

However it ends, its LibreOffice goes with it: SIGTERM, SIGINT and SIGHUP stop the server in
order; if this process is killed outright (SIGKILL, out of memory) the server's lifeline (see
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

from django.core.management.base import BaseCommand, CommandError

from partnerships.documents.engine import convert


class Command(BaseCommand):
    help = "Run a warm LibreOffice converter (unoserver) until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=convert.DEFAULT_UNOSERVER_PORT)
        parser.add_argument(
            "--profile-dir",
            help="LibreOffice profile folder for this server (default: a new temporary one)",
        )

    def handle(self, *args, port, profile_dir=None, **options):
        _stop_with_parent(parent=os.getppid())
        profile = Path(profile_dir or tempfile.mkdtemp(prefix="partnerships-unoserver-"))
        try:
            process = convert.start_unoserver(port, profile)
        except convert.UnoserverUnavailable as error:
            raise CommandError(f"Could not start the converter: {error}") from error
        self.stdout.write(f"Converter listening on 127.0.0.1:{port} (profile {profile}).")
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, lambda *_: stopping.set())

        try:
            while not stopping.is_set() and process.poll() is None:
                stopping.wait(1)
        finally:
            convert.stop_unoserver(process)
        if not stopping.is_set():
            raise CommandError("The converter stopped by itself; conversions now run cold.")


PR_SET_PDEATHSIG = 1


def _stop_with_parent(*, parent: int) -> None:
    """Ask the kernel for SIGTERM when the parent process dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the request: act on it now
        os.kill(os.getpid(), signal.SIGTERM)
