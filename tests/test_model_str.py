"""What operators read in the admin: every model names itself in words (species names, state
labels, grouped numbers), in the operator's language, not as ids and raw enum values."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from django.utils import timezone, translation

from partners.models import PlantingOrder, PlantingOrderEvent
from tests.forest.tree_factories import BrandForestFactory, SpeciesFactory, TreeFactory
from tests.partners.portal_helpers import order_in_state

OUR_APPS = ["accounts", "catalogue", "forest", "partners", "privacy", "demo"]


def test_every_model_of_ours_has_its_own_str():
    missing = [
        model._meta.label
        for label in OUR_APPS
        for model in apps.get_app_config(label).get_models()
        if model.__str__ is models.Model.__str__
    ]
    assert missing == []


@pytest.mark.django_db
def test_a_tree_names_its_species_grams_and_status_in_the_operators_language():
    species = SpeciesFactory(name_en="Pedunculate oak", name_nl="Zomereik")
    tree = TreeFactory(
        species=species, energy_grams=30_000, status="matured", matured_at=timezone.now()
    )

    with translation.override("en"):
        assert str(tree) == f"Tree {tree.pk}: Pedunculate oak, 30,000 g, Matured"
    with translation.override("nl"):
        text = str(tree)
    assert "Zomereik" in text and "30.000 g" in text and "Volgroeid" in text
    assert f"{species.pk} " not in text.split(":", 1)[1]


@pytest.mark.django_db
def test_orders_and_their_events_show_state_labels_not_values():
    order = order_in_state(BrandForestFactory(), "survival_checked")
    event = PlantingOrderEvent.objects.filter(order=order, to_state="survival_checked").get()
    with translation.override("en"):
        assert str(order) == f"Order {order.pk} for tree {order.tree_id}: Survival checked"
        assert str(event) == f"Order {order.pk}: Verified → Survival checked"
    assert PlantingOrder.State.SURVIVAL_CHECKED.label == "Survival checked"


@pytest.mark.django_db
def test_the_planting_order_list_shows_trees_by_species(
    admin_client, django_assert_max_num_queries
):
    forest = BrandForestFactory(species=[SpeciesFactory(name_en="Silver birch")])
    for _ in range(5):
        order = order_in_state(forest, "planted")
    order.tree.species = SpeciesFactory(name_en="Black alder")
    order.tree.save(update_fields=["species"])

    # The species come with the orders (select_related), not one query per row.
    with django_assert_max_num_queries(12):
        html = admin_client.get("/admin/partners/plantingorder/").content.decode()
    assert "Black alder" in html
    assert "Silver birch" in html
