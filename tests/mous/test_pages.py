"""The MoU pages: drafting with bad input, two people at once, transitions from the page,
and a list whose cost does not grow with the number of MoUs.

Pages are requested in English, so message text is stable whether or not the Vietnamese
catalogue is compiled; what matters most is checked on the data itself."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnerships.models import (
    AuditEvent,
    Mou,
    MouState,
    Pledge,
    Role,
)
from partnerships.mous import lifecycle
from tests.factories import bring_to, dmy, make_mou, make_user, mou_form_data


def create(browser, world, **fields):
    data = mou_form_data(authority=world.ben_luc, partner=world.garment, **fields)
    return browser.submit(reverse("mou_create"), data)


def assert_nothing_saved(world):
    assert list(Mou.objects.all()) == [world.mou]
    assert Pledge.objects.count() == 1
    assert not AuditEvent.objects.exists()


# --- Creating and editing a draft ---


def test_staff_create_a_draft_with_its_pledges(client_as, world):
    response = create(client_as(world.staff), world, title="Dệt may 2026", number=7)

    mou = Mou.objects.get(title="Dệt may 2026")
    assert response.status_code == 302
    assert response["Location"] == reverse("mou_detail", args=[mou.pk])
    assert (mou.number, mou.state, mou.created_by) == (7, MouState.DRAFT, world.staff)
    assert mou.pledges.get().occupation == "Công nhân may"


def test_dates_are_typed_as_day_month_year(client_as, world):
    create(
        client_as(world.staff),
        world,
        title="Ngày tháng",
        term_start="01/02/2027",
        term_end="31/01/2029",
        pledges=[{"due_date": "05/03/2027"}],
    )
    mou = Mou.objects.get(title="Ngày tháng")
    assert (mou.term_start, mou.term_end) == (date(2027, 2, 1), date(2029, 1, 31))
    assert mou.pledges.get().due_date == date(2027, 3, 5)


def test_dates_are_typed_as_day_month_year_in_vietnamese_too(client_as, world):
    create(client_as(world.staff, language="vi"), world, title="Ngày", term_start="01/02/2027")
    assert Mou.objects.get(title="Ngày").term_start == date(2027, 2, 1)


def test_the_edit_form_shows_dates_as_day_month_year(client_as, world):
    Mou.objects.filter(pk=world.mou.pk).update(term_start=date(2027, 2, 1))
    page = client_as(world.staff).get(reverse("mou_edit", args=[world.mou.pk]))
    assert 'value="01/02/2027"' in page.content.decode()


@pytest.mark.parametrize("typed", ["31/02/2027", "2027/13/01", "hôm nay"])
def test_it_refuses_a_date_that_does_not_exist(client_as, world, typed):
    response = create(client_as(world.staff), world, term_start=typed)
    assert response.status_code == 200
    assert "term_start" in response.context["form"].errors
    assert_nothing_saved(world)


@pytest.mark.parametrize("end_offset", [-1, 0])
def test_it_refuses_a_term_that_ends_before_it_starts(client_as, world, end_offset):
    start = date(2027, 6, 1)
    end = start + timedelta(days=end_offset)
    response = create(
        client_as(world.staff),
        world,
        term_start=dmy(start),
        term_end=dmy(end),
    )
    assert response.status_code == 200
    assert "The term must end after it starts." in response.content.decode()
    assert "Nothing has been saved yet." in response.content.decode()
    assert_nothing_saved(world)


@pytest.mark.parametrize("quantity", [0, -1, -50])
def test_it_refuses_a_pledge_of_zero_or_fewer_places(client_as, world, quantity):
    response = create(client_as(world.staff), world, pledges=[{"quantity": quantity}])
    assert response.status_code == 200
    assert "quantity" in response.context["pledge_formset"].errors[0]
    assert "The quantity must be at least 1." in response.content.decode()
    assert_nothing_saved(world)


def test_it_refuses_a_number_already_used_by_the_authority_that_year(client_as, world):
    response = create(client_as(world.staff), world, number=world.mou.number)
    assert response.status_code == 200
    assert "already has an MoU with this number this year" in response.content.decode()
    assert_nothing_saved(world)


def test_the_same_number_is_free_in_another_year(client_as, world):
    response = create(client_as(world.staff), world, number=world.mou.number, year=2024)
    assert response.status_code == 302
    assert Mou.objects.filter(authority=world.ben_luc, number=world.mou.number).count() == 2


def test_the_same_number_is_free_at_another_authority(client_as, world):
    province_staff = make_user("province_staff", Role.AUTHORITY_STAFF, authority=world.long_an)
    data = mou_form_data(authority=world.thanh_loi, partner=world.garment, number=world.mou.number)
    response = client_as(province_staff).submit(reverse("mou_create"), data)
    assert response.status_code == 302
    assert Mou.objects.get(authority=world.thanh_loi).number == world.mou.number


def test_it_refuses_to_change_a_number_into_one_already_taken(client_as, world):
    other = make_mou(world.ben_luc, world.garment, number=2)
    data = mou_form_data(authority=world.ben_luc, partner=world.garment, mou=other, number=1)
    response = client_as(world.staff).submit(reverse("mou_edit", args=[other.pk]), data)
    assert response.status_code == 200
    assert "already has an MoU with this number this year" in response.content.decode()
    assert Mou.objects.get(pk=other.pk).number == 2


def test_staff_cannot_draft_for_an_authority_outside_their_scope(client_as, world):
    data = mou_form_data(authority=world.thanh_loi, partner=world.garment)
    response = client_as(world.staff).submit(reverse("mou_create"), data)
    assert response.status_code == 200
    assert "authority" in response.context["form"].errors
    assert_nothing_saved(world)


def test_a_signatory_must_belong_to_the_partner(client_as, world):
    quarry_director = world.quarry.contacts.get()
    response = create(client_as(world.staff), world, partner_signatory=quarry_director.pk)
    assert response.status_code == 200
    assert "partner_signatory" in response.context["form"].errors
    assert_nothing_saved(world)


def test_the_new_mou_form_starts_with_the_staff_members_authority(client_as, world):
    response = client_as(world.staff).get(reverse("mou_create"))
    form = response.context["form"]
    assert form["authority"].value() == world.ben_luc.pk
    assert f'<option value="{world.ben_luc.pk}" selected>' in response.content.decode()


def test_each_signatory_option_names_its_partner_for_the_pages_filter(client_as, world):
    page = client_as(world.admin).get(reverse("mou_create")).content.decode()
    for contact in [*world.garment.contacts.all(), *world.quarry.contacts.all()]:
        assert f'value="{contact.pk}" data-partner="{contact.partner_id}"' in page


def test_the_partner_page_opens_a_new_mou_for_that_partner(client_as, world):
    browser = client_as(world.staff)
    partner_page = browser.get(reverse("partner_detail", args=[world.garment.pk]))
    link = f"{reverse('mou_create')}?partner={world.garment.pk}"
    assert f'href="{link}"' in partner_page.content.decode()

    form = browser.get(link).context["form"]

    representative = world.garment.contacts.get(is_legal_representative=True)
    assert form["partner"].value() == world.garment.pk
    assert form["partner_signatory"].value() == representative.pk


def test_officials_get_no_new_mou_link_on_a_partner_page(client_as, world):
    page = client_as(world.official).get(reverse("partner_detail", args=[world.garment.pk]))
    assert f"{reverse('mou_create')}?partner=" not in page.content.decode()


@pytest.mark.parametrize("who", ["official", "business"])
def test_only_staff_may_open_the_new_mou_form(client_as, world, who):
    browser = client_as(getattr(world, who))
    assert browser.get(reverse("mou_create")).status_code == 403
    data = mou_form_data(authority=world.ben_luc, partner=world.garment)
    assert browser.post_by_hand(reverse("mou_create"), data).status_code == 403
    assert_nothing_saved(world)


# --- Two people editing the same draft ---


def test_the_second_of_two_people_saving_the_same_draft_is_told_and_the_first_save_kept(
    client_as, world
):
    colleague = make_user("staff_colleague", Role.AUTHORITY_STAFF, authority=world.ben_luc)
    url = reverse("mou_edit", args=[world.mou.pk])
    first, second = client_as(world.staff), client_as(colleague)
    # Both open the form; it carries the revision it was loaded at.
    first_form = first.get(url).context["form"]
    second_form = second.get(url).context["form"]
    assert first_form["revision"].value() == second_form["revision"].value() == 1

    base = mou_form_data(authority=world.ben_luc, partner=world.garment, mou=world.mou)
    saved = first.submit(url, base | {"title": "Bản của người thứ nhất"})
    refused = second.submit(url, base | {"title": "Bản của người thứ hai"})

    assert saved.status_code == 302
    assert refused.status_code == 200
    assert "Someone else changed this MoU while you were working on it." in (
        refused.content.decode()
    )
    stored = Mou.objects.get(pk=world.mou.pk)
    assert (stored.title, stored.revision) == ("Bản của người thứ nhất", 2)
    assert AuditEvent.objects.filter(mou=world.mou, action="mou.edited").count() == 1


def test_a_form_without_its_revision_is_treated_as_stale(client_as, world):
    data = mou_form_data(authority=world.ben_luc, partner=world.garment, mou=world.mou)
    del data["revision"]
    data["title"] = "Không có phiên bản"
    response = client_as(world.staff).submit(reverse("mou_edit", args=[world.mou.pk]), data)
    assert response.status_code == 200
    assert Mou.objects.get(pk=world.mou.pk).title == world.mou.title


def test_a_sent_mou_cannot_be_edited_until_taken_back_to_draft(client_as, world):
    bring_to(world.mou, MouState.SENT)
    browser = client_as(world.staff)
    url = reverse("mou_edit", args=[world.mou.pk])
    data = mou_form_data(authority=world.ben_luc, partner=world.garment, mou=world.mou)

    # Saving the form of a page opened before it was sent.
    response = browser.post_by_hand(url, data | {"title": "Sửa khi đã gửi"}, follow=True)

    assert response.redirect_chain == [(reverse("mou_detail", args=[world.mou.pk]), 302)]
    assert "Only a draft can be changed." in response.content.decode()
    assert Mou.objects.get(pk=world.mou.pk).title == world.mou.title


# --- Transitions from the MoU page ---


def transition(browser, mou, action, *, expected_state=None, note="", from_the_page=True):
    """Press the action's button on the MoU page; `from_the_page=False`: post it anyway, as
    from a page loaded earlier, where the page now offers no such button."""
    url = reverse("mou_transition", args=[mou.pk, action])
    data = {"expected_state": expected_state or mou.state, "note": note}
    if not from_the_page:
        return browser.post_by_hand(url, data, follow=True)
    page = reverse("mou_detail", args=[mou.pk])
    if lifecycle.ACTIONS[action].confirm_step:
        confirm = reverse("mou_transition_confirm", args=[mou.pk, action])
        assert f'href="{confirm}"' in browser.get(page).content.decode()
        page = confirm
    return browser.submit(page, data, action=url, follow=True)


def test_staff_send_a_draft_from_its_page(client_as, world):
    response = transition(client_as(world.staff), world.mou, "send")
    assert "Done: the MoU is now “Sent for signature”." in response.content.decode()
    assert Mou.objects.get(pk=world.mou.pk).state == MouState.SENT
    timeline = response.context["timeline"]
    assert [(event.action, event.actor) for event in timeline] == [("mou.sent", world.staff)]


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (MouState.DRAFT, "activate"),
        (MouState.DRAFT, "recall"),
        (MouState.SENT, "send"),
        (MouState.ACTIVE, "cancel"),
        (MouState.CANCELLED, "send"),
    ],
)
def test_a_transition_not_allowed_from_the_state_is_explained(client_as, world, state, action):
    mou = bring_to(world.mou, state)
    events_before = AuditEvent.objects.count()
    response = transition(client_as(world.staff), mou, action, note="Lý do", from_the_page=False)
    assert response.status_code == 200
    assert "cannot be changed this way" in response.content.decode()
    assert Mou.objects.get(pk=mou.pk).state == state
    assert AuditEvent.objects.count() == events_before


def test_a_draft_not_ready_to_send_says_what_is_missing(client_as, world):
    world.mou.pledges.all().delete()
    # The page offers no "send" until it is ready; a page loaded before the change did.
    response = transition(client_as(world.staff), world.mou, "send", from_the_page=False)
    assert "Add at least one pledge." in response.content.decode()
    assert Mou.objects.get(pk=world.mou.pk).state == MouState.DRAFT


def test_cancelling_without_a_reason_asks_for_one(client_as, world):
    response = transition(client_as(world.staff), world.mou, "cancel", note="  ")
    assert "Give a reason." in response.content.decode()
    assert Mou.objects.get(pk=world.mou.pk).state == MouState.DRAFT


def test_cancelling_is_labelled_for_what_it_does_and_asks_first(client_as, world):
    browser = client_as(world.staff)
    detail = browser.get(reverse("mou_detail", args=[world.mou.pk])).content.decode()
    cancel_url = reverse("mou_transition", args=[world.mou.pk, "cancel"])
    # No form on the MoU page cancels at once; a link leads to the page that asks.
    assert f'action="{cancel_url}"' not in detail
    assert "Cancel this MoU…" in detail

    confirm = browser.get(reverse("mou_transition_confirm", args=[world.mou.pk, "cancel"]))

    page = confirm.content.decode()
    assert "Cancelling ends this MoU for good" in page
    assert f'action="{cancel_url}"' in page
    assert '<textarea id="id_note" name="note" rows="3" required>' in page
    assert Mou.objects.get(pk=world.mou.pk).state == MouState.DRAFT


def test_the_confirmation_page_of_an_action_not_offered_sends_back(client_as, world):
    bring_to(world.mou, MouState.ACTIVE)
    response = client_as(world.staff).get(
        reverse("mou_transition_confirm", args=[world.mou.pk, "cancel"]), follow=True
    )
    assert "This action is not available for this MoU now." in response.content.decode()


def test_the_reason_for_cancelling_is_shown_on_the_page(client_as, world):
    response = transition(client_as(world.staff), world.mou, "cancel", note="Đối tác rút lui")
    assert Mou.objects.get(pk=world.mou.pk).closing_reason == "Đối tác rút lui"
    assert "Đối tác rút lui" in response.content.decode()


def test_a_page_loaded_before_someone_else_acted_gets_the_conflict_message(client_as, world):
    colleague = make_user("staff_colleague", Role.AUTHORITY_STAFF, authority=world.ben_luc)
    # Both load the page while the MoU is a draft; the colleague sends it first.
    transition(client_as(colleague), world.mou, "send", expected_state=MouState.DRAFT)
    response = transition(
        client_as(world.staff),
        world.mou,
        "cancel",
        expected_state=MouState.DRAFT,
        note="Hủy",
        from_the_page=False,
    )
    assert "Someone else changed this MoU while you were working on it." in (
        response.content.decode()
    )
    assert Mou.objects.get(pk=world.mou.pk).state == MouState.SENT
    assert not AuditEvent.objects.filter(action="mou.cancelled").exists()


def test_an_unknown_action_is_refused(client_as, world):
    url = reverse("mou_transition", args=[world.mou.pk, "x"])
    response = client_as(world.staff).post_by_hand(url)
    assert response.status_code == 403
    assert Mou.objects.get(pk=world.mou.pk).state == MouState.DRAFT


def test_a_transition_needs_a_post(client_as, world):
    response = client_as(world.staff).get(reverse("mou_transition", args=[world.mou.pk, "send"]))
    assert response.status_code == 405
    assert Mou.objects.get(pk=world.mou.pk).state == MouState.DRAFT


def test_the_detail_page_shows_parties_pledges_and_timeline(client_as, world):
    lifecycle.perform(world.mou, "send", actor=world.staff)
    page = client_as(world.business).get(reverse("mou_detail", args=[world.mou.pk]))
    content = page.content.decode()
    for expected in ["UBND xã Bến Lức", "Công ty May Bến Lức", "0312345678", "Công nhân may"]:
        assert expected in content
    assert "Draft → Sent for signature" in content
    assert [event.action for event in page.context["timeline"]] == ["mou.sent"]


# --- The list page's cost ---


def list_queries(browser, **params):
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(reverse("mou_list"), params)
    assert response.status_code == 200
    return len(queries), response


def add_mous(world, count, start):
    today = timezone.localdate()
    for number in range(start, start + count):
        mou = make_mou(world.ben_luc, world.garment, number=number, title=f"Bulk {number}")
        if number % 2:
            bring_to(mou, MouState.SENT)
        else:
            Mou.objects.filter(pk=mou.pk).update(term_end=today + timedelta(days=number))


@pytest.mark.parametrize("params", [{}, {"state": "sent"}, {"sort": "partner"}])
def test_the_list_costs_the_same_number_of_queries_for_3_or_60_mous(client_as, world, params):
    browser = client_as(world.staff)
    add_mous(world, 2, start=10)
    list_queries(browser, **params)  # warm up per-process caches (content types, etc.)
    few, _response = list_queries(browser, **params)

    add_mous(world, 57, start=100)
    many, response = list_queries(browser, **params)

    assert response.context["table"].page.paginator.count > 3
    assert many == few


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_the_export_costs_the_same_number_of_queries_for_3_or_60_mous(
    client_as, world, export_format
):
    browser = client_as(world.staff)
    add_mous(world, 2, start=10)
    list_queries(browser, _export=export_format)
    few, _response = list_queries(browser, _export=export_format)

    add_mous(world, 57, start=100)
    many, _response = list_queries(browser, _export=export_format)

    assert many == few


def test_two_mous_with_the_same_number_show_their_authority_beside_it(client_as, world):
    """Bến Lức's and Thạnh Lợi's MoUs no. 1 both read 1/BGN-UBND."""
    import csv
    import io

    make_mou(world.thanh_loi, world.garment, number=1)
    browser = client_as(world.official)
    response = browser.get(reverse("mou_list"), {"_export": "csv"})
    header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    assert header[:2] == ["Number", "Authority"]
    assert sorted(row[:2] for row in rows) == [
        ["1/BGN-UBND", "UBND xã Bến Lức"],
        ["1/BGN-UBND", "UBND xã Thạnh Lợi"],
    ]
    page = browser.get(reverse("mou_list")).content.decode()
    headings = [h for h in re.findall(r"<th[^>]*>\s*(?:<a[^>]*>)?\s*([^<]*?)\s*<", page) if h]
    assert headings[:2] == ["Number", "Authority"]
