"""The load run behind scripts/load_run.py and the benchmark's `load` area: gunicorn with the
production settings on a loopback port, and concurrent users for a fixed time.

Each user requests, in a loop (after `think` seconds), one page picked by weight: the MoU
list, an MoU page, a report, or a /verify/ upload of a signed MoU. The client stands where
the TLS proxy would: it sends X-Forwarded-Proto: https (BEHIND_TLS_PROXY=1 makes Django trust
it) and gives each upload its own X-Forwarded-For address, as uploads from many people would
have: /verify/ allows 30 checks per address in 10 minutes, and one address posting 40 a
second would measure the rate limit, not the check. The clients share the machine's CPUs
with gunicorn: on a small machine their own cost is in the figures.
"""

import asyncio
import ipaddress
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES_P95_TARGET_MS = 500
VERIFY_RATE_TARGET = 40
PAGES = ("list", "mou", "report", "verify")


class LoadRefused(Exception):
    """The run would leave the loopback interface, or its bounds are out of range."""


@dataclass
class LoadPlan:
    """What to run: gunicorn's size, the users, and the pages they open."""

    urls: dict[str, str]  # list, mou, report -> path
    session_cookies: list[str]  # one logged-in session per user (reused round-robin)
    session_cookie_name: str
    uploads: list[bytes]  # signed PDFs for /verify/
    env: dict[str, str]  # gunicorn's environment: the production settings
    host: str = "127.0.0.1"
    port: int = 0
    workers: int = 3
    threads: int = 1
    users: int = 50
    duration: float = 60
    think: float = 1.0
    # Seconds of load before the clock starts: gunicorn's workers open their database
    # connections and fill their caches (templates, translations) on their first requests.
    warm_up: float = 5.0
    # Each upload a file the server has not seen (the PDF with a numbered comment after its
    # end), so that none is answered from its memory of recent verdicts.
    new_files: bool = False
    weights: dict[str, float] = field(
        default_factory=lambda: {"list": 3, "mou": 3, "report": 2, "verify": 2}
    )

    def check(self) -> None:
        if not ipaddress.ip_address(self.host).is_loopback:
            raise LoadRefused(f"{self.host} is not a loopback address: load runs only on 127.*")
        if not 1 <= self.duration <= 600:
            raise LoadRefused("the duration must be between 1 and 600 seconds")
        if not 1 <= self.users <= 500:
            raise LoadRefused("the users must be between 1 and 500")
        unknown = set(self.weights) - set(PAGES)
        if unknown:
            raise LoadRefused(f"unknown pages in the mix: {', '.join(sorted(unknown))}")


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def production_environment(*, host: str, static_root: str, **values: str) -> dict[str, str]:
    """gunicorn's environment: DEBUG off and the deployment's switches (TLS at the proxy),
    with `values` (SECRET_KEY, the person keys, DATABASE_URL) as given."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "partnerships.settings",
        "DEBUG": "0",
        "ALLOWED_HOSTS": host,
        "BEHIND_TLS_PROXY": "1",
        "STATIC_ROOT": static_root,
        # A mail server is required with DEBUG off; none of these pages sends mail.
        "EMAIL_HOST": host,
        "EMAIL_PORT": str(free_port(host)),
        **values,
    }


def collect_static(env: dict[str, str]) -> None:
    """The production storage serves hashed file names from a manifest: make it."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


# --- gunicorn -----------------------------------------------------------------------------


def start_gunicorn(plan: LoadPlan) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "partnerships.wsgi",
        f"--bind={plan.host}:{plan.port}",
        f"--workers={plan.workers}",
        f"--threads={plan.threads}",
        "--timeout=60",
        "--log-level=warning",
    ]
    log_path = Path(tempfile.gettempdir()) / f"load-run-gunicorn-{os.getpid()}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            command,
            cwd=ROOT,
            env=plan.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LoadRefused(f"gunicorn exited with {process.returncode}; see {log_path}")
        if _answers(plan):
            return process
        time.sleep(0.2)
    stop_gunicorn(process)
    raise LoadRefused(f"gunicorn did not start within 60 s; see {log_path}")


def _answers(plan: LoadPlan) -> bool:
    # Listening is not enough: gunicorn listens before its workers have loaded the app.
    request = urllib.request.Request(
        f"http://{plan.host}:{plan.port}/verify/",
        headers={"X-Forwarded-Proto": "https", "Host": plan.host},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- The clients --------------------------------------------------------------------------


@dataclass
class PageLoad:
    """What one page did under the load."""

    page: str
    answered: int
    errors: int
    error_kinds: list[str]
    p50_ms: float
    p95_ms: float
    per_second: float


def run(plan: LoadPlan) -> tuple[list[PageLoad], float]:
    """Start gunicorn, run the users for the plan's duration, stop gunicorn. Returns each
    page's figures and the seconds the load lasted."""
    plan.check()
    plan.port = plan.port or free_port(plan.host)
    server = start_gunicorn(plan)
    try:
        times, errors = asyncio.run(_run_users(plan))
        elapsed = plan.duration  # the counted part; a user's last request may end after it
    finally:
        stop_gunicorn(server)
    return [_page_load(page, times[page], errors[page], elapsed) for page in plan.weights], elapsed


def _page_load(page: str, times: list[float], errors: list[str], elapsed: float) -> PageLoad:
    return PageLoad(
        page=page,
        answered=len(times),
        errors=len(errors),
        error_kinds=sorted(set(errors)),
        p50_ms=round(statistics.median(times) * 1000, 1) if times else float("nan"),
        p95_ms=round(p95(times) * 1000, 1) if times else float("nan"),
        per_second=round(len(times) / elapsed, 1),
    )


def p95(samples: list[float]) -> float:
    """95th percentile by nearest rank (as the benchmark's)."""
    ordered = sorted(samples)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


async def _run_users(plan: LoadPlan):
    import aiohttp

    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    pages, weights = zip(*plan.weights.items(), strict=True)
    addresses = iter(range(1, 2**24))
    base = f"http://{plan.host}:{plan.port}"
    headers = {"X-Forwarded-Proto": "https", "Host": plan.host}
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(
        timeout=timeout, connector=aiohttp.TCPConnector(limit=0)
    ) as http:
        csrf = await _csrf(http, base, headers)
        counted_from = time.monotonic() + plan.warm_up
        end = counted_from + plan.duration

        async def user(number: int) -> None:
            cookie = f"{plan.session_cookie_name}="
            cookie += plan.session_cookies[number % len(plan.session_cookies)]
            rng = random.Random(number)
            await asyncio.sleep(rng.random() * max(plan.think, 0.5))  # not all at once
            while time.monotonic() < end:
                page = rng.choices(pages, weights)[0]
                counted = time.monotonic() >= counted_from
                started = time.perf_counter()
                try:
                    if page == "verify":
                        pdf, address = rng.choice(plan.uploads), next(addresses)
                        if plan.new_files:
                            pdf += b"\n%% upload %d\n" % address
                        status = await _upload(http, base, headers, csrf, pdf, address)
                    else:
                        status = await _get(http, base + plan.urls[page], headers, cookie)
                except (aiohttp.ClientError, TimeoutError) as error:
                    errors[page].append(type(error).__name__)  # counted, warm-up or not
                else:
                    if status != 200:
                        errors[page].append(str(status))
                    elif counted:
                        times[page].append(time.perf_counter() - started)
                if plan.think:
                    await asyncio.sleep(plan.think)

        await asyncio.gather(*(user(number) for number in range(plan.users)))
    return times, errors


async def _csrf(http, base: str, headers: dict) -> dict:
    async with http.get(base + "/verify/", headers=headers) as response:
        body = await response.text()
        if response.status != 200 or "csrftoken" not in response.cookies:
            raise LoadRefused(f"GET /verify/ answered {response.status} without a CSRF cookie")
        cookie = response.cookies["csrftoken"].value
    marker = 'name="csrfmiddlewaretoken" value="'
    return {"cookie": cookie, "token": body.split(marker, 1)[1].split('"', 1)[0]}


async def _get(http, url: str, headers: dict, cookie: str) -> int:
    async with http.get(url, headers={**headers, "Cookie": cookie}, allow_redirects=False) as got:
        await got.read()
        return got.status


async def _upload(http, base: str, headers: dict, csrf: dict, pdf: bytes, number: int) -> int:
    import aiohttp

    form = aiohttp.FormData()
    form.add_field("csrfmiddlewaretoken", csrf["token"])
    form.add_field("pdf", pdf, filename="mou.pdf", content_type="application/pdf")
    origin = f"https://{headers['Host']}"
    upload_headers = {
        **headers,
        "Cookie": f"csrftoken={csrf['cookie']}",
        "Origin": origin,
        "Referer": f"{origin}/verify/",
        # One address per upload, as from many people (see the module's docstring).
        "X-Forwarded-For": f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}",
    }
    async with http.post(
        base + "/verify/", data=form, headers=upload_headers, allow_redirects=False
    ) as response:
        await response.read()
        return response.status


def met(load: PageLoad) -> bool:
    """Pages: p95 under 500 ms; /verify/: 40 uploads a second; both without an error."""
    if load.errors or not load.answered:
        return False
    if load.page == "verify":
        return load.per_second >= VERIFY_RATE_TARGET
    return load.p95_ms < PAGES_P95_TARGET_MS
