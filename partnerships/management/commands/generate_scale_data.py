"""`python manage.py generate_scale_data --mous 10000 --pledges 50000 --placements 1000000`

Fills the *configured* database with a realistic large registry (one province, its bodies,
partners, MoUs in every state, pledge lines, people, placements and about two referrals a
placement), for measuring the
reports by hand on a database meant for it. `manage.py benchmark` needs none of this: it
generates the same kind of data in a throw-away database of its own.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from partnerships.devtools.base import whole_number
from partnerships.devtools.dataset import Dataset
from partnerships.models import (
    Mou,
    Person,
    Placement,
    Pledge,
)


class Command(BaseCommand):
    help = (
        "Generate a large registry (MoUs, pledge lines, people, placements) in the configured "
        "database. Meant for a database kept for benchmarks, never a production one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--mous", type=whole_number(minimum=1), default=10_000)
        parser.add_argument(
            "--pledges",
            type=whole_number(minimum=1),
            default=None,
            help="Pledge lines in all (default: five per MoU).",
        )
        parser.add_argument("--placements", type=whole_number(minimum=0), default=1_000_000)
        parser.add_argument("--partners", type=whole_number(minimum=1), default=300)
        parser.add_argument(
            "--referrals-per-placement",
            type=float,
            default=2.0,
            help="Referrals per placement on average: the one that led to it and earlier "
            "ones that came to nothing (default 2; below 1: none).",
        )
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, *args, **options):
        mous, placements = options["mous"], options["placements"]
        pledges = options["pledges"] or 5 * mous
        if pledges < mous:
            raise CommandError("Every MoU has at least one pledge line: --pledges >= --mous.")
        name = settings.DATABASES["default"]["NAME"]
        # Any MoU means a registry in use (or generated already): never mix made-up data
        # into it. Migrations add none, so a fresh database passes.
        held = Mou.objects.count()
        if held:
            raise CommandError(
                f"The {connection.vendor} database {name} already holds {held} MoU(s): "
                "generate_scale_data only fills an empty, migrated database. Point "
                "DATABASE_URL at a database kept for benchmarks."
            )
        self.stdout.write(f"Generating into {connection.vendor} database {name}…")
        dataset = Dataset(seed=options["seed"], pledges_per_mou=pledges / mous)

        started = time.perf_counter()
        dataset.build_parties(partners=options["partners"])
        dataset.grow_mous(mous)
        self.stdout.write(
            f"{Mou.objects.count()} MoUs and {Pledge.objects.count()} pledge lines "
            f"in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        dataset.grow_placements(placements)
        self.stdout.write(
            f"{Placement.objects.count()} placements of {Person.objects.count()} people "
            f"in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        added = dataset.grow_referrals(per_placement=options["referrals_per_placement"])
        self.stdout.write(f"{added} referrals in {time.perf_counter() - started:.1f} s")
        self.stdout.write(
            "Users bench_admin, bench_staff, bench_official and bench_business have no "
            "password; set one with `manage.py changepassword` to log in."
        )
