"""The forest budget ledger and forest validation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from partners.models import ForestBudgetEntry
from partners.services.planting_orders import (
    forest_budget_available,
    forest_budget_topup,
    planting_order_reserve,
)
from tests.forest.tree_factories import BrandForestFactory, TreeFactory

pytestmark = pytest.mark.django_db


def test_topups_add_up_and_a_repeated_key_counts_once():
    forest = BrandForestFactory(budget="0")
    forest_budget_topup(forest=forest, amount=Decimal("10.00"), idempotency_key="inv-1")
    forest_budget_topup(forest=forest, amount=Decimal("10.00"), idempotency_key="inv-1")
    forest_budget_topup(forest=forest, amount=Decimal("2.50"), idempotency_key="inv-2")
    assert forest_budget_available(forest.id) == Decimal("12.50")


def test_a_topup_must_be_positive():
    forest = BrandForestFactory(budget="0")
    with pytest.raises(ValueError):
        forest_budget_topup(forest=forest, amount=Decimal("0"), idempotency_key="x")


def test_entries_are_append_only():
    forest = BrandForestFactory(budget="5")
    entry = ForestBudgetEntry.objects.get(forest=forest)
    entry.amount = Decimal("500")
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def test_the_database_refuses_a_reserve_with_the_wrong_sign():
    forest = BrandForestFactory(budget="5")
    with pytest.raises(IntegrityError):
        ForestBudgetEntry.objects.create(
            forest=forest, kind="reserve", amount=Decimal("1.00"), idempotency_key="bad"
        )


def test_reserving_stops_exactly_at_the_budget():
    forest = BrandForestFactory(price_per_tree=Decimal("0.60"), budget="1.80")
    results = [
        planting_order_reserve(
            tree=TreeFactory(forest=forest, status="matured", matured_at=timezone.now()),
            forest_id=forest.id,
        ).funded
        for _ in range(4)
    ]
    assert results == [True, True, True, False]
    assert forest_budget_available(forest.id) == Decimal("0")


def test_a_forest_area_must_be_a_geojson_polygon():
    forest = BrandForestFactory.build(area={"type": "Point", "coordinates": [4.8, 52.3]})
    with pytest.raises(ValidationError) as exc:
        forest.clean()
    assert "area" in exc.value.message_dict
    BrandForestFactory().clean()  # the default square is fine
