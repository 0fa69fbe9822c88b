"""A business representative sees only their own partner's MoUs, once they are sent."""

import pytest

from partnerships.models import MouState
from tests.factories import bring_to, make_mou
from tests.factories.browser import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_business_representative_sees_only_their_partners_sent_mous(world, page):
    own_sent = bring_to(make_mou(world.ben_luc, world.garment, title="May: đã gửi"), MouState.SENT)
    own_draft = world.mou  # a draft of the same partner: internal to the authority
    other_partner = bring_to(
        make_mou(world.kim_bang, world.quarry, title="Đá: đã gửi"), MouState.SENT
    )
    log_in(page, world.business)

    assert page.locator('a[href="/mous/new/"]').count() == 0
    page.goto("/mous/")
    assert page.locator('a[href="/mous/new/"]').count() == 0
    rows = page.locator(".table-wrap table tbody tr")
    assert rows.count() == 1
    assert own_sent.title in rows.first.inner_text()
    assert own_draft.title not in page.content()
    assert other_partner.title not in page.content()

    for hidden in (own_draft, other_partner):
        response = page.goto(f"/mous/{hidden.pk}/")
        assert response.status == 404
    response = page.goto(f"/mous/{own_sent.pk}/")
    assert response.status == 200
    # They can read it, but the staff's actions are not theirs to take.
    assert page.locator('button[name="action"][value="recall"]').count() == 0
