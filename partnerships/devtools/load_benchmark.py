"""The `load` area: the bounded load run of load.py on the benchmark's own database.

gunicorn (production settings, DEBUG off, loopback only) serves the generated registry;
--load-users users mix the MoU list, an MoU page, the target-group report and /verify/
uploads of an MoU signed by both parties over the benchmark's PKI (trusted by the server,
as a deployment trusts its CAs), for --load-duration seconds. Each page's p95 (target under
500 ms) and /verify/'s rate (target 40 a second) come out as figures, with the errors.
The area is skipped without LibreOffice or certomancer (the MoU to upload cannot be made).
"""

import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.test import Client

from partnerships.devtools import load
from partnerships.devtools.base import REQUEST, Benchmark, Figure, Session, whole_number
from partnerships.devtools.dataset import session_dataset
from partnerships.models import Mou, MouState, Role

REPORT_URL = "/reports/groups/"


def database_url() -> str:
    """The benchmark database as a DATABASE_URL, for gunicorn's processes."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"], safe="") + (
        f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    )
    return (
        f"postgresql://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def signed_mou(directory: Path) -> tuple[bytes, Path, str]:
    """An MoU signed by both parties and archived, its PKI's root (a PEM file) and the PKI's
    address (validation may fetch from it). ImportError without certomancer."""
    from partnerships.devtools import signing
    from partnerships.devtools.signing_pki import start_pki
    from partnerships.signing.pdf.fetching import FetchPolicy, fetch_policy

    pki = start_pki(directory)
    try:
        parties = signing._Parties(pki)
        pdf = signing.signable_mou()
        with fetch_policy(FetchPolicy.of([pki.base_url + "/"], internal=True)):
            try:
                final = signing.ours_flow(pdf, parties)
            except Exception:
                # Both parties' signatures without the network (B-B): still two signatures
                # and their revisions for the check to analyse.
                final = signing.ours_seal(signing.ours_certify(pdf, parties), parties)
        root = directory / "root.der"
        root.write_bytes(pki.root.dump())
    finally:
        pki.close()
    return final, root, pki.base_url


class LoadBenchmark(Benchmark):
    name = "load"
    help = "gunicorn under concurrent users: the MoU list, an MoU page, a report and /verify/"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--load-users", type=whole_number(minimum=1), default=50)
        parser.add_argument("--load-duration", type=whole_number(minimum=1), default=60)
        parser.add_argument("--load-workers", type=whole_number(minimum=1), default=3)
        parser.add_argument("--load-threads", type=whole_number(minimum=1), default=4)

    def run(self, session: Session) -> Iterator[Figure]:
        dataset = session_dataset(session)
        if dataset.mou_count < 1000:
            dataset.grow_mous(1000)
        staff = dataset.user(Role.AUTHORITY_STAFF)
        mou = (
            Mou.objects.filter(state=MouState.ACTIVE, authority=dataset.staff_authority).first()
            or Mou.objects.filter(state=MouState.ACTIVE).first()
        )
        users = [staff, dataset.user(Role.ADMINISTRATOR), dataset.user(Role.OFFICIAL)]
        with tempfile.TemporaryDirectory(prefix="benchmark-load-") as directory:
            session.log("Signing an MoU to upload to /verify/…")
            try:
                final, root, pki_url = signed_mou(Path(directory))
            except Exception as error:  # no certomancer, or no LibreOffice
                session.log(f"No load figures: no signed MoU to upload ({error}).")
                yield Figure("load.unavailable", 1, "flag")
                return
            static_root = Path(directory) / "static"
            env = load.production_environment(
                host="127.0.0.1",
                static_root=str(static_root),
                DATABASE_URL=database_url(),
                SECRET_KEY=settings.SECRET_KEY,
                PERSON_ID_HMAC_KEY=settings.PERSON_ID_HMAC_KEY,
                PERSON_NAME_KEY=",".join(settings.PERSON_NAME_KEYS),
                SIGNING_TRUST_ROOTS=str(root),
                SIGNING_FETCH_ALLOWED=pki_url + "/",
            )
            load.collect_static(env)
            plan = load.LoadPlan(
                urls={"list": "/mous/", "mou": mou.get_absolute_url(), "report": REPORT_URL},
                session_cookies=[_session(user) for user in users],
                session_cookie_name=settings.SESSION_COOKIE_NAME,
                uploads=[final],
                env=env,
                workers=session.options["load_workers"],
                threads=session.options["load_threads"],
                users=session.options["load_users"],
                duration=session.options["load_duration"],
            )
            session.log(
                f"{plan.users} users for {plan.duration:g} s on gunicorn "
                f"({plan.workers} workers × {plan.threads} threads)…"
            )
            pages, _elapsed = load.run(plan)
        session.notes["load"] = {
            "workers": plan.workers,
            "threads": plan.threads,
            "users": plan.users,
            "duration_s": plan.duration,
            "think_s": plan.think,
        }
        yield from _figures(pages)


def _session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _figures(pages: list[load.PageLoad]) -> Iterator[Figure]:
    for page in pages:
        timed = {"how": REQUEST, "runs": page.answered}
        prefix = f"load.{page.page}"
        yield Figure(f"{prefix}.p50", page.p50_ms, "ms", **timed)
        if page.page == "verify":
            yield Figure(f"{prefix}.p95", page.p95_ms, "ms", **timed)
            yield Figure.at_least(
                f"{prefix}.per_second",
                page.per_second,
                "uploads/s",
                load.VERIFY_RATE_TARGET,
                **timed,
            )
        else:
            yield Figure.under(
                f"{prefix}.p95", page.p95_ms, "ms", load.PAGES_P95_TARGET_MS, **timed
            )
            yield Figure(f"{prefix}.per_second", page.per_second, "requests/s", **timed)
        yield Figure.equal_to(f"{prefix}.errors", page.errors, "errors", 0, "no errors")
