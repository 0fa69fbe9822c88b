"""The successor chain: who is now in charge of what a dissolved authority signed."""

from partnerships.authorities.hierarchy import AuthorityTree, authority_in_charge
from partnerships.models import Authority, AuthorityLevel


def merged_twice(world):
    """An old town merged into the district, itself merged into the commune of Bến Lức."""
    return Authority.objects.create(
        name="UBND thị trấn Bến Lức",
        level=AuthorityLevel.COMMUNE,
        parent=world.ben_luc_district,
        successor=world.ben_luc_district,
        code="UBND",
        is_dissolved=True,
    )


def test_a_body_merged_twice_is_in_the_hands_of_the_last_successor(world):
    town = merged_twice(world)
    tree = AuthorityTree.load()

    assert authority_in_charge(town) == world.ben_luc
    assert tree.in_charge(town.pk) == world.ben_luc.pk
    assert tree.predecessors(world.ben_luc.pk) == {world.ben_luc_district.pk, town.pk}


def test_a_body_still_running_is_in_charge_of_its_own_mous(world):
    assert authority_in_charge(world.thanh_loi) == world.thanh_loi
    assert AuthorityTree.load().in_charge(world.thanh_loi.pk) == world.thanh_loi.pk


def test_a_successor_named_but_not_dissolved_keeps_its_own_mous(world):
    world.thanh_loi.successor = world.ben_luc
    world.thanh_loi.save(update_fields=["successor"])

    assert authority_in_charge(world.thanh_loi) == world.thanh_loi


def test_a_cycle_typed_in_the_admin_ends_the_walk_instead_of_hanging(world):
    # The district's successor is Bến Lức; make Bến Lức a dissolved body succeeded by it.
    world.ben_luc.is_dissolved, world.ben_luc.successor = True, world.ben_luc_district
    world.ben_luc.save(update_fields=["is_dissolved", "successor"])

    assert authority_in_charge(world.ben_luc_district) == world.ben_luc_district
    assert AuthorityTree.load().in_charge(world.ben_luc.pk) == world.ben_luc.pk
