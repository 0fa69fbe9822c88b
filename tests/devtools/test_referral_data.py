"""The benchmark's referral generator loads its referrals as a bulk load does."""

import pytest
from django.db import connection
from django.utils import timezone

from partnerships.devtools.dataset import Dataset
from partnerships.models import DeliveryTally, Referral
from partnerships.reports import tallies
from partnerships.reports.tallies import OUTDATED


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the tally triggers it switches off for the load are PostgreSQL's (SQLite has none)",
)
def test_generated_referrals_outdate_each_of_their_lines_and_leave_the_trigger_on(db):
    dataset = Dataset()
    dataset.build_parties()
    dataset.grow_mous(20)
    dataset.grow_placements(200)
    today = timezone.localdate()
    tallies.refresh(as_of=today)
    assert not DeliveryTally.objects.filter(as_of=OUTDATED).exists()

    added = dataset.grow_referrals(per_placement=2.0)

    assert added >= 200
    lines = set(Referral.objects.values_list("pledge_id", flat=True))
    outdated = set(DeliveryTally.objects.filter(as_of=OUTDATED).values_list("pledge_id", flat=True))
    assert lines <= outdated  # counted live (and by the next recount), as the trigger would
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgname = %s",
            ["partnerships_tally_after_referral_insert"],
        )
        assert cursor.fetchone() == ("O",)  # on again for the registry's own writes
    assert tallies.refresh(as_of=today) == len(outdated)
