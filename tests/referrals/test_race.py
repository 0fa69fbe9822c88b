"""Two staff members give the last place of a line to two people at the same moment: the line
is locked while its open places are counted, so exactly one referral is made."""

import threading

import pytest
from django.db import connection

from partnerships.models import Pledge, PledgeKind, Referral, Role
from partnerships.referrals import services as referrals
from tests.factories import make_user
from tests.factories.referrals import a_person, refer


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite lacks row locks (SELECT ... FOR UPDATE); the real race runs on PostgreSQL",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_when_two_staff_refer_to_the_last_place_at_once_exactly_one_wins(placements_world):
    w = placements_world
    colleague = make_user("staff_colleague", Role.AUTHORITY_STAFF, authority=w.ben_luc)
    # Several rounds, so the two threads really overlap in at least some of them.
    for round_ in range(5):
        line = Pledge.objects.create(
            mou=w.active_mou, line=10 + round_, kind=PledgeKind.JOB, quantity=1, occupation="Thợ"
        )
        people = [a_person(w.ben_luc), a_person(w.ben_luc)]
        barrier = threading.Barrier(2)
        outcomes = []

        def attempt(user, person, line=line, barrier=barrier, outcomes=outcomes):
            try:
                barrier.wait(timeout=10)
                try:
                    refer(w, person, actor=user, pledge=line)
                except referrals.ReferralError as error:
                    outcomes.append(error.code)
                else:
                    outcomes.append("referred")
            finally:
                connection.close()

        threads = [
            threading.Thread(target=attempt, args=(user, person))
            for user, person in zip((w.staff, colleague), people, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert sorted(outcomes) == ["line_full", "referred"]
        assert Referral.objects.filter(pledge=line).count() == 1
