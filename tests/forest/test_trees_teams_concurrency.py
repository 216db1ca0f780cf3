"""Real concurrency on PostgreSQL: team members growing the same tree at once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from forest.models.trees import TreeContribution
from forest.services.teams import team_accept, team_create
from forest.services.trees import tree_grow, tree_start
from partners.models import PlantingOrder
from tests.accounts.factories import UserFactory
from tests.concurrency import race
from tests.forest.helpers import assert_ledger_consistent, balance
from tests.forest.tree_factories import BrandForestFactory, SpeciesFactory, give_energy

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalogue"),
]


def test_two_members_growing_the_last_grams_at_once_mature_it_once_and_lose_nothing():
    species = SpeciesFactory(energy_cost_grams=1_000)
    forest = BrandForestFactory(species=[species], price_per_tree=Decimal("1.00"))
    anna, bram = UserFactory(), UserFactory()
    team = team_create(creator_id=anna.id, name="Buren", user_ids=[bram.id])
    team_accept(user_id=bram.id, team_id=team.id)
    tree = tree_start(user_id=anna.id, species_id=species.id, forest_id=forest.id, team_id=team.id)
    give_energy(anna, 1_100)
    give_energy(bram, 300)
    tree_grow(user_id=anna.id, tree_id=tree.id, grams=900)  # 100 g left to grow

    results, errors = race(
        lambda user: tree_grow(user_id=user.id, tree_id=tree.id, grams=100), [(anna,), (bram,)]
    )

    # one of them grows the last 100 g and matures it; the other is told it is fully grown
    assert len(results) == 1, errors
    assert [getattr(e, "code", e) for e in errors] == ["tree_not_growing"]
    assert results[0].matured and results[0].funded
    tree.refresh_from_db()
    assert tree.energy_grams == 1_000 and tree.status == "matured"
    assert PlantingOrder.objects.filter(tree=tree).count() == 1
    grown = dict(TreeContribution.objects.filter(tree=tree).values_list("user_id", "grams"))
    assert sum(grown.values()) == 1_000
    assert balance(anna) + balance(bram) == 1_100 + 300 - 1_000
    assert balance(anna, "tree") + balance(bram, "tree") == 1_000
    assert_ledger_consistent()


def test_many_members_growing_at_once_never_overgrow_the_tree():
    species = SpeciesFactory(energy_cost_grams=1_000)
    forest = BrandForestFactory(species=[species])
    members = UserFactory.create_batch(6)
    team = team_create(creator_id=members[0].id, name="Zes", user_ids=[m.id for m in members[1:]])
    for member in members[1:]:
        team_accept(user_id=member.id, team_id=team.id)
    tree = tree_start(
        user_id=members[0].id, species_id=species.id, forest_id=forest.id, team_id=team.id
    )
    for member in members:
        give_energy(member, 300)

    results, errors = race(
        lambda user: tree_grow(user_id=user.id, tree_id=tree.id), [(m,) for m in members]
    )

    assert all(getattr(e, "code", None) == "tree_not_growing" for e in errors), errors
    assert sum(r.grams for r in results) == 1_000
    tree.refresh_from_db()
    assert tree.energy_grams == 1_000
    assert sum(TreeContribution.objects.filter(tree=tree).values_list("grams", flat=True)) == 1_000
    assert sum(balance(m) for m in members) == 6 * 300 - 1_000
    assert PlantingOrder.objects.filter(tree=tree).count() == 1
    assert_ledger_consistent()


def test_two_members_starting_the_team_tree_at_once_get_one_tree():
    species = SpeciesFactory(energy_cost_grams=1_000)
    forest = BrandForestFactory(species=[species])
    anna, bram = UserFactory(), UserFactory()
    team = team_create(creator_id=anna.id, name="Buren", user_ids=[bram.id])
    team_accept(user_id=bram.id, team_id=team.id)

    results, errors = race(
        lambda user: tree_start(
            user_id=user.id, species_id=species.id, forest_id=forest.id, team_id=team.id
        ),
        [(anna,), (bram,)],
    )

    assert len(results) == 1
    assert [getattr(e, "code", e) for e in errors] == ["tree_growing"]
    assert team.trees.count() == 1
