"""A partner's page: its MoUs with their delivery, its pledge lines, delivery over time, and
the share of its workforce that are people placed through the registry (Decision
22/2023/QĐ-TTg: 10% or more qualifies the employer for preferential credit)."""

from partnerships.models import ContractType, Gender, MouState, Partner
from partnerships.reports.partner import workforce_share
from tests.factories import bring_to, make_mou
from tests.factories.reports import place


def test_the_page_shows_each_mou_with_its_delivery(report_world, client_as):
    w = report_world
    page = client_as(w.staff).get(f"/partners/{w.garment.pk}/").content.decode()
    mous = page.split('data-testid="partner-mous"')[1].split("</table>")[0]
    assert "10/BGN-UBND" in mous and "20/BGN-UBND" in mous
    assert ">8<" in mous and ">4<" in mous and "50%" in mous  # MoU 10: 4 of 8
    assert 'class="badge lagging"' in mous  # MoU 20
    assert "Delivery over time" in page and "<svg" in page
    lines = page.split('id="lines-title"')[1]
    assert "Công nhân may" in lines and "Thợ may" in lines


def test_a_business_sees_its_own_page_only(report_world, client_as):
    w = report_world
    assert client_as(w.business).get(f"/partners/{w.garment.pk}/").status_code == 200
    assert client_as(w.business).get(f"/partners/{w.quarry.pk}/").status_code == 404


def test_the_workforce_share_counts_people_employed_now_on_labour_contracts(report_world):
    w = report_world
    Partner.objects.filter(pk=w.garment.pk).update(workforce_size=30)
    w.garment.refresh_from_db()
    # Counted: P1 and P3 (completed_prison, in a job now, labour contract) and P7 (MoU 20).
    # Not: P2 (left), P4/P5 (not confirmed), P6 (training).
    assert workforce_share(w.garment, user=w.admin).placed_now == 3
    # Not either: seasonal work, another target group.
    place(w.line1, started_days_ago=50, contract=ContractType.SEASONAL)
    place(w.line1, started_days_ago=50, group="drug_user", gender=Gender.FEMALE)
    share = workforce_share(w.garment, user=w.admin)
    assert (share.placed_now, share.workforce) == (3, 30)
    assert share.share == 0.1 and share.qualifies


def test_the_page_says_clearly_whether_the_employer_qualifies(report_world, client_as):
    w = report_world
    client = client_as(w.official)
    Partner.objects.filter(pk=w.garment.pk).update(workforce_size=30)
    page = client.get(f"/partners/{w.garment.pk}/").content.decode()
    assert 'data-testid="credit-qualifies"' in page
    assert "Qualifies for preferential credit" in page and "22/2023/QĐ-TTg" in page
    assert ">10%<" in page
    Partner.objects.filter(pk=w.garment.pk).update(workforce_size=31)
    page = client.get(f"/partners/{w.garment.pk}/").content.decode()
    # 3 of 31: 9.7 %, shown as such (rounded to a whole number it read 10 % yet "below").
    assert 'data-testid="credit-not-yet"' in page and ">9.7%<" in page
    Partner.objects.filter(pk=w.garment.pk).update(workforce_size=None)
    page = client.get(f"/partners/{w.garment.pk}/").content.decode()
    assert "Record the workforce size" in page


def test_the_threshold_and_groups_are_settings(report_world, settings):
    w = report_world
    Partner.objects.filter(pk=w.garment.pk).update(workforce_size=40)
    w.garment.refresh_from_db()
    assert not workforce_share(w.garment, user=w.admin).qualifies  # 3 of 40
    settings.PREFERENTIAL_CREDIT_WORKFORCE_SHARE = 0.05
    assert workforce_share(w.garment, user=w.admin).qualifies
    settings.PREFERENTIAL_CREDIT_TARGET_GROUPS = ["post_rehab"]
    assert workforce_share(w.garment, user=w.admin).placed_now == 0  # P2 left; P6 is in training


def test_an_unsigned_mou_has_nothing_to_deliver(report_world, client_as):
    w = report_world
    page = client_as(w.staff).get(f"/partners/{w.garment.pk}/").content.decode()
    mous = page.split('data-testid="partner-mous"')[1].split("</table>")[0]
    row = mous.split("11/BGN-UBND")[1].split("</tr>")[0]  # the sent MoU no. 11
    assert "Not signed: nothing to deliver." in row


def test_the_workforce_share_counts_only_placements_in_the_viewers_scope(report_world, client_as):
    """The garment factory also has an MoU in Hà Nam: Long An's official does not count its
    people, Hà Nam's official counts only those."""
    w = report_world
    Partner.objects.filter(pk=w.garment.pk).update(workforce_size=4)
    ha_nam_mou = bring_to(make_mou(w.kim_bang, w.garment, number=30), MouState.ACTIVE)
    for _person in range(2):
        place(ha_nam_mou.pledges.get(), started_days_ago=10)

    assert workforce_share(w.garment, user=w.admin).placed_now == 5
    assert workforce_share(w.garment, user=w.official).placed_now == 3
    assert workforce_share(w.garment, user=w.other_province_official).placed_now == 2
    page = client_as(w.official).get(f"/partners/{w.garment.pk}/").content.decode()
    assert 'data-testid="workforce-percent">75%<' in page  # 3 of 4, not 125 %
