"""How long each brand forest's budget lasts at the current pace: sponsors budget with it.

The pace is the money the forest committed to trees (reservations, less releases, plus
spends: each tree counts once) over the last ``RUNWAY_DAYS`` days; the runway is the budget
available divided by that, counted from today. No spending in the period: no date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalogue.models import BrandForest, Sponsor
from partners.models import ForestBudgetEntry
from partners.selectors.forests import forests_with_figures

RUNWAY_DAYS = 30
_MONEY: DecimalField = DecimalField(max_digits=14, decimal_places=2)
_COMMITTING = [
    ForestBudgetEntry.Kind.RESERVE,
    ForestBudgetEntry.Kind.RELEASE,
    ForestBudgetEntry.Kind.SPEND,
]


def with_recent_spend(forests: QuerySet, *, days: int = RUNWAY_DAYS) -> QuerySet:
    """Annotate ``recent_spend``: money committed to trees in the last ``days`` days (a
    subquery, so still one query and no fan-out)."""
    since = timezone.now() - timedelta(days=days)
    committed = (
        ForestBudgetEntry.objects.filter(
            forest=OuterRef("pk"), kind__in=_COMMITTING, created_at__gte=since
        )
        .values("forest")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return forests.annotate(
        recent_spend=-Coalesce(
            Subquery(committed, output_field=_MONEY), Value(Decimal("0")), output_field=_MONEY
        )
    )


@dataclass(frozen=True)
class ForestRunway:
    forest_id: int
    name: str
    sponsor_id: int
    currency: str
    budget_available: Decimal
    spend_per_day: Decimal  # over the period; 0: nothing committed
    runs_out_on: date | None  # None: no spending in the period, the budget is not moving

    @property
    def days_left(self) -> int | None:
        return None if self.runs_out_on is None else (self.runs_out_on - timezone.localdate()).days


def runway_of(forest: Any, *, days: int = RUNWAY_DAYS, today: date | None = None) -> ForestRunway:
    """``forest`` annotated by ``forests_with_figures`` and ``with_recent_spend``."""
    today = today or timezone.localdate()
    spent = max(Decimal("0"), forest.recent_spend)
    per_day = spent / days
    budget = forest.budget_available
    if budget <= 0:
        runs_out_on: date | None = today
    elif spent <= 0:
        runs_out_on = None
    else:  # whole days the budget lasts: budget / (spent / days), without rounding twice
        runs_out_on = today + timedelta(days=int(budget * days / spent))
    return ForestRunway(
        forest_id=forest.pk,
        name=forest.name,
        sponsor_id=forest.sponsor_id,
        currency=forest.currency,
        budget_available=Decimal(budget).quantize(Decimal("0.01")),
        spend_per_day=per_day.quantize(Decimal("0.01")),
        runs_out_on=runs_out_on,
    )


def forest_runways(
    *, days: int = RUNWAY_DAYS, sponsor: Sponsor | None = None, today: date | None = None
) -> list[ForestRunway]:
    """Every brand forest's runway (one sponsor's only, if given): one query."""
    forests = with_recent_spend(forests_with_figures(), days=days)
    if sponsor is not None:
        forests = forests.filter(sponsor=sponsor)
    return [
        runway_of(forest, days=days, today=today)
        for forest in forests.exclude(status=BrandForest.Status.CLOSED).order_by("name", "id")
    ]
