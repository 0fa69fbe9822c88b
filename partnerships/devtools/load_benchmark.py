"""The `load` area: the bounded load run of load.py on the benchmark's own database.

gunicorn (production settings, DEBUG off, loopback only) serves the generated registry;
--load-users users mix the MoU list, an MoU page, the target-group report and /verify/
uploads of an MoU signed by both parties over the benchmark's PKI (trusted by the server,
as a deployment trusts its CAs), for --load-duration seconds: each page's p95 (target under
500 ms) comes out as a figure, with the errors. In that mix /verify/ gets only the uploads
the users ask for (a fifth of some 50 clicks a second), so its capacity is measured apart:
VERIFY_USERS users uploading the same MoU back to back, with no pause, for
VERIFY_DURATION seconds (target 40 uploads a second, no errors), and again with every
upload a file the server has not checked before (no target: what the checks allow).
The area is skipped without LibreOffice or certomancer (the MoU to upload cannot be made).
"""

import dataclasses
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
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
# The /verify/ capacity run: as many users as the first measure, no pause.
VERIFY_USERS = 20
VERIFY_DURATION = 30


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


@contextmanager
def signed_mou(directory: Path) -> Iterator[tuple[bytes, Path, str]]:
    """An MoU signed by both parties and archived, its PKI's root (a PEM file) and the PKI's
    address, which answers (OCSP) until the end of the `with`: the server's checks of the
    uploads fetch from it as they would from a CA. ImportError without certomancer."""
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
        yield final, root, pki.base_url
    finally:
        pki.close()


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
        with ExitStack() as stack:
            directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="benchmark-load-"))
            session.log("Signing an MoU to upload to /verify/…")
            try:
                final, root, pki_url = stack.enter_context(signed_mou(Path(directory)))
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
            uploads = dataclasses.replace(
                plan,
                users=VERIFY_USERS,
                duration=min(plan.duration, VERIFY_DURATION),
                think=0.0,
                weights={"verify": 1},
            )
            session.log(f"{uploads.users} users uploading to /verify/ without a pause…")
            verify_alone, _elapsed = load.run(uploads)
            session.log("The same, each upload a file the server has not checked before…")
            new_files, _elapsed = load.run(dataclasses.replace(uploads, new_files=True))
        session.notes["load"] = {
            "workers": plan.workers,
            "threads": plan.threads,
            "users": plan.users,
            "duration_s": plan.duration,
            "think_s": plan.think,
            "verify_alone_users": uploads.users,
            "verify_alone_duration_s": uploads.duration,
        }
        yield from _figures(pages)
        yield from _verify_alone_figures(verify_alone, "verify_alone", load.VERIFY_RATE_TARGET)
        yield from _verify_alone_figures(new_files, "verify_new_files", None)


def _verify_alone_figures(
    pages: list[load.PageLoad], name: str, target: float | None
) -> Iterator[Figure]:
    """The /verify/-only run's figures: `verify_alone` (the signed MoU, checked once per
    worker and then answered from its memory of recent verdicts, as a document many
    people check is) holds the target; `verify_new_files` (every upload a file never
    checked) says what the checks themselves allow."""
    for page in pages:
        timed = {"how": REQUEST, "runs": page.answered}
        prefix = f"load.{name}"
        yield Figure(f"{prefix}.p50", page.p50_ms, "ms", **timed)
        yield Figure(f"{prefix}.p95", page.p95_ms, "ms", **timed)
        if target is None:
            yield Figure(f"{prefix}.per_second", page.per_second, "uploads/s", **timed)
        else:
            yield Figure.at_least(
                f"{prefix}.per_second", page.per_second, "uploads/s", target, **timed
            )
        yield Figure.equal_to(f"{prefix}.errors", page.errors, "errors", 0, "no errors")


def _session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _figures(pages: list[load.PageLoad]) -> Iterator[Figure]:
    for page in pages:
        timed = {"how": REQUEST, "runs": page.answered}
        prefix = f"load.{page.page}"
        yield Figure(f"{prefix}.p50", page.p50_ms, "ms", **timed)
        if page.page == "verify":  # its capacity: _verify_alone_figures
            yield Figure(f"{prefix}.p95", page.p95_ms, "ms", **timed)
            yield Figure(f"{prefix}.per_second", page.per_second, "uploads/s", **timed)
        else:
            yield Figure.under(
                f"{prefix}.p95", page.p95_ms, "ms", load.PAGES_P95_TARGET_MS, **timed
            )
            yield Figure(f"{prefix}.per_second", page.per_second, "requests/s", **timed)
        yield Figure.equal_to(f"{prefix}.errors", page.errors, "errors", 0, "no errors")
