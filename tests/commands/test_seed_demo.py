"""seed_demo: demonstration data in every state, and nothing new the second time.

Seeding renders a real PDF for every MoU, so the command runs twice per module, not per
test: the `seeded` fixture keeps both runs inside one transaction that it rolls back at
the end, and each test reads the result inside its own savepoint."""

import itertools
import re
from dataclasses import dataclass
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import transaction

from partnerships.authorities.permissions import visible_mous
from partnerships.models import (
    Authority,
    Mou,
    MouState,
    Partner,
)


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models = [*apps.get_app_config("partnerships").get_models(), User, Group]
    return {model._meta.label: model.objects.count() for model in models}


@dataclass
class SeedRuns:
    first_output: str
    counts_after_first: dict[str, int]
    second_output: str
    counts_after_second: dict[str, int]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        first_output = seed()
        after_first = row_counts()
        second_output = seed()
        yield SeedRuns(first_output, after_first, second_output, row_counts())
        transaction.set_rollback(True)


def test_it_creates_mous_in_every_state(seeded, db):
    assert set(Mou.objects.values_list("state", flat=True)) == set(MouState.values)


def test_running_it_twice_creates_nothing_new(seeded, db):
    assert seeded.counts_after_second == seeded.counts_after_first
    assert seeded.counts_after_first["partnerships.Mou"] >= len(MouState.values)
    assert "(0 new MoUs)" in seeded.second_output
    assert "password unchanged" in seeded.second_output
    assert "password unchanged" not in seeded.first_output


def test_it_prints_each_new_users_password_once_and_it_works(seeded, db):
    for user in User.objects.all():
        pattern = rf"^  {user.username} \(.*\): password (\S+)$"
        printed = re.findall(pattern, seeded.first_output, re.M)
        assert len(printed) == 1, user.username
        assert user.check_password(printed[0])
        assert not re.findall(pattern, seeded.second_output, re.M)


def test_every_mou_went_through_the_lifecycle_and_left_a_trail(seeded, db):
    for mou in Mou.objects.all():
        events = [event for event in mou.audit_events.order_by("id") if event.to_state]
        assert events[0].action == "mou.created"
        assert events[-1].to_state == mou.state
        for earlier, later in itertools.pairwise(events):
            assert later.from_state == earlier.to_state


def test_it_builds_the_reformed_authorities_and_the_demo_partners(seeded, db):
    dissolved = Authority.objects.filter(is_dissolved=True)
    assert dissolved.exists()
    assert all(authority.successor_id for authority in dissolved)
    names = " ".join(Partner.objects.values_list("name", flat=True)).lower()
    assert "đá" in names
    assert "may" in names


def test_the_demo_staff_see_the_dissolved_districts_mous(seeded, db):
    staff = User.objects.get(username="demo_staff")
    district = Authority.objects.get(name="UBND huyện Bến Lức")
    assert district.mous.exists()
    assert set(district.mous.all()) <= set(visible_mous(staff))
