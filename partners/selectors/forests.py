"""Read queries for brand forests: which ones a user can choose for a tree."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, TypeAlias, TypedDict

from django.db.models import (
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from catalogue.models import BrandForest, Species
from partners.models import ForestBudgetEntry, PlantingOrder

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _Figures(TypedDict):
        trees_committed: int
        budget_available: Decimal
        capacity_left: int

    ForestWithFigures: TypeAlias = WithAnnotations[BrandForest, _Figures]


def forests_with_figures() -> QuerySet[ForestWithFigures]:
    """Forests annotated with trees committed and budget available (subqueries: no fan-out)."""
    committed = (
        PlantingOrder.objects.filter(forest=OuterRef("pk"))
        .exclude(state=PlantingOrder.State.CANCELLED)
        .values("forest")
        .annotate(n=Count("id"))
        .values("n")
    )
    budget = (
        ForestBudgetEntry.objects.filter(forest=OuterRef("pk"))
        .values("forest")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return BrandForest.objects.annotate(
        trees_committed=Coalesce(Subquery(committed, output_field=IntegerField()), Value(0)),
        budget_available=Coalesce(
            Subquery(budget, output_field=DecimalField(max_digits=14, decimal_places=2)),
            Value(Decimal("0")),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        ),
    ).annotate(capacity_left=F("capacity") - F("trees_committed"))


def forests_open_list() -> list[BrandForest]:
    """Open forests with capacity left, with sponsor and the active species they offer."""
    return list(
        forests_with_figures()
        .filter(status=BrandForest.Status.OPEN)
        .filter(Q(capacity_left__gt=0))
        .select_related("sponsor")
        .prefetch_related(
            Prefetch(
                "species",
                queryset=Species.objects.filter(is_active=True).order_by("energy_cost_grams"),
            )
        )
        .order_by("name", "id")
    )
