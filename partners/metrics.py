"""Planting orders for Prometheus (docs/observability.md): how many orders are in each state,
and how long the oldest order of each state has waited there, read at scrape time in one
grouped query. ``canopy_planting_order_oldest_seconds{state="requested"}`` growing is the
"planting orders stuck" alert."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from partners.models import PlantingOrder


def orders_by_state():
    """Each state's count and least recent change: an index-only scan of
    ``partners_order_state_age``, whatever the number of orders."""
    return (
        PlantingOrder.objects.order_by()
        .values("state")
        .annotate(n=Count("state"), oldest=Min("updated_at"))
    )


class PlantingOrdersCollector:
    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        rows = {row["state"]: row for row in orders_by_state()}
        count = GaugeMetricFamily(
            "canopy_planting_orders", "Planting orders by state.", labels=["state"]
        )
        oldest = GaugeMetricFamily(
            "canopy_planting_order_oldest_seconds",
            "Seconds since the least recently changed order of each state last changed.",
            labels=["state"],
        )
        for state in PlantingOrder.State.values:
            row = rows.get(state)
            count.add_metric([state], row["n"] if row else 0)
            age = (now - row["oldest"]).total_seconds() if row and row["oldest"] else 0.0
            oldest.add_metric([state], age)
        yield count
        yield oldest
