"""Real concurrency on PostgreSQL: trees maturing at once against the last budget unit."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from forest.services.trees import tree_grow
from partners.models import ForestBudgetEntry, PlantingOrder
from partners.services.planting_orders import forest_budget_available
from tests.accounts.factories import UserFactory
from tests.concurrency import race
from tests.forest.helpers import assert_ledger_consistent, balance
from tests.forest.tree_factories import BrandForestFactory, SpeciesFactory, TreeFactory, give_energy

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalogue"),
]


def test_two_trees_maturing_at_once_against_the_last_budget_unit_fund_exactly_one():
    species = SpeciesFactory(energy_cost_grams=1_000)
    forest = BrandForestFactory(species=[species], price_per_tree=Decimal("1.00"), budget="1.00")
    trees = []
    for _ in range(2):
        user = UserFactory()
        give_energy(user, 1_000)
        trees.append(TreeFactory(owner=user, species=species, forest=forest))

    results, errors = race(
        lambda tree: tree_grow(user_id=tree.owner_id, tree_id=tree.id),
        [(t,) for t in trees],
    )

    assert not errors
    assert sorted(r.funded for r in results) == [False, True]
    assert all(r.matured for r in results)
    assert PlantingOrder.objects.count() == 1
    assert ForestBudgetEntry.objects.filter(kind="reserve").count() == 1
    assert forest_budget_available(forest.id) == Decimal("0")
    for tree in trees:
        assert balance(tree.owner, "tree") == 1_000
    assert_ledger_consistent()


def test_many_trees_racing_for_capacity_never_overfill_the_forest():
    species = SpeciesFactory(energy_cost_grams=500)
    forest = BrandForestFactory(species=[species], capacity=3, budget="100.00")
    trees = []
    for _ in range(8):
        user = UserFactory()
        give_energy(user, 500)
        trees.append(TreeFactory(owner=user, species=species, forest=forest))

    results, errors = race(
        lambda tree: tree_grow(user_id=tree.owner_id, tree_id=tree.id),
        [(t,) for t in trees],
    )

    assert not errors
    assert sum(r.funded for r in results) == 3
    assert PlantingOrder.objects.filter(forest=forest).count() == 3
    assert forest_budget_available(forest.id) == Decimal("97.00")
    assert_ledger_consistent()


def test_concurrent_grows_of_one_tree_never_spend_more_than_the_balance():
    species = SpeciesFactory(energy_cost_grams=10_000)
    user = UserFactory()
    forest = BrandForestFactory(species=[species])
    tree = TreeFactory(owner=user, species=species, forest=forest)
    give_energy(user, 1_000)

    results, errors = race(lambda: tree_grow(user_id=user.id, tree_id=tree.id, grams=400), [()] * 4)

    assert len(results) == 2  # 400 + 400; the others find 200 g left and are refused
    assert all(getattr(e, "code", None) == "insufficient_energy" for e in errors)
    tree.refresh_from_db()
    assert tree.energy_grams == 800
    assert balance(user) == 200
    assert_ledger_consistent()


def test_a_double_tap_on_start_creates_one_growing_tree():
    from forest.models import Tree
    from forest.services.trees import TreeError, tree_start

    user = UserFactory()
    forest = BrandForestFactory()
    species = forest.species.get()

    results, errors = race(
        lambda: tree_start(user_id=user.id, species_id=species.id, forest_id=forest.id),
        [()] * 4,
    )

    assert len(results) == 1
    assert len(errors) == 3
    assert all(isinstance(e, TreeError) and e.code == "tree_growing" for e in errors)
    assert Tree.objects.filter(owner=user, status="growing").count() == 1


def test_the_same_grow_request_sent_twice_at_once_moves_energy_once():
    species = SpeciesFactory(energy_cost_grams=10_000)
    user = UserFactory()
    tree = TreeFactory(owner=user, species=species, forest=BrandForestFactory(species=[species]))
    give_energy(user, 1_000)
    key = str(uuid.uuid4())

    results, errors = race(
        lambda: tree_grow(user_id=user.id, tree_id=tree.id, grams=300, request_key=key), [()] * 3
    )

    assert not errors
    assert sorted(r.grams for r in results) == [0, 0, 300]
    assert balance(user) == 700
    assert_ledger_consistent()
