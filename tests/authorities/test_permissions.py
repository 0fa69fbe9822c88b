"""permissions.py: the one place that decides who sees and may change what."""

import pytest

from partnerships.authorities.hierarchy import AuthorityTree
from partnerships.authorities.permissions import (
    can_edit_partner,
    can_manage_mou,
    can_review_mou,
    can_view_mou,
    visible_mous,
    visible_partners,
)
from partnerships.models import (
    Authority,
    AuthorityLevel,
    Mou,
    MouState,
    Role,
)
from tests.factories import bring_to, make_mou, make_user


def subtree(root_id: int) -> set[int]:
    return AuthorityTree.load().subtree(root_id)


def test_an_authoritys_scope_takes_in_its_children_and_the_bodies_it_succeeded(world):
    assert subtree(world.long_an.pk) == {
        world.long_an.pk,
        world.ben_luc.pk,
        world.thanh_loi.pk,
        world.ben_luc_district.pk,
    }
    assert subtree(world.ben_luc.pk) == {world.ben_luc.pk, world.ben_luc_district.pk}
    assert subtree(world.thanh_loi.pk) == {world.thanh_loi.pk}


def test_an_official_of_a_commune_reads_the_whole_province(world):
    official = make_user("commune_official", Role.OFFICIAL, authority=world.thanh_loi)
    mou = make_mou(world.ben_luc_district, world.garment, number=5)
    assert can_view_mou(official, mou)
    assert can_review_mou(official, mou)
    assert not can_manage_mou(official, mou)
    assert not can_view_mou(official, make_mou(world.kim_bang, world.quarry, number=6))


def test_a_member_of_the_administrator_group_sees_everything(world):
    administrator = make_user("group_admin", Role.ADMINISTRATOR)
    kim_bang = make_mou(world.kim_bang, world.quarry, number=7)
    assert set(visible_mous(administrator)) == {world.mou, kim_bang}
    assert can_manage_mou(administrator, kim_bang)


@pytest.mark.parametrize(
    ("role", "attached_to"),
    [
        (Role.AUTHORITY_STAFF, None),  # staff not attached to any authority
        (Role.OFFICIAL, None),
        (Role.BUSINESS_REPRESENTATIVE, None),  # a representative of no partner
        (None, "ben_luc"),  # attached, but holds no role
    ],
)
def test_a_half_configured_user_sees_nothing(world, role, attached_to):
    bring_to(world.mou, MouState.SENT)
    user = make_user("half", role, authority=getattr(world, attached_to) if attached_to else None)
    assert not visible_mous(user).exists()
    assert not can_view_mou(user, world.mou)
    assert not can_manage_mou(user, world.mou)
    assert role is not None or not visible_partners(user).exists()


def test_a_deactivated_user_loses_access_at_once(world):
    world.staff.is_active = False
    world.staff.save()
    assert not visible_mous(world.staff).exists()
    assert not can_manage_mou(world.staff, world.mou)
    assert not can_edit_partner(world.staff, world.garment)


def test_business_representatives_never_see_drafts_of_their_own_partner(world):
    assert not can_view_mou(world.business, world.mou)
    bring_to(world.mou, MouState.SENT)
    assert can_view_mou(world.business, Mou.objects.get(pk=world.mou.pk))
    assert not can_view_mou(world.other_business, world.mou)


def test_a_cycle_entered_by_hand_does_not_hang_the_scope(world):
    # Two commune-level bodies pointing at each other, with no province above them.
    first = Authority.objects.create(name="A", level=AuthorityLevel.COMMUNE, code="A")
    second = Authority.objects.create(
        name="B", level=AuthorityLevel.COMMUNE, code="B", parent=first
    )
    Authority.objects.filter(pk=first.pk).update(parent=second)
    official = make_user("looped", Role.OFFICIAL, authority=second)
    assert set(visible_mous(official)) == set()
    assert subtree(first.pk) == {first.pk, second.pk}
