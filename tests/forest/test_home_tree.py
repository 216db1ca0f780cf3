"""The home screen's tree: stage names, artwork keys, progress, and the tree kept after
maturity with its phase (waiting for a forest, to be planted, planted) in fixed queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from forest.services.trees import tree_grow
from partners.models import PlantingOrder
from partners.services.planting_orders import planting_order_transition
from tests.forest.tree_factories import (
    BrandForestFactory,
    SpeciesFactory,
    TreeFactory,
    give_energy,
)

pytestmark = pytest.mark.django_db


def home_tree(client) -> dict:
    return client.get("/api/v1/forest").json()["tree"]


@pytest.mark.parametrize(
    ("grams", "stage", "name", "progress"),
    [
        (0, 0, "Seed", 0),
        (49, 0, "Seed", 4),
        (50, 1, "Sprout", 5),
        (150, 2, "Seedling", 15),
        (300, 3, "Sapling", 30),
        (500, 4, "Young tree", 50),
        (999, 5, "Growing tree", 99),
    ],
)
def test_the_stage_has_a_name_an_artwork_and_a_progress(
    user_client, user, grams, stage, name, progress
):
    species = SpeciesFactory(code="oak", energy_cost_grams=1_000)
    TreeFactory(owner=user, species=species, energy_grams=grams)

    tree = home_tree(user_client)

    assert (tree["stage"], tree["stage_name"], tree["progress_percent"]) == (stage, name, progress)
    assert tree["artwork_key"] == f"oak/stage-{stage}" and tree["phase"] == "growing"


def test_the_tree_stays_on_the_home_screen_through_planting(user_client, user):
    species = SpeciesFactory(code="beech", energy_cost_grams=400)
    forest = BrandForestFactory(species=[species], price_per_tree=Decimal("0.60"), budget="5.00")
    tree = TreeFactory(owner=user, species=species, forest=forest)
    give_energy(user, 400)

    tree_grow(user_id=user.id, tree_id=tree.id)
    funded = home_tree(user_client)
    order = PlantingOrder.objects.get(tree=tree)
    planting_order_transition(order_id=order.id, to_state="funded")
    planting_order_transition(order_id=order.id, to_state="planted")
    planted = home_tree(user_client)

    assert (funded["id"], funded["phase"], funded["stage_name"]) == (
        tree.id,
        "to_be_planted",
        "Full-grown tree",
    )
    assert funded["artwork_key"] == "beech/stage-6" and funded["progress_percent"] == 100
    assert (planted["id"], planted["phase"], planted["artwork_key"]) == (
        tree.id,
        "planted",
        "beech/planted",
    )
    assert planted["certificate_number"]


def test_a_grown_tree_no_forest_could_fund_waits_on_the_home_screen(user_client, user):
    species = SpeciesFactory(energy_cost_grams=300)
    tree = TreeFactory(
        owner=user,
        species=species,
        forest=BrandForestFactory(species=[species]),
        status="matured",
        energy_grams=300,
        matured_at=timezone.now(),
    )

    assert (home_tree(user_client)["id"], home_tree(user_client)["phase"]) == (
        tree.id,
        "waiting_for_forest",
    )


def test_starting_the_next_tree_replaces_the_planted_one(user_client, user):
    TreeFactory(owner=user, status="planted", matured_at=timezone.now())
    growing = TreeFactory(owner=user)

    assert home_tree(user_client)["id"] == growing.id


def test_the_home_screen_with_a_planted_tree_keeps_its_query_count(
    user_client, user, django_assert_max_num_queries
):
    species = SpeciesFactory(energy_cost_grams=400)
    forest = BrandForestFactory(species=[species], budget="5.00")
    tree = TreeFactory(owner=user, species=species, forest=forest)
    give_energy(user, 400)
    tree_grow(user_id=user.id, tree_id=tree.id)
    order = PlantingOrder.objects.get(tree=tree)
    planting_order_transition(order_id=order.id, to_state="funded")
    planting_order_transition(order_id=order.id, to_state="planted")

    with django_assert_max_num_queries(7):  # as test_energy_api: +1 for the tree
        assert home_tree(user_client)["phase"] == "planted"
