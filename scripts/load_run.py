#!/usr/bin/env python3
"""A bounded load run against gunicorn with the production settings, on loopback only.

    DATABASE_URL=postgresql://…/registry .venv/bin/python scripts/load_run.py \\
        --workers 3 --threads 4 --users 50 --duration 60

Uses the configured database with the demo data (`manage.py seed_demo`): the demo users who
can see an active MoU are logged in (their sessions created in the database, as Django's
force_login does, not by posting passwords), and the signed MoUs stored there are uploaded
to /verify/. gunicorn runs with DEBUG=0 on 127.0.0.1 and is stopped at the end; a
non-loopback --host is refused. The person keys are the development ones the demo data was
written with. Prints p50, p95, rate and errors per page; exits 1 when a target is missed.
See partnerships/devtools/load.py for what the users do.
"""

import argparse
import os
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from partnerships.devtools import load  # noqa: E402 - after the path is set

# The development keys seed_demo writes with (partnerships/settings.py): the names it
# encrypted must decrypt. Demo data on loopback only.
DEMO_KEYS = {
    "PERSON_ID_HMAC_KEY": "dev-only-person-id-hmac-key-do-not-use-in-production",
    "PERSON_NAME_KEY": "ZGV2LW9ubHktcGVyc29uLW5hbWUta2V5LW5vdC1wcmQ=",
}


def arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--users", type=int, default=50, help="concurrent users")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between clicks")
    parser.add_argument(
        "--mix",
        default="list=3,mou=3,report=2,verify=2",
        help="weights of the pages a click picks from: list, mou, report, verify",
    )
    parser.add_argument("--report-url", default="/reports/groups/")
    return parser.parse_args(argv)


def weights(mix: str) -> dict[str, float]:
    parts = (part.partition("=") for part in mix.split(","))
    return {name: float(weight or 1) for name, _, weight in parts}


def demo_users_and_uploads(report_url: str):
    """Session cookies of the demo users who can see the first active MoU, the pages, and
    the newest revision of each signed MoU."""
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from partnerships.authorities.permissions import visible_mous
    from partnerships.models import Mou, MouState, PdfRevision, UserProfile

    mou = Mou.objects.filter(state=MouState.ACTIVE).order_by("pk").first()
    if mou is None:
        sys.exit("No active MoU: load the demo data first (manage.py seed_demo).")
    cookies = []
    for profile in UserProfile.objects.select_related("user").order_by("user__username"):
        if profile.user.is_active and visible_mous(profile.user).filter(pk=mou.pk).exists():
            client = Client()
            client.force_login(profile.user)
            cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    uploads = [
        bytes(revision.pdf)
        for revision in PdfRevision.objects.order_by("mou_id", "-sequence").distinct("mou_id")
    ]
    if not cookies or not uploads:
        sys.exit("The demo data has no user who can see an active MoU, or no signed MoU.")
    urls = {"list": "/mous/", "mou": mou.get_absolute_url(), "report": report_url}
    return urls, cookies, settings.SESSION_COOKIE_NAME, uploads


def demo_trust_roots() -> dict[str, str]:
    """The demo PKI's roots (seed_demo signs with it), trusted as a deployment trusts its
    CAs, so /verify/ checks the demo signatures through to a trusted root."""
    roots = [ROOT / "var" / "demo-pki" / name for name in ("root.pem", "tsa-root.pem")]
    present = [str(root) for root in roots if root.exists()]
    return {"SIGNING_TRUST_ROOTS": ",".join(present)} if present else {}


def main(argv=None) -> int:
    options = arguments(argv)
    with tempfile.TemporaryDirectory(prefix="load-run-static-") as static_root:
        env = load.production_environment(
            host=options.host,
            static_root=static_root,
            SECRET_KEY=secrets.token_urlsafe(64),
            **DEMO_KEYS,
            **demo_trust_roots(),
        )
        # This process reads the sessions and PDFs under the same settings as gunicorn.
        os.environ.update(env)
        load.collect_static(env)
        urls, cookies, cookie_name, uploads = demo_users_and_uploads(options.report_url)
        plan = load.LoadPlan(
            urls=urls,
            session_cookies=cookies,
            session_cookie_name=cookie_name,
            uploads=uploads,
            env=env,
            host=options.host,
            port=options.port,
            workers=options.workers,
            threads=options.threads,
            users=options.users,
            duration=options.duration,
            think=options.think,
            weights=weights(options.mix),
        )
        try:
            pages, elapsed = load.run(plan)
        except load.LoadRefused as error:
            sys.exit(str(error))
    print(
        f"# gunicorn {plan.workers} workers × {plan.threads} threads · {plan.users} users · "
        f"think {plan.think:g} s · {elapsed:.0f} s · load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    for page in pages:
        kinds = f" ({', '.join(page.error_kinds)[:60]})" if page.errors else ""
        print(
            f"{page.page:7} n={page.answered:5} p50={page.p50_ms:7.0f} ms "
            f"p95={page.p95_ms:7.0f} ms rate={page.per_second:6.1f}/s "
            f"errors={page.errors}{kinds} {'ok' if load.met(page) else 'MISSED'}"
        )
    return 0 if all(load.met(page) for page in pages) else 1


if __name__ == "__main__":
    sys.exit(main())
