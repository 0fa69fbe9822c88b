"""What a first-time user meets in the forms, in a real browser: the new MoU form starts
from the partner's page with the staff member's authority, and the signatory list offers
only the chosen partner's contacts.

Selectors use ids, names and values rather than words, so the tests hold in both languages.
"""

import pytest

from tests.browser.accessibility import assert_accessible
from tests.browser.steps import VIEWPORT_IDS, VIEWPORTS, submit
from tests.factories.browser import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def offered_signatories(page) -> set[int]:
    return {
        int(value)
        for value in page.eval_on_selector_all(
            "#id_partner_signatory option",
            "options => options.filter(o => o.value && !o.hidden && !o.disabled).map(o => o.value)",
        )
    }


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEWPORT_IDS)
def test_a_new_mou_from_the_partner_page_offers_only_that_partners_contacts(
    world, open_browser, viewport
):
    page = open_browser(viewport=viewport)
    log_in(page, world.staff)
    page.goto(f"/partners/{world.garment.pk}/")
    submit(page, f"a[href$='?partner={world.garment.pk}']")

    representative = world.garment.contacts.get(is_legal_representative=True)
    assert page.input_value("#id_authority") == str(world.ben_luc.pk)
    assert page.input_value("#id_partner") == str(world.garment.pk)
    assert page.input_value("#id_partner_signatory") == str(representative.pk)
    garment_contacts = set(world.garment.contacts.values_list("pk", flat=True))
    assert offered_signatories(page) == garment_contacts

    # Staff see only their partners; an administrator sees both and switches.
    page.context.clear_cookies()
    log_in(page, world.admin)
    page.goto("/mous/new/")
    page.select_option("#id_partner", str(world.garment.pk))
    page.select_option("#id_partner_signatory", str(representative.pk))
    page.select_option("#id_partner", str(world.quarry.pk))

    assert offered_signatories(page) == set(world.quarry.contacts.values_list("pk", flat=True))
    assert page.input_value("#id_partner_signatory") == ""


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEWPORT_IDS)
def test_cancelling_an_mou_asks_for_the_reason_on_a_page_of_its_own(world, open_browser, viewport):
    from partnerships.models import Mou, MouState
    from tests.browser.steps import vi

    page = open_browser(viewport=viewport)
    log_in(page, world.staff)
    page.goto(f"/mous/{world.mou.pk}/")
    cancel = page.locator(f'a[href="/mous/{world.mou.pk}/cancel/confirm/"]')
    assert cancel.inner_text().startswith(vi("Cancel this MoU"))
    submit(page, cancel)

    # Nothing happened yet; the reason is asked, and the browser will not send it empty.
    assert Mou.objects.get(pk=world.mou.pk).state == MouState.DRAFT
    assert_accessible(page)
    page.locator("button[value=cancel]").click()
    assert page.url.endswith("/cancel/confirm/")
    page.fill("#id_note", "Đối tác chưa sẵn sàng tuyển dụng.")
    submit(page, "button[value=cancel]")

    mou = Mou.objects.get(pk=world.mou.pk)
    assert (mou.state, mou.closing_reason) == (
        MouState.CANCELLED,
        "Đối tác chưa sẵn sàng tuyển dụng.",
    )
    assert page.url.endswith(f"/mous/{world.mou.pk}/")


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEWPORT_IDS)
def test_a_business_reports_a_placement_from_its_dashboard_with_a_low_wage_confirmed(
    placements_world, open_browser, viewport
):
    from django.utils import timezone

    from partnerships.models import Placement
    from tests.factories import dmy
    from tests.factories.placements import NATIONAL_ID

    w = placements_world
    w.job_pledge.min_monthly_wage = 5_000_000
    w.job_pledge.save()
    page = open_browser(viewport=viewport)
    log_in(page, w.business)
    page.goto("/")
    submit(
        page,
        f'[data-testid=report-placement-links] a[href="/mous/{w.active_mou.pk}/placements/new/"]',
    )

    page.select_option("#id_pledge", str(w.job_pledge.pk))
    page.fill("#id_start_date", dmy(timezone.localdate()))
    page.fill("#id_monthly_wage", "650000")
    page.fill("#id_national_id", NATIONAL_ID)
    page.fill("#id_full_name", "Nguyễn Văn An")
    page.select_option("#id_gender", "male")
    page.select_option("#id_target_group", str(w.completed_prison.pk))
    page.fill("#id_consent_given_on", dmy(timezone.localdate()))
    submit(page, "main form button[type=submit]")

    # A warning, not a refusal: what was typed is kept, and a tick records it.
    assert page.locator("#low-wage").is_visible()
    assert page.input_value("#id_monthly_wage") == "650000"
    assert not Placement.objects.exists()
    assert_accessible(page)
    page.check("#id_low_wage_confirmed")
    submit(page, "main form button[type=submit]")

    assert Placement.objects.get().monthly_wage == 650_000
