import json
from io import StringIO

import pytest
from django.core.management import call_command

from partnerships.models import Placement

# The benchmark builds and drops its own database: a slow test (see tests/conftest.py).
pytestmark = pytest.mark.slow


@pytest.mark.django_db
def test_it_times_a_placement_import_in_its_own_database():
    out = StringIO()
    call_command(
        "benchmark",
        "--only",
        "imports",
        "--import-rows",
        "200",
        "--runs",
        "1",
        "--json",
        stdout=out,
        stderr=StringIO(),
    )

    figures = {figure["name"]: figure for figure in json.loads(out.getvalue())["figures"]}
    assert figures["imports.rows"]["value"] == 200
    read, save = figures["imports.read_and_check"], figures["imports.save"]
    total = figures["imports.total"]
    for figure in (read, save, total):
        assert figure["unit"] == "s"
        assert 0 < figure["value"] < 120
    assert total["value"] == pytest.approx(read["value"] + save["value"], abs=0.002)
    assert total["target"] == "< 3 s"
    assert total["met"] is (total["value"] < 3)
    assert (total["kind"], total["n"]) == ("function", 1)
    # The rows went into the benchmark's database, not ours.
    assert not Placement.objects.exists()
