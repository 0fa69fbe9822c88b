"""In a real browser: the staff who manage a person refer them, from the person's page, to an
open pledge line with their consent; the business logs in, finds the referral, sees who it
is meeting, records the interview and then the hire; the staff find the placement waiting
for their confirmation on the dashboard and confirm it."""

import pytest

from partnerships.models import (
    Confirmation,
    ContractType,
    Placement,
    Referral,
    ReferralStatus,
)
from tests.browser.accessibility import assert_accessible
from tests.browser.steps import messages, submit, vi
from tests.factories import dmy
from tests.factories.browser import log_in
from tests.factories.referrals import PERSON_NAME, a_person

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CONTACT = "0912 000 111"


def staff_refer_from_the_person_page(page, w, person):
    log_in(page, w.staff)
    page.locator('.mainnav a[href="/people/"]').click()
    page.wait_for_url("**/people/")
    with page.expect_navigation():
        page.locator(f'a[href="/people/{person.pk}/"]').click()
    assert page.get_by_test_id("person-name").inner_text() == PERSON_NAME
    with page.expect_navigation():
        page.get_by_test_id("refer-person").click()
    assert page.locator("h1").inner_text() == vi("Refer to a job or training")
    assert_accessible(page)

    page.select_option("#id_pledge", str(w.job_pledge.pk))
    page.fill("#id_contact", CONTACT)
    page.fill("#id_share_consent_on", dmy(w.today))
    page.check("#id_share_consent")
    submit(page, "main form button[type=submit].primary")

    referral = Referral.objects.get()
    assert referral.person == person and referral.pledge == w.job_pledge
    assert vi(
        "Referred. The business sees the name and contact until it records the outcome."
    ) in messages(page)
    return referral


def business_records_interview_and_hire(page, w, referral):
    log_in(page, w.business)
    page.locator('.mainnav a[href="/referrals/"]').click()
    page.wait_for_url("**/referrals/")
    assert PERSON_NAME not in page.content()  # the list shows references only
    with page.expect_navigation():
        page.locator(f'main a[href="/referrals/{referral.pk}/"]').click()
    assert page.get_by_test_id("referred-name").inner_text() == PERSON_NAME
    assert page.get_by_test_id("referred-contact").inner_text() == CONTACT
    assert_accessible(page)

    interview = page.get_by_test_id("outcome-interviewed")
    interview.locator("#id_interviewed_on").fill(dmy(w.today))
    submit(page, interview.locator("button[type=submit]"))
    assert page.get_by_test_id("referral-status").inner_text() == vi(
        ReferralStatus.INTERVIEWED.label
    )
    # Interviewed: no "did not come" any more.
    assert page.get_by_test_id("outcome-no-show").count() == 0

    hire = page.get_by_test_id("outcome-hired")
    hire.locator("#id_start_date").fill(dmy(w.today))
    hire.locator("#id_contract_type").select_option(ContractType.LABOUR_12_MONTHS_OR_MORE)
    hire.locator("#id_monthly_wage").fill("7000000")
    submit(page, hire.locator("button[type=submit]"))
    assert page.get_by_test_id("referral-status").inner_text() == vi(ReferralStatus.HIRED.label)
    assert page.get_by_test_id("referral-placement").is_visible()


def test_staff_refer_the_business_hires_and_staff_confirm(placements_world, open_browser):
    w = placements_world
    person = a_person(w.ben_luc)

    staff = open_browser()
    referral = staff_refer_from_the_person_page(staff, w, person)

    business = open_browser()
    business_records_interview_and_hire(business, w, referral)
    placement = Placement.objects.get()
    assert placement.person == person
    assert placement.confirmation == Confirmation.REPORTED

    staff.goto("/")
    with staff.expect_navigation():
        staff.locator('a[href="/placements/?queue=to_confirm"]').first.click()
    with staff.expect_navigation():
        staff.locator(f'a[href="/placements/{placement.pk}/"]').first.click()
    staff.get_by_role("button", name=vi("Confirm"), exact=True).click()
    staff.wait_for_load_state()
    placement.refresh_from_db()
    assert placement.confirmation == Confirmation.CONFIRMED
