"""Matching a reported ID number against the registry reveals nothing outside the person's
managing authority (issue 11, item 3).

A business (or staff of another authority) reporting a registered number with other
details gets exactly the answer an unknown number gets; the report is held for the staff of
the person's managing authority, who compare and settle it. Every form sent and every file
previewed is audited with how many numbers were checked (never the numbers), and a budget
per user and per business, counted in the database, bounds them.
"""

import json
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from partnerships.dashboard.selectors import work_queues
from partnerships.models import (
    AuditEvent,
    Confirmation,
    IdentityConflict,
    ImportStatus,
    Person,
    Placement,
    Role,
)
from partnerships.placements import services as placements
from tests.factories.placements import (
    NATIONAL_ID,
    csv_bytes,
    import_row,
    person_details,
    report,
)
from tests.factories.web import BrowserClient
from tests.factories.world import make_user

UNKNOWN_ID = "079203009999"
OTHER_NAME = "Lê Thị Mai"


def browser(user, language="en") -> BrowserClient:
    """A logged-in client of a user who chose `language` (the language cookie)."""
    client = BrowserClient()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def same_shape(html: str) -> str:
    """A page with what legitimately differs between two reports (numbers: ids, dates,
    times, tokens) blotted out, so that any other difference shows."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'<code class="hash">[0-9a-f…]+</code>', "", html)  # each file's SHA-256
    return re.sub(r"\d+", "0", html)


def form_data(w, *, days: int, **overrides) -> dict:
    return {
        "pledge": w.job_pledge.pk,
        "start_date": (w.term_start + timedelta(days=days)).strftime("%d/%m/%Y"),
        "occupation": "",
        "monthly_wage": "6500000",
        "contract_type": "labour_12m_plus",
        "national_id": NATIONAL_ID,
        "full_name": "Nguyễn Văn An",
        "gender": "male",
        "birth_year": "1990",
        "target_group": w.completed_prison.pk,
        "consent_given_on": w.term_start.strftime("%d/%m/%Y"),
        "consent_scope": "placement",
    } | overrides


@pytest.fixture
def registered(placements_world):
    """Nguyễn Văn An (NATIONAL_ID), registered by the staff of Bến Lức who manage him."""
    w = placements_world
    w.person = report(w, w.staff).person
    return w


def report_by_form(client, w, **data):
    """Send the report form as the business's browser does; where it leads, and the
    messages the business reads there."""
    url = f"/mous/{w.active_mou.pk}/placements/new/"
    response = client.submit(url, form_data(w, **data))
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(response["Location"])
    return response["Location"], " ".join(str(m) for m in page.context["messages"])


def business_view_of(client, placement) -> str:
    return client.get(f"/placements/{placement.pk}/").content.decode()


# --- The item reproduced: the report form ---


def test_a_business_probing_a_registered_number_by_form_learns_nothing(registered):
    w = registered
    client = browser(w.business)
    answers, pages = [], []
    for days, data in [
        (20, {"national_id": UNKNOWN_ID, "full_name": "Trần Văn Bình"}),  # unknown number
        (21, {}),  # registered, same details
        (22, {"full_name": OTHER_NAME}),  # registered, another name
        (23, {"gender": "female", "birth_year": "1985"}),  # registered, other gender and year
    ]:
        location, page = report_by_form(client, w, days=days, **data)
        placement = Placement.objects.latest("pk")
        answers.append((location, same_shape(page)))
        pages.append(same_shape(business_view_of(client, placement)))
        assert placement.confirmation == Confirmation.REPORTED
    assert all(answer == answers[0] for answer in answers)
    assert all(page == pages[0] for page in pages)
    assert "recorded." in answers[0][1]
    assert OTHER_NAME not in answers[2][1] and "different name" not in answers[2][1]

    # Nothing was said, and the two contradicting reports are held for the staff of the
    # authority that manages the person.
    held = Placement.objects.filter(identity_conflict__isnull=False)
    assert held.count() == 2
    assert {p.person for p in held} == {w.person}
    assert Person.objects.count() == 2  # the unknown number registered; no duplicate


def test_the_conflict_reaches_the_managing_staff_who_settle_it(registered):
    w = registered
    report_by_form(browser(w.business), w, days=22, full_name=OTHER_NAME)
    placement = Placement.objects.get(identity_conflict__isnull=False)
    staff = browser(w.staff)

    # On their dashboard (theirs only) and in their list, marked; the business sees no mark.
    assert "Reports with a person&#x27;s details to check" in staff.get("/").content.decode()
    for user, count in [(w.staff, 1), (w.other_staff, None), (w.official, None), (w.admin, None)]:
        queues = {queue.key: queue.count for queue in work_queues(user=user)}
        assert queues.get("identity_conflicts") == count
    queue = staff.get("/placements/?queue=identity_conflicts")
    assert [row.pk for row in queue.context["page"]] == [placement.pk]
    assert 'data-testid="identity-check"' in queue.content.decode()
    business_list = browser(w.business).get("/placements/").content.decode()
    assert 'data-testid="identity-check"' not in business_list

    # The two sets of details side by side; the look is audited. No confirming before.
    page = staff.get(f"/placements/{placement.pk}/").content.decode()
    assert "Nguyễn Văn An" in page and OTHER_NAME in page
    assert f'action="/placements/{placement.pk}/confirm/"' not in page
    assert AuditEvent.objects.filter(action="person.identity_viewed", actor=w.staff).exists()
    with pytest.raises(placements.PlacementError):
        placements.confirm_placement(placement=placement, actor=w.staff)

    response = staff.submit(
        f"/placements/{placement.pk}/",
        {"decision": "same_person"},
        action=f"/placements/{placement.pk}/identity/",
    )
    assert response.status_code == 302
    assert not IdentityConflict.objects.exists()  # the reported name is erased
    placement.refresh_from_db()
    assert placement.confirmation == Confirmation.REPORTED
    placements.confirm_placement(placement=placement, actor=w.staff)
    settled = AuditEvent.objects.get(action="person.identity_conflict_settled")
    assert settled.details == {"placement": placement.pk, "same_person": True}


# --- The other path, and the other reporters: the import, staff of another authority ---


def upload_by_page(client, data: bytes, capture) -> int:
    with capture(execute=True):
        response = client.submit(
            "/imports/", {"file": SimpleUploadedFile("tiep-nhan.csv", data, "text/csv")}
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    return int(response["Location"].rstrip("/").rsplit("/", 1)[1])


def test_an_import_preview_answers_the_same_whatever_is_registered(
    registered, django_capture_on_commit_callbacks
):
    w = registered
    client = browser(w.business)
    start = (w.term_start + timedelta(days=30)).strftime("%d/%m/%Y")
    files = {
        "unknown": [import_row(w, national_id=UNKNOWN_ID, full_name="Trần Văn Bình")],
        "same": [import_row(w)],
        "other name": [import_row(w, full_name=OTHER_NAME)],
        "other gender": [import_row(w, gender="Nữ", birth_year="1985")],
    }
    previews = {}
    for name, rows in files.items():
        rows = [row | {"start_date": start} for row in rows]
        batch_id = upload_by_page(client, csv_bytes(rows), django_capture_on_commit_callbacks)
        page = client.get(f"/imports/{batch_id}/").content.decode()
        previews[name] = same_shape(page.replace(str(batch_id), "0"))
        assert 'data-testid="import-problems"' not in page, name
        # Cancelling keeps the record of what was checked.
        client.submit(f"/imports/{batch_id}/", action=f"/imports/{batch_id}/cancel/")
    differing = [name for name, page in previews.items() if page != previews["same"]]
    assert differing == []
    events = AuditEvent.objects.filter(action="people.matched", actor=w.business)
    assert [(e.details["via"], e.details["numbers"]) for e in events] == [("import", 1)] * 4


def test_an_imported_conflict_is_held_and_the_result_page_counts_no_people(
    registered, upload, confirm_import, client_as
):
    w = registered
    start = (w.term_start + timedelta(days=40)).strftime("%d/%m/%Y")
    rows = [
        import_row(w, full_name=OTHER_NAME, start_date=start),
        import_row(w, national_id=UNKNOWN_ID, full_name="Trần Văn Bình"),
    ]
    batch = confirm_import(upload(w.business, csv_bytes(rows)), w.business)
    assert batch.status == ImportStatus.IMPORTED
    held = Placement.objects.get(identity_conflict__isnull=False)
    assert held.person == w.person and held.confirmation == Confirmation.REPORTED
    conflict = held.identity_conflict
    assert (conflict.reported_gender, conflict.reported_birth_year) == ("male", 1990)
    result = browser(w.business).get(f"/imports/{batch.pk}/").content.decode()
    assert "People added" not in result  # it would count the numbers already registered
    # The managing staff see it to settle; they alone.
    detail = browser(w.staff).get(f"/placements/{held.pk}/").content.decode()
    assert OTHER_NAME in detail


def test_staff_of_another_authority_learn_nothing_and_the_managing_one_decides(
    placements_world,
):
    """The person is managed by Kim Bảng; the garment business and the staff of Bến Lức
    (whose MoU it is) report the number with other details. Neither is told; Bến Lức may
    not confirm until Kim Bảng settles; Kim Bảng rejects: not the same person."""
    w = placements_world
    quarry_pledge = w.quarry_mou.pledges.get()
    person = report(w, w.other_business, pledge=quarry_pledge).person
    assert person.owning_authority == w.kim_bang
    kim_bang_staff = make_user("kim_bang_staff", Role.AUTHORITY_STAFF, authority=w.kim_bang)

    by_staff = report(w, w.staff, person=person_details(w, full_name=OTHER_NAME))
    by_business = report(
        w, person=person_details(w, birth_year=1991), pledge=w.job_pledge, start_date=w.today
    )
    # Staff record confirmed at once, but not a held report.
    assert by_staff.confirmation == by_business.confirmation == Confirmation.REPORTED
    assert IdentityConflict.objects.count() == 2

    ben_luc = browser(w.staff)
    page = ben_luc.get(f"/placements/{by_staff.pk}/").content.decode()
    assert OTHER_NAME not in page and "Nguyễn Văn An" not in page
    assert 'data-testid="identity-check-pending"' in page
    assert f'action="/placements/{by_staff.pk}/identity/"' not in page
    refused = ben_luc.post_by_hand(
        f"/placements/{by_staff.pk}/identity/", {"decision": "same_person"}
    )
    assert refused.status_code == 403

    kim_bang = browser(kim_bang_staff)
    page = kim_bang.get(f"/placements/{by_business.pk}/").content.decode()
    assert "Nguyễn Văn An" in page
    kim_bang.submit(
        f"/placements/{by_business.pk}/",
        {"decision": "not_this_person", "reason": "Số định danh không khớp với người này."},
        action=f"/placements/{by_business.pk}/identity/",
    )
    by_business.refresh_from_db()
    assert by_business.confirmation == Confirmation.REJECTED
    assert by_business.rejection_reason == "Số định danh không khớp với người này."
    assert IdentityConflict.objects.count() == 1


def test_withdrawing_consent_erases_what_others_reported(registered):
    w = registered
    report(w, person=person_details(w, full_name=OTHER_NAME), start_date=w.today)
    placements.withdraw_consent(person=w.person, actor=w.staff)
    assert not IdentityConflict.objects.exists()


# --- Audit and limits ---


def test_each_form_and_preview_is_audited_with_a_count_never_a_number(registered, upload):
    w = registered
    report(w, person=person_details(w, national_id=UNKNOWN_ID), start_date=w.today)
    rows = [
        import_row(w, national_id=f"07920300{index:04d}", full_name=f"Người {index}")
        for index in range(5)
    ]
    batch = upload(w.business, csv_bytes(rows + rows[:1]))
    events = AuditEvent.objects.filter(action="people.matched", actor=w.business)
    assert [(e.details["via"], e.details["numbers"]) for e in events] == [
        ("form", 1),
        ("import", 5),
    ]
    assert events[1].details["batch"] == batch.pk
    everything = json.dumps(list(AuditEvent.objects.values("details", "note")))
    for number in [UNKNOWN_ID, NATIONAL_ID, *(row["national_id"] for row in rows)]:
        assert number not in everything


def test_a_user_over_the_days_budget_is_refused_in_their_language(registered, settings):
    settings.PERSON_LOOKUPS_PER_USER_PER_DAY = 2
    w = registered
    client = browser(w.business, "vi")
    url = f"/mous/{w.active_mou.pk}/placements/new/"
    for days in (20, 21):
        assert client.submit(url, form_data(w, days=days)).status_code == 302
    before = Placement.objects.count()
    response = client.submit(url, form_data(w, days=22, national_id=UNKNOWN_ID))
    assert response.status_code == 200
    assert "đã tra quá nhiều số định danh" in response.content.decode()
    assert Placement.objects.count() == before
    assert not Person.objects.filter(placements__start_date=w.term_start + timedelta(22)).exists()
    refused = AuditEvent.objects.get(action="people.match_refused")
    assert refused.details == {"numbers": 1, "via": "form", "mou": w.active_mou.pk}


def test_the_budget_of_a_business_is_shared_by_its_people(registered, settings):
    settings.PERSON_LOOKUPS_PER_USER_PER_DAY = 100
    settings.PERSON_LOOKUPS_PER_BUSINESS_PER_DAY = 3
    w = registered
    colleague = make_user("colleague", Role.BUSINESS_REPRESENTATIVE, partner=w.garment)
    for index in range(2):
        report(w, start_date=w.term_start + timedelta(days=20 + index))
    report(w, colleague, start_date=w.term_start + timedelta(days=22))
    with pytest.raises(placements.PlacementError) as error:
        report(w, colleague, start_date=w.term_start + timedelta(days=23))
    assert [problem.code for problem in error.value.problems] == ["lookup_limit"]
    # Another business, and the staff, have their own budgets.
    report(w, w.staff, start_date=w.term_start + timedelta(days=24))


def test_a_file_over_the_budget_is_refused_whole_and_costs_nothing(
    registered, settings, upload, client_as
):
    settings.PERSON_LOOKUPS_PER_USER_PER_DAY = 10
    w = registered
    rows = [
        import_row(w, national_id=f"07920300{index:04d}", full_name=f"Người {index}")
        for index in range(11)
    ]
    batch = upload(w.business, csv_bytes(rows))
    assert batch.status == ImportStatus.FAILED and batch.error_code == "lookup_limit"
    assert batch.rows == [] and batch.row_errors == []
    page = browser(w.business).get(f"/imports/{batch.pk}/").content.decode()
    assert "Too many national ID numbers were checked" in page
    # The refused file took nothing from the budget: ten numbers still pass.
    assert upload(w.business, csv_bytes(rows[:10])).status == ImportStatus.PREVIEW
