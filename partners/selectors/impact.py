"""A forest's monthly impact report: what its trees did in one month and where they stand at
its end. Counted from dated facts (order events, planting and verification times, survival
checks, budget entries), so a past month's report never changes: four queries, read from the
read replica when one is configured (``core.replica``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q

from core.replica import reporting_database
from partners.models import PlantingOrder, PlantingOrderEvent, SurvivalCheck
from partners.selectors.statements import Month, forest_balance_before

if TYPE_CHECKING:
    from catalogue.models import BrandForest


@dataclass(frozen=True)
class ImpactMonth:
    forest: BrandForest
    month: Month
    funded: int  # in the month
    planted: int
    verified: int
    checks_alive: int
    checks_dead: int
    funded_total: int  # by the month's end
    planted_total: int
    surviving_total: int  # planted by then, minus those found dead by then
    participants_total: int  # people with a funded tree in the forest by then
    budget_opening: Decimal
    budget_closing: Decimal

    def rows(self) -> list[tuple[str, int | Decimal]]:
        """(key, value) pairs in report order, for the CSV and the tests."""
        return [
            ("trees_funded_in_month", self.funded),
            ("trees_planted_in_month", self.planted),
            ("trees_verified_in_month", self.verified),
            ("survival_checks_alive_in_month", self.checks_alive),
            ("survival_checks_dead_in_month", self.checks_dead),
            ("trees_funded_total", self.funded_total),
            ("trees_planted_total", self.planted_total),
            ("trees_surviving_total", self.surviving_total),
            ("participants_total", self.participants_total),
            ("budget_opening", self.budget_opening),
            ("budget_closing", self.budget_closing),
        ]


def forest_impact_month(forest: BrandForest, month: Month) -> ImpactMonth:
    start, end = month.start, month.end
    db = reporting_database()
    funded_event = PlantingOrderEvent.objects.filter(order=OuterRef("pk"), to_state="funded")
    dead_by_end = SurvivalCheck.objects.filter(
        order=OuterRef("pk"), alive=False, checked_on__lt=month.next.first_day
    )
    orders = (
        PlantingOrder.objects.using(db)
        .filter(forest=forest)
        .annotate(
            funded_before_end=Exists(funded_event.filter(created_at__lt=end)),
            funded_in_month=Exists(funded_event.filter(created_at__gte=start, created_at__lt=end)),
            dead=Exists(dead_by_end),
        )
        .aggregate(
            funded=Count("id", filter=Q(funded_in_month=True)),
            planted=Count("id", filter=Q(planted_at__gte=start, planted_at__lt=end)),
            verified=Count("id", filter=Q(verified_at__gte=start, verified_at__lt=end)),
            funded_total=Count("id", filter=Q(funded_before_end=True)),
            planted_total=Count("id", filter=Q(planted_at__lt=end)),
            surviving_total=Count("id", filter=Q(planted_at__lt=end, dead=False)),
            participants_total=Count(
                "tree__owner", filter=Q(funded_before_end=True), distinct=True
            ),
        )
    )
    checks = (
        SurvivalCheck.objects.using(db)
        .filter(
            order__forest=forest,
            checked_on__gte=month.first_day,
            checked_on__lt=month.next.first_day,
        )
        .aggregate(
            alive_n=Count("id", filter=Q(alive=True)),
            dead_n=Count("id", filter=Q(alive=False)),
        )
    )
    return ImpactMonth(
        forest=forest,
        month=month,
        funded=orders["funded"] or 0,
        planted=orders["planted"] or 0,
        verified=orders["verified"] or 0,
        checks_alive=checks["alive_n"] or 0,
        checks_dead=checks["dead_n"] or 0,
        funded_total=orders["funded_total"] or 0,
        planted_total=orders["planted_total"] or 0,
        surviving_total=orders["surviving_total"] or 0,
        participants_total=orders["participants_total"] or 0,
        budget_opening=forest_balance_before(forest, start, using=db),
        budget_closing=forest_balance_before(forest, end, using=db),
    )
