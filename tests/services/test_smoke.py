from partnerships import lifecycle
from partnerships.models import MouState


def test_staff_can_send_a_ready_draft(world):
    lifecycle.perform(world.mou, "send", actor=world.staff)
    world.mou.refresh_from_db()
    assert world.mou.state == MouState.SENT
