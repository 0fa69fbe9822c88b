"""What a first-time user meets in the forms, in a real browser: the new MoU form starts
from the partner's page with the staff member's authority, and the signatory list offers
only the chosen partner's contacts.

Selectors use ids, names and values rather than words, so the tests hold in both languages.
"""

import pytest

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
