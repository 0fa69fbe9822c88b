"""Staff draft an MoU through the form, then send it, in a real browser.

Selectors use ids, names and values rather than words, so the tests hold in both languages.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from partnerships.models import (
    AuditEvent,
    Mou,
    MouState,
    TargetGroup,
)
from partnerships.mous.lifecycle import AUDIT_ACTION_LABELS
from tests.factories import dmy
from tests.factories.browser import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def fill_parties_and_term(page, world, *, title):
    today = timezone.localdate()
    page.select_option("#id_authority", str(world.ben_luc.pk))
    page.fill("#id_title", title)
    page.select_option("#id_partner", str(world.garment.pk))
    representative = world.garment.contacts.get(is_legal_representative=True)
    page.select_option("#id_partner_signatory", str(representative.pk))
    page.fill("#id_authority_signatory_name", "Võ Minh Tâm")
    page.fill("#id_authority_signatory_position", "TM. ỦY BAN NHÂN DÂN - CHỦ TỊCH")
    page.fill("#id_term_start", dmy(today))
    page.fill("#id_term_end", dmy(today + timedelta(days=730)))


def fill_pledge(page, index, *, kind, quantity, occupation, target_group):
    prefix = f"#id_pledges-{index}"
    page.select_option(f"{prefix}-kind", kind)
    page.fill(f"{prefix}-quantity", str(quantity))
    page.fill(f"{prefix}-occupation", occupation)
    page.check(f'input[name="pledges-{index}-target_groups"][value="{target_group.pk}"]')


def save_draft(page):
    page.locator("form.card button[type=submit].primary").click()
    page.wait_for_url(re.compile(r"/mous/\d+/$"))


def test_staff_creates_an_mou_and_sends_it(world, page):
    prison = TargetGroup.objects.get(code="completed_prison")
    log_in(page, world.staff)

    page.locator('a[href="/mous/new/"]').first.click()
    page.wait_for_url("**/mous/new/")
    fill_parties_and_term(page, world, title="Việc làm cho người chấp hành xong án phạt tù")
    fill_pledge(page, 0, kind="job", quantity=12, occupation="Công nhân may", target_group=prison)
    save_draft(page)

    mou = Mou.objects.get(title="Việc làm cho người chấp hành xong án phạt tù")
    assert page.url.endswith(f"/mous/{mou.pk}/")
    assert mou.state == MouState.DRAFT
    assert mou.term_end - mou.term_start == timedelta(days=730)
    assert page.locator(".message.success").is_visible()
    pledge_row = page.locator("table.data-table tbody tr", has_text="Công nhân may")
    assert pledge_row.count() == 1
    assert "12" in pledge_row.inner_text()
    assert prison.name_vi in pledge_row.inner_text()
    assert page.get_by_test_id("mou-state").get_attribute("class") == "badge state-draft"

    page.locator('button[name="action"][value="send"]').click()
    page.wait_for_load_state()

    badge = page.get_by_test_id("mou-state")
    assert badge.get_attribute("class") == "badge state-sent"
    mou.refresh_from_db()
    assert mou.state == MouState.SENT
    timeline = page.locator("ol.timeline li")
    assert timeline.count() == 2
    with translation.override("vi"):  # the page's language
        for event, (action, to_state) in enumerate(
            [("mou.created", MouState.DRAFT), ("mou.sent", MouState.SENT)]
        ):
            text = timeline.nth(event).inner_text()
            assert world.staff.username in text
            assert str(AUDIT_ACTION_LABELS[action]) in text
            assert text.endswith(f"→ {MouState(to_state).label}")
    assert list(AuditEvent.objects.filter(mou=mou).values_list("action", "actor")) == [
        ("mou.created", world.staff.pk),
        ("mou.sent", world.staff.pk),
    ]


def test_add_a_pledge_button_adds_a_second_pledge_and_both_are_saved(world, page):
    prison = TargetGroup.objects.get(code="completed_prison")
    rehab = TargetGroup.objects.get(code="post_rehab")
    log_in(page, world.staff)
    page.goto("/mous/new/")
    fill_parties_and_term(page, world, title="Hai dòng cam kết")

    assert page.locator(".formset[data-prefix=pledges] .formset-row").count() == 1
    page.locator('button.formset-add[data-prefix="pledges"]').click()
    assert page.locator(".formset[data-prefix=pledges] .formset-row").count() == 2
    assert page.input_value("#id_pledges-TOTAL_FORMS") == "2"

    fill_pledge(page, 0, kind="job", quantity=10, occupation="Công nhân may", target_group=prison)
    fill_pledge(page, 1, kind="training", quantity=4, occupation="Thợ hàn", target_group=rehab)
    save_draft(page)

    mou = Mou.objects.get(title="Hai dòng cam kết")
    pledges = list(mou.pledges.order_by("id"))
    assert [(p.kind, p.quantity, p.occupation) for p in pledges] == [
        ("job", 10, "Công nhân may"),
        ("training", 4, "Thợ hàn"),
    ]
    assert list(pledges[1].target_groups.all()) == [rehab]
    assert page.locator("table.data-table tbody tr").count() == 2
