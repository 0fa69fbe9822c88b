"""`run_converter` takes its LibreOffice with it however it ends: stopped (SIGTERM, SIGINT),
killed outright (SIGKILL), or orphaned by a parent that dies. Nothing is left holding the
converter's port or the profile."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from partnerships.documents.engine import convert
from tests.factories.documents import requires_libreoffice, unused_port

ROOT = Path(__file__).resolve().parents[2]


def processes_using(profile: Path) -> list[int]:
    """Processes whose command line names the profile folder: unoserver and LibreOffice."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(profile).encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def start(command: list[str], **popen) -> subprocess.Popen:
    # Unbuffered, so that what the command prints to a file is there to read at once.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, **popen)


def converter_command(port: int, profile: Path) -> list[str]:
    return [sys.executable, "manage.py", "run_converter", f"--port={port}",
            f"--profile-dir={profile}"]  # fmt: skip


@requires_libreoffice
@pytest.mark.parametrize("ending", ["SIGTERM", "SIGINT", "SIGKILL", "parent dies"])
def test_nothing_of_the_converter_outlives_it(tmp_path, ending):
    port, profile = unused_port(), tmp_path / "profile"
    command = converter_command(port, profile)
    if ending == "parent dies":
        # A shell that started it, killed outright: the converter is told by the kernel.
        parent = start(["/bin/sh", "-c", " ".join(f"'{part}'" for part in command) + " & wait"])
    else:
        parent = start(command)
    try:
        assert wait_until(lambda: listening(port), 90), "the converter did not start"
        assert processes_using(profile)

        if ending == "parent dies":
            os.kill(parent.pid, signal.SIGKILL)
        else:
            os.kill(parent.pid, getattr(signal, ending))
        parent.wait(timeout=30)

        assert wait_until(lambda: not listening(port) and not processes_using(profile), 20), (
            f"left running: {processes_using(profile)}"
        )
    finally:
        for pid in processes_using(profile):
            os.kill(pid, signal.SIGKILL)
        if parent.poll() is None:
            os.killpg(parent.pid, signal.SIGKILL)


def answering(port: int) -> bool:
    # unoserver listens before its LibreOffice is up; it answers once it is.
    return convert.unoserver_is_ready("127.0.0.1", port, timeout=2)


def server_of_port(port: int) -> int | None:
    """The unoserver process serving this port (the leader of its process group)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"--port={port}".encode() in cmdline:
            return int(entry.name)
    return None


@requires_libreoffice
def test_a_pool_of_converters_starts_again_the_one_that_dies(tmp_path):
    first, profile = unused_port(), tmp_path / "profiles"
    ports = [first, first + 1]
    if listening(first + 1):
        pytest.skip("the port after the free one is taken")
    output = tmp_path / "run_converter.out"
    with output.open("wb") as stdout:
        parent = start([*converter_command(first, profile), "--instances=2"], stdout=stdout)
    try:
        # Wait for the pool, not only for its ports: the last server answers us a moment
        # before run_converter's own look at it returns, and one killed in between dies while
        # the pool is still starting, which run_converter takes for a server that could not
        # start (CommandError, exit), not for a crash to recover from. The restarts begin
        # once it says it is listening.
        assert wait_until(lambda: b"Converters listening" in output.read_bytes(), 120), (
            f"not started: {output.read_text(errors='replace')}"
        )
        assert all(answering(port) for port in ports)
        victim = server_of_port(ports[1])
        assert victim is not None

        os.killpg(victim, signal.SIGKILL)  # unoserver and its LibreOffice, as a crash would

        # A new server takes the port (on a loaded machine reaping the old one and starting
        # the next can take a while: the restart is looked for every second).
        assert wait_until(lambda: (server_of_port(ports[1]) or victim) != victim, 90), (
            "no new converter on the dead one's port"
        )
        assert wait_until(lambda: answering(ports[1]), 90), "the dead converter was not restarted"
        assert answering(ports[0])
        os.kill(parent.pid, signal.SIGTERM)
        parent.wait(timeout=30)
        assert wait_until(lambda: not processes_using(profile), 20)
    finally:
        for pid in processes_using(profile):
            os.kill(pid, signal.SIGKILL)
        if parent.poll() is None:
            os.killpg(parent.pid, signal.SIGKILL)
