"""Who sees and does what, through the pages: each role, and an outsider of each kind.

MoUs used here (title: authority, partner, state):
  BL-DRAFT, BL-SENT, BL-ACTIVE     UBND xã Bến Lức (staff's commune), garment
  HBL-DRAFT, HBL-SENT              UBND huyện Bến Lức (dissolved; successor: Bến Lức), garment
  TL-DRAFT, TL-ACTIVE              UBND xã Thạnh Lợi (other_staff's commune), garment
  KB-DRAFT, KB-SENT                UBND phường Kim Bảng (Hà Nam), quarry
"""

import csv
import io
import re

import openpyxl
import pytest
from django.urls import reverse

from partnerships.models import AuditEvent, Mou, MouState
from partnerships.mous import lifecycle
from tests.factories import add_final_review, bring_to, make_mou

ALL = {
    "BL-DRAFT",
    "BL-SENT",
    "BL-ACTIVE",
    "HBL-DRAFT",
    "HBL-SENT",
    "TL-DRAFT",
    "TL-ACTIVE",
    "KB-DRAFT",
    "KB-SENT",
}
VISIBLE = {
    "staff": {"BL-DRAFT", "BL-SENT", "BL-ACTIVE", "HBL-DRAFT", "HBL-SENT"},
    "other_staff": {"TL-DRAFT", "TL-ACTIVE"},
    "official": {
        "BL-DRAFT",
        "BL-SENT",
        "BL-ACTIVE",
        "HBL-DRAFT",
        "HBL-SENT",
        "TL-DRAFT",
        "TL-ACTIVE",
    },
    "other_province_official": {"KB-DRAFT", "KB-SENT"},
    # Business representatives: their own partner's MoUs, never drafts.
    "business": {"BL-SENT", "BL-ACTIVE", "HBL-SENT", "TL-ACTIVE"},
    "other_business": {"KB-SENT"},
    "admin": ALL,
}
ROLES = list(VISIBLE)


@pytest.fixture
def mous(world):
    world.mou.delete()
    plans = [
        ("BL-DRAFT", world.ben_luc, world.garment, MouState.DRAFT),
        ("BL-SENT", world.ben_luc, world.garment, MouState.SENT),
        ("BL-ACTIVE", world.ben_luc, world.garment, MouState.ACTIVE),
        ("HBL-DRAFT", world.ben_luc_district, world.garment, MouState.DRAFT),
        ("HBL-SENT", world.ben_luc_district, world.garment, MouState.SENT),
        ("TL-DRAFT", world.thanh_loi, world.garment, MouState.DRAFT),
        ("TL-ACTIVE", world.thanh_loi, world.garment, MouState.ACTIVE),
        ("KB-DRAFT", world.kim_bang, world.quarry, MouState.DRAFT),
        ("KB-SENT", world.kim_bang, world.quarry, MouState.SENT),
    ]
    created = {}
    for number, (title, authority, partner, state) in enumerate(plans, start=11):
        mou = make_mou(authority, partner, number=number, title=title)
        created[title] = bring_to(mou, state)
    return created


def titles_linked(response):
    """Titles of the MoUs a page links to (each row links to its MoU's page)."""
    ids = {int(pk) for pk in re.findall(r'href="/mous/(\d+)/"', response.content.decode())}
    return set(Mou.objects.filter(pk__in=ids).values_list("title", flat=True))


def exported_titles(response, export_format):
    if export_format == "csv":
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        return {row["Title"] for row in rows}, rows
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *body = list(sheet.iter_rows(values_only=True))
    rows = [dict(zip(header, row, strict=True)) for row in body]
    return {row["Title"] for row in rows}, rows


# --- Lists and exports ---


@pytest.mark.parametrize("who", ROLES)
def test_the_list_shows_exactly_the_mous_in_scope(client_as, world, mous, who):
    response = client_as(getattr(world, who)).get(reverse("mou_list"))
    assert response.status_code == 200
    assert titles_linked(response) == VISIBLE[who]


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
@pytest.mark.parametrize("who", ROLES)
def test_the_export_holds_exactly_the_mous_in_scope(client_as, world, mous, who, export_format):
    response = client_as(getattr(world, who)).get(reverse("mou_list"), {"_export": export_format})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="mous.{export_format}"'
    titles, _rows = exported_titles(response, export_format)
    assert titles == VISIBLE[who]


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_the_export_keeps_the_filters(client_as, world, mous, export_format):
    response = client_as(world.official).get(
        reverse("mou_list"), {"state": "sent", "_export": export_format}
    )
    titles, rows = exported_titles(response, export_format)
    assert titles == {"BL-SENT", "HBL-SENT"}
    assert {row["State"] for row in rows} == {"Sent for signature"}
    # The export shows the document number people quote, e.g. 12/BGN-UBND.
    assert {row["Number"] for row in rows} == {
        mous["BL-SENT"].document_number,
        mous["HBL-SENT"].document_number,
    }


def test_the_filters_offer_only_authorities_and_partners_in_scope(client_as, world, mous):
    response = client_as(world.other_business).get(reverse("mou_list"))
    fields = response.context["filter"].form.fields
    assert list(fields["authority"].queryset) == [world.kim_bang]
    assert list(fields["partner"].queryset) == [world.quarry]


def test_filtering_on_an_authority_out_of_scope_shows_nothing_more(client_as, world, mous):
    browser = client_as(world.other_business)
    response = browser.get(reverse("mou_list"), {"authority": world.ben_luc.pk})
    assert response.status_code == 200
    assert "authority" in response.context["filter"].form.errors
    assert titles_linked(response) == VISIBLE["other_business"]
    response = browser.get(reverse("mou_list"), {"authority": world.kim_bang.pk})
    assert titles_linked(response) == {"KB-SENT"}


# --- Detail pages ---


@pytest.mark.parametrize("who", ROLES)
def test_an_mou_page_opens_in_scope_and_is_not_found_outside(client_as, world, mous, who):
    browser = client_as(getattr(world, who))
    for title, mou in mous.items():
        response = browser.get(reverse("mou_detail", args=[mou.pk]))
        expected = 200 if title in VISIBLE[who] else 404
        assert response.status_code == expected, title
        if expected == 404:
            assert title.encode() not in response.content


# --- Editing ---


@pytest.mark.parametrize(
    ("who", "title", "status"),
    [
        ("staff", "BL-DRAFT", 200),
        ("staff", "HBL-DRAFT", 200),  # the successor looks after the dissolved district
        ("staff", "TL-DRAFT", 404),
        ("staff", "KB-DRAFT", 404),
        ("other_staff", "BL-DRAFT", 404),
        ("other_staff", "TL-DRAFT", 200),
        ("official", "BL-DRAFT", 403),  # officials read, they do not draft
        ("official", "KB-DRAFT", 404),
        ("other_province_official", "BL-DRAFT", 404),
        ("business", "BL-DRAFT", 404),  # drafts are internal
        ("business", "BL-SENT", 403),
        ("other_business", "BL-SENT", 404),
        ("admin", "KB-DRAFT", 200),
    ],
)
def test_the_edit_page_is_only_for_staff_in_scope(client_as, world, mous, who, title, status):
    browser = client_as(getattr(world, who))
    url = reverse("mou_edit", args=[mous[title].pk])
    assert browser.get(url).status_code == status
    # An incomplete form: re-rendered where the page opens, refused where it does not.
    post = browser.submit if status == 200 else browser.post_by_hand
    assert post(url, {"title": "Đã sửa"}).status_code == status
    assert Mou.objects.get(pk=mous[title].pk).title == title


def test_staff_of_the_successor_edit_a_draft_of_the_dissolved_district(client_as, world, mous):
    from tests.factories import mou_form_data

    mou = mous["HBL-DRAFT"]
    data = mou_form_data(authority=mou.authority, partner=mou.partner, mou=mou, title="HBL-EDITED")
    response = client_as(world.staff).submit(reverse("mou_edit", args=[mou.pk]), data)
    assert response.status_code == 302
    stored = Mou.objects.get(pk=mou.pk)
    assert (stored.title, stored.authority) == ("HBL-EDITED", world.ben_luc_district)


# --- Transitions ---


def post_transition(browser, mou, action, note="", *, from_the_page=True):
    """Press the action's button on the MoU page; `from_the_page=False`: post it anyway,
    as from an old page or by hand, where the page offers no such button."""
    url = reverse("mou_transition", args=[mou.pk, action])
    data = {"expected_state": mou.state, "note": note}
    if not from_the_page:
        return browser.post_by_hand(url, data)
    return browser.submit(reverse("mou_detail", args=[mou.pk]), data, action=url)


@pytest.mark.parametrize(
    ("who", "title", "action", "status"),
    [
        ("official", "BL-DRAFT", "send", 403),
        ("official", "BL-SENT", "recall", 403),
        ("official", "BL-DRAFT", "cancel", 403),
        ("other_staff", "BL-DRAFT", "send", 404),
        ("other_staff", "BL-SENT", "cancel", 404),
        ("business", "BL-DRAFT", "send", 404),
        ("business", "BL-SENT", "recall", 403),
        ("business", "BL-ACTIVE", "terminate", 403),
        ("other_business", "BL-SENT", "decline", 404),
        ("other_province_official", "BL-ACTIVE", "review", 404),
        ("staff", "KB-SENT", "recall", 404),
        ("staff", "BL-ACTIVE", "review", 403),
        ("staff", "BL-SENT", "sign", 403),
        ("admin", "BL-SENT", "sign", 403),
        ("other_province_official", "KB-SENT", "decline", 403),
    ],
)
def test_a_transition_is_refused_to_those_without_the_right(
    client_as, world, mous, who, title, action, status
):
    mou = mous[title]
    add_final_review(mou)
    events_before = AuditEvent.objects.count()
    response = post_transition(
        client_as(getattr(world, who)), mou, action, note="Lý do", from_the_page=False
    )
    assert response.status_code == status
    assert Mou.objects.get(pk=mou.pk).state == mou.state
    assert AuditEvent.objects.count() == events_before


@pytest.mark.parametrize(
    ("who", "title", "action", "state_after"),
    [
        ("staff", "BL-DRAFT", "send", MouState.SENT),
        ("staff", "HBL-SENT", "recall", MouState.DRAFT),
        ("other_staff", "TL-ACTIVE", "terminate", MouState.TERMINATED),
        ("business", "BL-SENT", "decline", MouState.DECLINED),
        ("official", "BL-ACTIVE", "review", MouState.REVIEWED),
    ],
)
def test_a_transition_is_performed_by_those_with_the_right(
    client_as, world, mous, who, title, action, state_after
):
    mou = mous[title]
    add_final_review(mou)
    response = post_transition(client_as(getattr(world, who)), mou, action, note="Lý do")
    assert response.status_code == 302
    assert response["Location"] == reverse("mou_detail", args=[mou.pk])
    assert Mou.objects.get(pk=mou.pk).state == state_after
    event = AuditEvent.objects.latest("id")
    assert (event.mou_id, event.actor) == (mou.pk, getattr(world, who))


@pytest.mark.parametrize(
    ("who", "title", "offered"),
    [
        ("staff", "BL-DRAFT", {"send", "cancel"}),
        ("staff", "BL-ACTIVE", {"terminate"}),
        ("official", "BL-DRAFT", set()),
        ("official", "BL-ACTIVE", set()),  # review needs a final review first
        ("business", "BL-SENT", {"decline"}),
        ("business", "BL-ACTIVE", set()),
    ],
)
def test_the_page_offers_buttons_only_for_what_the_user_may_do_now(
    client_as, world, mous, who, title, offered
):
    mou = mous[title]
    page = client_as(getattr(world, who)).get(reverse("mou_detail", args=[mou.pk]))
    # A button, or a link to the page that asks first (Action.confirm_step).
    forms = set(
        re.findall(
            rf'(?:action|href)="/mous/{mou.pk}/([a-z]+)/(?:confirm/)?"', page.content.decode()
        )
    )
    assert forms & set(lifecycle.ACTIONS) == offered
    edit_link = reverse("mou_edit", args=[mou.pk])
    assert (edit_link in page.content.decode()) == (who == "staff" and title == "BL-DRAFT")


def test_an_official_sees_the_review_button_once_the_final_review_is_recorded(
    client_as, world, mous
):
    mou = mous["BL-ACTIVE"]
    add_final_review(mou)
    page = client_as(world.official).get(reverse("mou_detail", args=[mou.pk]))
    assert f'action="/mous/{mou.pk}/review/"' in page.content.decode()


# --- The dashboard ---


@pytest.mark.parametrize("who", ROLES)
def test_the_dashboard_counts_only_the_mous_in_scope(client_as, world, mous, who):
    response = client_as(getattr(world, who)).get(reverse("dashboard"))
    assert response.status_code == 200
    counts = {state: count for state, _label, count in response.context["state_counts"]}
    expected = {state: 0 for state in MouState.values}
    for title in VISIBLE[who]:
        expected[mous[title].state] += 1
    assert counts == expected
    assert titles_linked(response) <= VISIBLE[who]


# --- No role, no session ---

PAGES = [
    ("get", "dashboard", False),
    ("get", "mou_list", False),
    ("get", "mou_create", False),
    ("get", "mou_detail", True),
    ("get", "mou_edit", True),
    ("post_by_hand", "mou_transition", True),
    ("get", "partner_list", False),
    ("get", "partner_create", False),
    ("get", "partner_detail", True),
    ("get", "partner_edit", True),
]


def page_url(name, needs_object, world, mous):
    if not needs_object:
        return reverse(name)
    if name.startswith("partner"):
        return reverse(name, args=[world.garment.pk])
    if name == "mou_transition":
        return reverse(name, args=[mous["BL-DRAFT"].pk, "send"])
    return reverse(name, args=[mous["BL-DRAFT"].pk])


@pytest.mark.parametrize(("method", "name", "needs_object"), PAGES)
def test_a_user_without_a_role_is_refused_everywhere(
    client_as, world, mous, method, name, needs_object
):
    url = page_url(name, needs_object, world, mous)
    response = getattr(client_as(world.no_role), method)(url)
    assert response.status_code == 403
    assert b"BL-DRAFT" not in response.content
    assert Mou.objects.get(title="BL-DRAFT").state == MouState.DRAFT


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_a_user_without_a_role_gets_no_export(client_as, world, mous, export_format):
    response = client_as(world.no_role).get(reverse("mou_list"), {"_export": export_format})
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "name", "needs_object"), PAGES)
def test_an_anonymous_visitor_is_sent_to_log_in(client_as, world, mous, method, name, needs_object):
    url = page_url(name, needs_object, world, mous)
    response = getattr(client_as(None), method)(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"
    assert Mou.objects.get(title="BL-DRAFT").state == MouState.DRAFT
