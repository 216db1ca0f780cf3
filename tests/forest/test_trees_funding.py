"""A tree reaching 100 %: maturity, the forest budget reservation, the order, and moving."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from catalogue.models import BrandForest
from forest.models import Tree
from forest.services.trees import TreeError, tree_grow, tree_move
from partners.models import ForestBudgetEntry, PlantingOrder
from partners.selectors.forests import forests_with_figures
from partners.services.planting_orders import forest_budget_available
from tests.forest.helpers import assert_ledger_consistent, balance
from tests.forest.tree_factories import BrandForestFactory, SpeciesFactory, TreeFactory, give_energy

pytestmark = pytest.mark.django_db


@pytest.fixture
def species():
    return SpeciesFactory(energy_cost_grams=1_000)


def test_maturity_creates_an_order_and_reserves_the_price(user_client, user, species):
    forest = BrandForestFactory(species=[species], price_per_tree=Decimal("0.60"), budget="5.00")
    tree = TreeFactory(owner=user, species=species, forest=forest, energy_grams=0)
    give_energy(user, 1_200)

    response = user_client.post(f"/api/v1/trees/{tree.id}/grow", {}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["matured"] is True
    assert body["funded"] is True
    assert body["grown_grams"] == 1_000
    assert body["tree"]["order_state"] == "requested"
    assert "will be planted" in body["message"]
    tree.refresh_from_db()
    assert tree.status == Tree.Status.MATURED
    assert tree.matured_at is not None
    order = PlantingOrder.objects.get(tree=tree)
    assert order.state == PlantingOrder.State.REQUESTED
    assert (order.forest_id, order.partner_id) == (forest.id, forest.planting_partner_id)
    assert (order.price, order.currency) == (Decimal("0.60"), "EUR")
    reserve = ForestBudgetEntry.objects.get(kind="reserve")
    assert reserve.amount == Decimal("-0.60")
    assert reserve.order == order
    assert reserve.idempotency_key == f"reserve:order:{order.idempotency_key}"
    assert forest_budget_available(forest.id) == Decimal("4.40")
    assert list(order.events.values_list("to_state", flat=True)) == ["requested"]
    assert balance(user) == 200
    assert balance(user, "tree") == 1_000
    assert_ledger_consistent()


def test_a_matured_tree_cannot_grow_further(user, species):
    forest = BrandForestFactory(species=[species])
    tree = TreeFactory(owner=user, species=species, forest=forest)
    give_energy(user, 2_000)
    tree_grow(user_id=user.id, tree_id=tree.id)
    with pytest.raises(TreeError) as exc:
        tree_grow(user_id=user.id, tree_id=tree.id, grams=10)
    assert exc.value.code == "tree_not_growing"
    assert balance(user) == 1_000


def test_without_budget_the_tree_matures_unfunded_and_the_user_is_told(user_client, user, species):
    forest = BrandForestFactory(species=[species], price_per_tree=Decimal("1.00"), budget="0.99")
    tree = TreeFactory(owner=user, species=species, forest=forest)
    give_energy(user, 1_000)

    body = user_client.post(f"/api/v1/trees/{tree.id}/grow", {}, format="json").json()

    assert body["matured"] is True
    assert body["funded"] is False
    assert "budget is used up" in body["message"]
    assert "energy is kept" in body["message"]
    assert body["tree"]["funded"] is False
    tree.refresh_from_db()
    assert tree.status == Tree.Status.MATURED
    assert tree.energy_grams == 1_000
    assert not PlantingOrder.objects.exists()
    assert not ForestBudgetEntry.objects.filter(kind="reserve").exists()
    assert balance(user, "tree") == 1_000
    assert_ledger_consistent()
    # The home screen keeps showing it, so the user can act on it.
    home = user_client.get("/api/v1/forest").json()
    assert home["tree"]["id"] == tree.id
    assert home["tree"]["funded"] is False


def test_without_capacity_the_tree_matures_unfunded(user, species):
    forest = BrandForestFactory(species=[species], capacity=1)
    TreeFactory(species=species, forest=forest, status="matured", matured_at=timezone.now())
    from partners.services.planting_orders import planting_order_reserve

    assert planting_order_reserve(tree=Tree.objects.get(), forest_id=forest.id).funded
    tree = TreeFactory(owner=user, species=species, forest=forest)
    give_energy(user, 1_000)
    result = tree_grow(user_id=user.id, tree_id=tree.id)
    assert result.matured and not result.funded
    assert "full" in result.message


def test_moving_an_unfunded_tree_funds_it_in_the_new_forest(user_client, user, species):
    empty = BrandForestFactory(species=[species], budget="0")
    funded = BrandForestFactory(species=[species], budget="3.00")
    tree = TreeFactory(owner=user, species=species, forest=empty)
    give_energy(user, 1_000)
    user_client.post(f"/api/v1/trees/{tree.id}/grow", {}, format="json")

    response = user_client.post(
        f"/api/v1/trees/{tree.id}/move", {"forest": funded.id}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["funded"] is True
    assert body["tree"]["forest"]["id"] == funded.id
    assert body["grown_grams"] == 0
    order = PlantingOrder.objects.get(tree=tree)
    assert order.forest_id == funded.id
    assert forest_budget_available(funded.id) == Decimal("2.00")
    assert forest_budget_available(empty.id) == Decimal("0")
    tree.refresh_from_db()
    assert (tree.forest_id, tree.energy_grams) == (funded.id, 1_000)
    assert balance(user, "tree") == 1_000
    assert_ledger_consistent()


def test_moving_to_another_empty_forest_keeps_it_unfunded(user, species):
    a = BrandForestFactory(species=[species], budget="0")
    b = BrandForestFactory(species=[species], budget="0")
    tree = TreeFactory(owner=user, species=species, forest=a)
    give_energy(user, 1_000)
    tree_grow(user_id=user.id, tree_id=tree.id)
    result = tree_move(user_id=user.id, tree_id=tree.id, forest_id=b.id)
    assert not result.funded
    assert not PlantingOrder.objects.exists()


def test_a_growing_tree_can_move_to_a_forest_offering_its_species(user_client, user, species):
    a = BrandForestFactory(species=[species])
    b = BrandForestFactory(species=[species])
    tree = TreeFactory(owner=user, species=species, forest=a, energy_grams=0)
    body = user_client.post(f"/api/v1/trees/{tree.id}/move", {"forest": b.id}, format="json").json()
    assert body["tree"]["forest"]["id"] == b.id
    assert body["matured"] is False


@pytest.mark.parametrize(
    ("make_target", "status", "code"),
    [
        (lambda s: BrandForestFactory(species=[s], status=BrandForest.Status.CLOSED), 409,
         "forest_not_open"),
        (lambda s: BrandForestFactory(), 400, "species_not_offered"),
    ],
)  # fmt: skip
def test_move_refuses_closed_forests_and_missing_species(
    user_client, user, species, make_target, status, code
):
    tree = TreeFactory(owner=user, species=species, forest=BrandForestFactory(species=[species]))
    target = make_target(species)
    response = user_client.post(
        f"/api/v1/trees/{tree.id}/move", {"forest": target.id}, format="json"
    )
    assert response.status_code == status
    assert response.json()["code"] == code
    tree.refresh_from_db()
    assert tree.forest_id != target.id


def test_a_funded_tree_cannot_move(user_client, user, species):
    forest = BrandForestFactory(species=[species])
    other = BrandForestFactory(species=[species])
    tree = TreeFactory(owner=user, species=species, forest=forest)
    give_energy(user, 1_000)
    tree_grow(user_id=user.id, tree_id=tree.id)
    response = user_client.post(
        f"/api/v1/trees/{tree.id}/move", {"forest": other.id}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "tree_funded"


def test_a_user_with_an_unfunded_tree_may_start_the_next(user_client, user, species):
    forest = BrandForestFactory(species=[species], budget="0")
    tree = TreeFactory(owner=user, species=species, forest=forest)
    give_energy(user, 1_000)
    tree_grow(user_id=user.id, tree_id=tree.id)
    response = user_client.post(
        "/api/v1/trees", {"species": species.id, "forest": forest.id}, format="json"
    )
    assert response.status_code == 201
    # The home screen shows the growing tree first.
    assert user_client.get("/api/v1/forest").json()["tree"]["id"] == response.json()["id"]


def test_forest_figures_count_committed_trees_and_budget(species):
    forest = BrandForestFactory(species=[species], capacity=5, budget="10.00")
    for _ in range(2):
        tree = TreeFactory(species=species, forest=forest, status="matured",
                           matured_at=timezone.now())  # fmt: skip
        from partners.services.planting_orders import planting_order_reserve

        planting_order_reserve(tree=tree, forest_id=forest.id)
    row = forests_with_figures().get(pk=forest.pk)
    assert (row.trees_committed, row.capacity_left) == (2, 3)
    assert row.budget_available == Decimal("8.00")
