"""DOCX to PDF/A-2b with LibreOffice: a warm unoserver when one is running, else a cold soffice.

Warm: one LibreOffice kept running behind unoserver's XML-RPC API (about 0.1 s a document),
or several (a pool on consecutive ports): each conversion takes a free one (pool.py).
Cold: one `soffice --convert-to` per document (about 1.5 s, most of it LibreOffice starting).
Each LibreOffice has its own user profile, because two instances sharing a profile either
hand the work to each other or corrupt it, and its own process group, so that a hang can be
ended by killing the group: soffice is a shell script that starts oosplash, which starts
soffice.bin, and killing only the first leaves the others running.

Bytes in, bytes out: no database, no HTTP, no settings. The warm server is found through the
UNOSERVER_HOST / UNOSERVER_PORT environment variables (or arguments: `unoserver_ports` for a
pool), the soffice executable through SOFFICE_PATH (or an argument).
"""

import importlib.util
import io
import json
import logging
import os
import signal
import socket
import subprocess
import tempfile
import time
import xmlrpc.client
import zipfile
import zlib
from collections.abc import Sequence
from contextlib import suppress
from enum import StrEnum
from http.client import HTTPException
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from partnerships.documents.engine import pool
from partnerships.documents.engine.errors import DocumentError

logger = logging.getLogger(__name__)

DEFAULT_UNOSERVER_HOST = "127.0.0.1"
DEFAULT_UNOSERVER_PORT = 2003
# unoserver's server needs LibreOffice's Python bindings (Debian: python3-uno), which live in
# the system Python, not in the virtualenv.
DEFAULT_UNOSERVER_PYTHON = "/usr/bin/python3"

# The API version of unoserver's XML-RPC interface that this client speaks (unoserver 3.x).
UNOSERVER_API = "3"

DOCX_IMPORT_FILTER = "MS Word 2007 XML"
PDF_EXPORT_FILTER = "writer_pdf_Export"
# SelectPdfVersion 2 is PDF/A-2b in LibreOffice 7.4 (1 is PDF/A-1b, 3 is PDF/A-3b): the
# XMP metadata then carries pdfaid:part 2, conformance B, and every font is embedded.
PDF_VERSION_PDFA_2B = 2
_COLD_EXPORT_OPTIONS = json.dumps(
    {"SelectPdfVersion": {"type": "long", "value": str(PDF_VERSION_PDFA_2B)}},
    separators=(",", ":"),
)
_WARM_EXPORT_OPTIONS = [f"SelectPdfVersion={PDF_VERSION_PDFA_2B}"]

# What LibreOffice prints when it cannot open the input; it still exits with status 0.
_LOAD_FAILED = "source file could not be loaded"
_WARM_LOAD_FAILED = "Could not load document"
# Connecting to a local server takes microseconds; a longer wait means nothing is there.
_PROBE_TIMEOUT = 1.0
# A server that is still starting LibreOffice accepts connections but answers only once it
# is up; rather than wait for that, convert cold this time.
_API_CHECK_TIMEOUT = 10.0


class ConversionFailure(StrEnum):
    CORRUPT = "corrupt"
    CRASHED = "crashed"
    TIMED_OUT = "timed_out"


_MESSAGES = {
    ConversionFailure.CORRUPT: _(
        "The document could not be opened for conversion to PDF: the file is damaged or is "
        "not a Word (.docx) document."
    ),
    ConversionFailure.CRASHED: _(
        "LibreOffice failed while converting the document to PDF. Please try again; if it "
        "keeps failing, tell the administrator."
    ),
    ConversionFailure.TIMED_OUT: _(
        "Converting the document to PDF took too long and was stopped. Please try again."
    ),
}


class ConversionError(DocumentError):
    """The PDF could not be made; `reason` says whether the input, LibreOffice or time failed."""

    def __init__(self, reason: ConversionFailure):
        super().__init__(_MESSAGES[reason])
        self.reason = reason


class UnoserverUnavailable(Exception):
    """No compatible unoserver answers at the address, or one could not be started."""


def convert_docx_to_pdf(
    docx: bytes,
    *,
    timeout: float = 60,
    soffice: str | None = None,
    unoserver_host: str | None = None,
    unoserver_port: int | None = None,
    unoserver_ports: Sequence[int] | None = None,
) -> bytes:
    """PDF/A-2b bytes of a DOCX: through a free warm unoserver if one answers, else a cold
    soffice. `unoserver_ports` names a pool (on `unoserver_host`); without it the one server
    at `unoserver_port` (or UNOSERVER_PORT) is the pool.

    Raises ConversionError for a damaged input, a LibreOffice failure or a timeout (a pool
    that stays busy that long included).
    """
    _check_docx(docx)
    deadline = time.monotonic() + timeout
    host, port = _unoserver_address(unoserver_host, unoserver_port)
    ports = list(unoserver_ports or [port])
    try:
        return _convert_in_pool(docx, host=host, ports=ports, deadline=deadline)
    except UnoserverUnavailable:
        logger.info("No unoserver at %s:%s; converting with a one-off soffice", host, ports)
    # Finding no server takes at most _PROBE_TIMEOUT; the cold run gets what is left.
    return _convert_cold(docx, soffice=soffice, timeout=max(deadline - time.monotonic(), 1))


def convert_warm(
    docx: bytes, *, timeout: float = 60, host: str | None = None, port: int | None = None
) -> bytes:
    """Convert through a running unoserver; UnoserverUnavailable if none answers there."""
    _check_docx(docx)
    host, port = _unoserver_address(host, port)
    return _convert_warm(docx, host=host, port=port, timeout=timeout)


def convert_cold(docx: bytes, *, timeout: float = 60, soffice: str | None = None) -> bytes:
    """Convert with a one-off `soffice --convert-to`, killed with its children on timeout."""
    _check_docx(docx)
    return _convert_cold(docx, soffice=soffice, timeout=timeout)


# --- Checks on both ends -----------------------------------------------------------------


def _check_docx(docx: bytes) -> None:
    # LibreOffice imports anything it cannot recognise as plain text, so random bytes would
    # come out as a PDF full of garbage: the container is checked here instead.
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as archive:
            names = set(archive.namelist())
            if not {"[Content_Types].xml", "word/document.xml"} <= names:
                raise ConversionError(ConversionFailure.CORRUPT)
            if archive.testzip() is not None:
                raise ConversionError(ConversionFailure.CORRUPT)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError) as error:
        # RuntimeError: an encrypted member; the others: truncated or not a zip at all.
        raise ConversionError(ConversionFailure.CORRUPT) from error


def _check_pdf(pdf: bytes | None) -> bytes:
    if not pdf or not pdf.startswith(b"%PDF"):
        logger.warning("The converter returned no PDF (%d bytes)", len(pdf or b""))
        raise ConversionError(ConversionFailure.CRASHED)
    return pdf


# --- Warm: a running unoserver -------------------------------------------------------------


def _unoserver_address(host: str | None, port: int | None) -> tuple[str, int]:
    host = host or os.environ.get("UNOSERVER_HOST") or DEFAULT_UNOSERVER_HOST
    if port is None:
        raw = os.environ.get("UNOSERVER_PORT") or str(DEFAULT_UNOSERVER_PORT)
        try:
            port = int(raw)
        except ValueError:
            raise ValueError(f"UNOSERVER_PORT must be a port number, not {raw!r}") from None
    return host, port


class _TimeoutTransport(xmlrpc.client.Transport):
    # ServerProxy has no timeout of its own (and unoserver's UnoClient neither, which is why
    # its XML-RPC API is called directly): without one a stuck server blocks the caller.
    def __init__(self, timeout: float):
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


def _proxy(host: str, port: int, timeout: float) -> xmlrpc.client.ServerProxy:
    return xmlrpc.client.ServerProxy(
        f"http://{host}:{port}", transport=_TimeoutTransport(timeout), allow_none=True
    )


def _is_listening(host: str, port: int) -> bool:
    # A TCP connect, not an XML-RPC call: unoserver serves one request at a time, and a busy
    # server still accepts connections into its backlog; it must not count as absent.
    try:
        with socket.create_connection((host, port), timeout=_PROBE_TIMEOUT):
            return True
    except OSError:
        return False


_compatible_servers: set[tuple[str, int]] = set()


def _check_api(host: str, port: int, timeout: float) -> None:
    if (host, port) in _compatible_servers:
        return
    try:
        api = _proxy(host, port, min(timeout, _API_CHECK_TIMEOUT)).info()["api"]
    except (OSError, HTTPException, xmlrpc.client.Error, KeyError, TypeError) as error:
        raise UnoserverUnavailable(f"{host}:{port} did not answer as a unoserver") from error
    if api != UNOSERVER_API:
        logger.warning("unoserver at %s:%s speaks API %s, not %s", host, port, api, UNOSERVER_API)
        raise UnoserverUnavailable(f"{host}:{port} speaks unoserver API {api}")
    _compatible_servers.add((host, port))


def _convert_warm(docx: bytes, *, host: str, port: int, timeout: float) -> bytes:
    if not _is_listening(host, port):
        raise UnoserverUnavailable(f"nothing listens on {host}:{port}")
    _check_api(host, port, timeout)
    try:
        # Sent as data, not a path, so the server may run on another machine or in a container.
        result = _proxy(host, port, timeout).convert(
            None,  # inpath
            xmlrpc.client.Binary(docx),
            None,  # outpath: return the bytes
            "pdf",
            PDF_EXPORT_FILTER,
            _WARM_EXPORT_OPTIONS,
            True,  # update_index
            DOCX_IMPORT_FILTER,
            None,  # password
        )
    except ConnectionRefusedError as error:
        # Gone between the probe and the call; nothing was sent, so the cold path may try.
        raise UnoserverUnavailable(f"{host}:{port} refused the connection") from error
    except TimeoutError as error:
        logger.warning("unoserver at %s:%s took longer than %ss", host, port, timeout)
        raise ConversionError(ConversionFailure.TIMED_OUT) from error
    except xmlrpc.client.Fault as fault:
        raise ConversionError(_warm_failure(fault)) from fault
    except (OSError, HTTPException, xmlrpc.client.Error) as error:
        logger.warning("unoserver at %s:%s failed: %s", host, port, type(error).__name__)
        raise ConversionError(ConversionFailure.CRASHED) from error
    return _check_pdf(result.data if result is not None else None)


def _warm_failure(fault: xmlrpc.client.Fault) -> ConversionFailure:
    if _WARM_LOAD_FAILED in fault.faultString:
        return ConversionFailure.CORRUPT
    # unoserver's own --conversion-timeout: it kills LibreOffice and exits.
    if "TimeoutError" in fault.faultString:
        logger.warning("unoserver stopped a conversion that ran past its own time limit")
        return ConversionFailure.TIMED_OUT
    logger.warning("unoserver failed: %s", fault.faultString[:300])
    return ConversionFailure.CRASHED


def _convert_in_pool(docx: bytes, *, host: str, ports: list[int], deadline: float) -> bytes:
    """Convert on a free server of the pool. A server that is not there (never started, or
    died and not yet back) is skipped for the next; UnoserverUnavailable once none is left.
    A server that fails during the conversion fails it: the document that brought down one
    LibreOffice is not handed to the next."""
    remaining = list(ports)
    while remaining:
        try:
            with pool.claim(host, remaining, deadline=deadline) as port:
                try:
                    return _convert_warm(
                        docx, host=host, port=port, timeout=max(deadline - time.monotonic(), 1)
                    )
                except UnoserverUnavailable as error:
                    if len(ports) > 1:
                        logger.warning("Converter %s:%s skipped: %s", host, port, error)
                    remaining.remove(port)
        except pool.NoFreeConverter as error:
            logger.warning("No converter came free in time: %s", error)
            raise ConversionError(ConversionFailure.TIMED_OUT) from error
    raise UnoserverUnavailable(f"no unoserver answers on {host} at ports {ports}")


# --- Cold: one soffice per document --------------------------------------------------------


def _soffice_path(soffice: str | None) -> str:
    return soffice or os.environ.get("SOFFICE_PATH") or "soffice"


def _convert_cold(docx: bytes, *, soffice: str | None, timeout: float) -> bytes:
    with tempfile.TemporaryDirectory(
        prefix="partnerships-convert-", ignore_cleanup_errors=True
    ) as work_dir:
        work = Path(work_dir)
        source = work / "document.docx"
        source.write_bytes(docx)
        outdir = work / "out"
        command = [
            _soffice_path(soffice),
            # A fresh profile per call: two conversions at once never meet.
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            f"--infilter={DOCX_IMPORT_FILTER}",
            "--convert-to",
            f"pdf:{PDF_EXPORT_FILTER}:{_COLD_EXPORT_OPTIONS}",
            "--outdir",
            str(outdir),
            str(source),
        ]
        output_log = work / "soffice.log"
        returncode = _run_in_own_group(
            command, output_log=output_log, timeout=timeout, env=_env_with_tmpdir(work)
        )
        output = output_log.read_text(errors="replace")
        pdf_path = outdir / "document.pdf"
        if returncode == 0 and not pdf_path.exists() and _LOAD_FAILED in output:
            raise ConversionError(ConversionFailure.CORRUPT)
        if returncode != 0 or not pdf_path.exists():
            logger.warning("soffice exited with %s and no PDF: %s", returncode, output[-500:])
            raise ConversionError(ConversionFailure.CRASHED)
        return _check_pdf(pdf_path.read_bytes())


def _env_with_tmpdir(directory: Path) -> dict[str, str]:
    # LibreOffice keeps its scratch files in TMPDIR (/tmp/lu*.tmp) and leaves them behind when
    # killed; inside our own directory they are removed with it.
    tmp = directory / "tmp"
    tmp.mkdir(exist_ok=True)
    return {**os.environ, "TMPDIR": str(tmp)}


def _spawn_in_own_group(
    command: list[str], *, log, env: dict[str, str], pass_fds: tuple[int, ...] = ()
) -> subprocess.Popen:
    """Start LibreOffice or unoserver in a process group of its own (so that the whole group,
    stray children included, can be killed), output to `log`, nothing on stdin. Output goes
    to a file, not a pipe: a pipe held open by a stray child would block reading."""
    return subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
        command,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=env,
        pass_fds=pass_fds,
    )


def _run_in_own_group(
    command: list[str], *, output_log: Path, timeout: float, env: dict[str, str]
) -> int:
    with output_log.open("wb") as log:
        try:
            process = _spawn_in_own_group(command, log=log, env=env)
        except OSError as error:
            logger.error("Cannot start %s: %s", command[0], error)
            raise ConversionError(ConversionFailure.CRASHED) from error
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as error:
            logger.warning("soffice ran past %ss; killing its process group", timeout)
            _kill_group(process.pid, signal.SIGKILL)
            process.wait()
            raise ConversionError(ConversionFailure.TIMED_OUT) from error
        finally:
            # soffice.bin may outlive the launcher that was waited for; a group that still
            # has members keeps its id reserved, so this reaches only our own stragglers.
            _kill_group(process.pid, signal.SIGKILL)


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pgid, sig)


# --- Starting and stopping a unoserver for the app's own processes -------------------------


def start_unoserver(
    port: int,
    profile_dir: str | os.PathLike,
    *,
    host: str = DEFAULT_UNOSERVER_HOST,
    uno_port: int | None = None,
    soffice: str | None = None,
    python: str | None = None,
    conversion_timeout: int = 60,
    ready_timeout: float = 60,
) -> subprocess.Popen:
    """Start a unoserver (and its LibreOffice) in a new process group and wait until it answers.

    `profile_dir` holds the LibreOffice profile and unoserver.log; give each server its own.
    The server runs under UNOSERVER_PYTHON (default /usr/bin/python3, which needs python3-uno)
    with unoserver imported from this virtualenv. Stop it with stop_unoserver().
    """
    profile = Path(profile_dir).resolve()
    profile.mkdir(parents=True, exist_ok=True)
    if _is_listening(host, port):
        raise UnoserverUnavailable(f"{host}:{port} is already in use")
    command = [
        python or os.environ.get("UNOSERVER_PYTHON") or DEFAULT_UNOSERVER_PYTHON,
        *_unoserver_launcher(),
        f"--interface={host}",
        f"--port={port}",
        f"--uno-interface={host}",
        f"--uno-port={uno_port or _free_port(host)}",
        f"--user-installation={profile / 'libreoffice'}",
        f"--executable={_soffice_path(soffice)}",
        # unoserver then kills LibreOffice and exits; later conversions go cold until the
        # process manager starts it again.
        f"--conversion-timeout={conversion_timeout}",
    ]
    # A lifeline: the server holds the reading end of a pipe whose writing end only this
    # process holds. However this process ends (SIGKILL included), the kernel closes the
    # writing end and the server's watchdog kills its whole process group: no LibreOffice is
    # left holding the port.
    lifeline_read, lifeline_write = os.pipe()
    command.insert(3, str(lifeline_read))  # after "-c" and the launcher code
    with (profile / "unoserver.log").open("ab") as log:
        try:
            process = _spawn_in_own_group(
                command, log=log, env=_env_with_tmpdir(profile), pass_fds=(lifeline_read,)
            )
        except OSError as error:
            os.close(lifeline_write)
            raise UnoserverUnavailable(f"cannot start {command[0]}: {error}") from error
        finally:
            os.close(lifeline_read)
    process.lifeline = lifeline_write
    try:
        _wait_until_ready(process, host, port, ready_timeout, log_path=profile / "unoserver.log")
    except BaseException:
        stop_unoserver(process)
        raise
    logger.info("unoserver started on %s:%s (pid %s)", host, port, process.pid)
    return process


def _unoserver_launcher() -> list[str]:
    # unoserver is installed in the virtualenv, uno only in the system Python: the system
    # Python runs unoserver with the virtualenv's site-packages appended, not prepended, so
    # its own modules (uno among them) come first.
    spec = importlib.util.find_spec("unoserver")
    if spec is None or spec.origin is None:
        raise UnoserverUnavailable("the unoserver package is not installed")
    site_packages = str(Path(spec.origin).parent.parent)
    # The first argument is the lifeline (see start_unoserver): a thread waits for its end of
    # file, then kills the process group (unoserver and the LibreOffice it started).
    code = (
        "import os, signal, sys, threading\n"
        "lifeline = int(sys.argv.pop(1))\n"
        "def watch():\n"
        "    try:\n"
        "        while os.read(lifeline, 64):\n"
        "            pass\n"
        "    finally:\n"
        "        os.killpg(0, signal.SIGKILL)\n"
        "threading.Thread(target=watch, daemon=True).start()\n"
        "sys.path.append(sys.argv.pop(1))\n"
        "from unoserver.server import main\n"
        "sys.exit(main())\n"
    )
    return ["-c", code, site_packages]


def stop_unoserver(process: subprocess.Popen, *, timeout: float = 10) -> None:
    """Stop a server from start_unoserver: SIGTERM to unoserver, then SIGKILL to the group.

    Only unoserver gets the SIGTERM: it shuts LibreOffice down in order. A SIGTERM to the
    whole group leaves unoserver waiting for an oosplash that never exits.
    """
    with suppress(ProcessLookupError):
        process.terminate()
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)
    _kill_group(process.pid, signal.SIGKILL)
    process.wait()
    lifeline = getattr(process, "lifeline", None)
    if lifeline is not None:
        process.lifeline = None
        with suppress(OSError):
            os.close(lifeline)


def unoserver_is_ready(host: str, port: int, *, timeout: float = 5) -> bool:
    """Whether a unoserver with a compatible API answers at host:port."""
    try:
        return _proxy(host, port, timeout).info()["api"] == UNOSERVER_API
    except (OSError, HTTPException, xmlrpc.client.Error, KeyError, TypeError):
        return False


def _wait_until_ready(
    process: subprocess.Popen, host: str, port: int, timeout: float, *, log_path: Path
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log_tail = log_path.read_text(errors="replace")[-1000:]
            raise UnoserverUnavailable(
                f"unoserver exited with status {process.returncode}; its log ends:\n{log_tail}"
            )
        # unoserver listens before LibreOffice is up and answers once it is: one call may wait.
        if unoserver_is_ready(host, port, timeout=max(deadline - time.monotonic(), 0.1)):
            return
        time.sleep(0.25)
    raise UnoserverUnavailable(f"unoserver did not answer on {host}:{port} within {timeout}s")


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
