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


def start(command: list[str]) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


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
