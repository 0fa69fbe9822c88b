"""The events' world: the placements world (an active MoU no. 10 of the garment factory at
Bến Lức, a sent no. 11, a draft, and the quarry's active MoU at Kim Bảng) plus a sent MoU of
the dissolved Bến Lức district, whose successor is the Bến Lức commune."""

from datetime import timedelta

import pytest

from partnerships.events import services
from partnerships.models import MouState, TargetGroup
from tests.factories.world import bring_to, make_mou


@pytest.fixture
def events_world(placements_world):
    w = placements_world
    w.district_mou = bring_to(make_mou(w.ben_luc_district, w.garment, number=5), MouState.SENT)
    w.groups = {group.code: group for group in TargetGroup.objects.all()}
    w.held_on = w.today - timedelta(days=30)
    return w


@pytest.fixture
def details(events_world):
    """EventDetails for a dialogue at Bến Lức; keyword arguments replace any value."""
    w = events_world

    def build(**overrides) -> services.EventDetails:
        values = {
            "authority": w.ben_luc,
            "kind": "dialogue",
            "title": "Đối thoại doanh nghiệp và người lầm lỡ",
            "held_on": w.held_on,
            "place": "Hội trường UBND xã Bến Lức",
            "organisers": "Công an xã Bến Lức",
            "attendance": {
                (w.groups["completed_prison"].pk, "male"): 10,
                (w.groups["completed_prison"].pk, "female"): 2,
            },
            "partners": [],
            "mous": [w.active_mou],
        } | overrides
        return services.EventDetails(**values)

    return build


@pytest.fixture
def event(events_world, details):
    return services.create_event(actor=events_world.staff, details=details())
