"""The game's pace as the real ledger shows it: what active users earn and how soon they grow
a tree (the operators' ``economy_report``; docs/economy.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from django.db.models import Q, Sum
from django.utils import timezone

from catalogue.models import BrandForest, Species
from forest.models import EnergyLedgerEntry, Tree
from forest.models.energy import EntryKind


def offered_species() -> list[Species]:
    """The species users can choose: active ones an open brand forest plants, cheapest first
    (every active species when no forest is open yet, as on a fresh database)."""
    active = Species.objects.filter(is_active=True).order_by("energy_cost_grams", "code")
    offered = active.filter(forests__status=BrandForest.Status.OPEN).distinct()
    return list(offered) or list(active)


@dataclass(frozen=True)
class EnergyPace:
    days: int
    active_users: int  # users with energy earned in the period
    p10: float  # grams per active user per day, percentiles over active users
    p50: float
    p90: float
    days_to_tree: dict[str, int | None]  # species code -> days at the median pace
    trees_per_1000_per_month: float  # trees matured, per 1,000 active users per 30 days


def energy_pace(*, days: int = 30, now: datetime | None = None) -> EnergyPace:
    """Three queries: energy per user in the period (earned less claw-backs), trees matured,
    the offered species."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    rows = (
        EnergyLedgerEntry.objects.filter(
            created_at__gte=since,
            created_at__lt=now,
            kind__in=[EntryKind.EARN, EntryKind.REVERSAL],
        )
        .values("user_id")
        .annotate(
            earned=Sum("grams", filter=Q(kind=EntryKind.EARN)),
            net=Sum("grams"),
        )
    )
    per_day = sorted(max(0, row["net"]) / days for row in rows if (row["earned"] or 0) > 0)
    median = percentile(per_day, 0.5)
    matured = Tree.objects.filter(matured_at__gte=since, matured_at__lt=now).count()
    return EnergyPace(
        days=days,
        active_users=len(per_day),
        p10=round(percentile(per_day, 0.1), 1),
        p50=round(median, 1),
        p90=round(percentile(per_day, 0.9), 1),
        days_to_tree={
            sp.code: ceil(sp.energy_cost_grams / median) if median > 0 else None
            for sp in offered_species()
        },
        trees_per_1000_per_month=(
            round(matured * 1000 / len(per_day) * 30 / days, 1) if per_day else 0.0
        ),
    )


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between the closest ranks of sorted ``values`` (0 if empty)."""
    if not values:
        return 0.0
    position = (len(values) - 1) * p
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)
