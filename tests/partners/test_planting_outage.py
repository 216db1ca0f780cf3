"""A planting partner outage leaves orders requested and retried with backoff, and buys
each tree once when the partner is back (issue 16, Faults; docs/failure-modes.md)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalogue.models import PlantingPartner
from forest.models import Tree
from partners.models import ForestBudgetEntry, PlantingOrder
from partners.services.planting_orders import (
    planting_order_reserve,
    planting_orders_submit,
    submit_backoff,
)
from partners.tasks import planting_orders_retry_task
from tests.forest.tree_factories import BrandForestFactory, PlantingPartnerFactory, TreeFactory
from tests.partners.fake_planting import FakePlantingPartner

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_partner():
    fake = FakePlantingPartner()
    fake.start()
    yield fake
    fake.stop()


def _orders(partner: PlantingPartner, n: int) -> list[PlantingOrder]:
    forest = BrandForestFactory(
        planting_partner=partner, price_per_tree=Decimal("0.60"), budget="10.00"
    )
    orders = []
    for _ in range(n):
        tree = TreeFactory(forest=forest, status="matured", matured_at=timezone.now())
        orders.append(planting_order_reserve(tree=tree, forest_id=forest.id).order)
    return orders


def test_backoff_doubles_from_five_minutes_to_at_most_six_hours():
    assert [submit_backoff(n) for n in (1, 2, 3)] == [
        timedelta(minutes=5),
        timedelta(minutes=10),
        timedelta(minutes=20),
    ]
    assert submit_backoff(10) == submit_backoff(10_000) == timedelta(hours=6)


def test_a_partner_outage_keeps_orders_retryable_and_each_tree_is_bought_once(fake_partner):
    partner = PlantingPartnerFactory(kind="http", api_base_url=fake_partner.url)
    first, second, third = _orders(partner, 3)
    start = timezone.now()

    # The partner answers 503: the batch stops at the first order, the others are untouched.
    fake_partner.mode = "503"
    result = planting_orders_submit(partner.id, now=start)
    assert (result.funded, result.failed, result.outage) == (0, 1, True)
    assert len(fake_partner.requests) == 1
    first.refresh_from_db()
    assert first.state == PlantingOrder.State.REQUESTED
    assert first.submit_attempts == 1
    assert first.next_attempt_at == start + timedelta(minutes=5)
    assert "503" in first.last_error
    assert PlantingOrder.objects.filter(submit_attempts=0).count() == 2

    # Down altogether (connection refused). Within its backoff the first order is not sent;
    # the next order is, fails, and stops the batch again.
    fake_partner.stop()
    result = planting_orders_submit(partner.id, now=start + timedelta(minutes=1))
    assert (result.funded, result.failed, result.outage) == (0, 1, True)
    second.refresh_from_db()
    assert second.submit_attempts == 1
    assert "unreachable" in second.last_error
    first.refresh_from_db()
    assert first.submit_attempts == 1  # still backing off: not sent

    # Still down when the first order's backoff is over: the wait doubles.
    result = planting_orders_submit(partner.id, now=start + timedelta(minutes=6))
    first.refresh_from_db()
    assert first.submit_attempts == 2
    assert first.next_attempt_at == start + timedelta(minutes=6) + timedelta(minutes=10)
    assert not ForestBudgetEntry.objects.filter(kind=ForestBudgetEntry.Kind.SPEND).exists()

    # Back, on the same address: the retry sweep sends the failed orders once they are due,
    # the nightly run the rest; every tree is bought once, under its own idempotency key.
    fake_partner.mode = "up"
    fake_partner.start()
    PlantingOrder.objects.filter(submit_attempts__gt=0).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert planting_orders_retry_task.delay().get() == 1
    assert set(
        PlantingOrder.objects.filter(state=PlantingOrder.State.FUNDED).values_list("id", flat=True)
    ) == {first.id, second.id}
    assert planting_orders_submit(partner.id).funded == 1
    assert not PlantingOrder.objects.exclude(state=PlantingOrder.State.FUNDED).exists()
    keys = {str(o.idempotency_key) for o in (first, second, third)}
    assert set(fake_partner.trees) == keys
    assert ForestBudgetEntry.objects.filter(kind=ForestBudgetEntry.Kind.SPEND).count() == 3
    assert Tree.objects.filter(orders__state=PlantingOrder.State.FUNDED).count() == 3
