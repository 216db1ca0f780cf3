"""Partners' side of ``forest.planting``: the game's questions answered from planting orders.

Registered by ``PartnersConfig.ready()``; each method is the query forest used to run itself,
so query counts are unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Subquery
from django.db.models.expressions import BaseExpression

from forest.planting import PlantingEvidence, PlantingRecord, Reservation, SurvivalRecord
from partners.models import PlantingEvidence as EvidencePhoto
from partners.models import PlantingOrder, SurvivalCheck
from partners.selectors.forest_map import evidence_jpeg
from partners.services.planting_orders import planting_order_reserve

if TYPE_CHECKING:
    from forest.models import Tree


class PartnersPlanting:
    """Implements ``forest.planting.PlantingPort``."""

    def reserve(self, *, tree: Tree, forest_id: int) -> Reservation:
        reserved = planting_order_reserve(tree=tree, forest_id=forest_id)
        order_id = reserved.order.pk if reserved.order is not None else None
        return Reservation(funded=reserved.funded, reason=reserved.reason, order_id=order_id)

    def tree_has_active_order(self, tree_id: int) -> bool:
        return (
            PlantingOrder.objects.filter(tree_id=tree_id)
            .exclude(state=PlantingOrder.State.CANCELLED)
            .exists()
        )

    def tree_annotations(self) -> dict[str, BaseExpression]:
        active_orders = PlantingOrder.objects.filter(tree=OuterRef("pk")).exclude(
            state=PlantingOrder.State.CANCELLED
        )
        latest_check = (
            SurvivalCheck.objects.filter(order__tree=OuterRef("pk"))
            .exclude(order__state=PlantingOrder.State.CANCELLED)
            .order_by("-year")
        )
        return {
            "order_state": Subquery(active_orders.values("state")[:1]),
            "alive": Subquery(latest_check.values("alive")[:1]),
        }

    def tree_evidence(self, tree_id: int) -> PlantingEvidence | None:
        order = (
            PlantingOrder.objects.filter(tree_id=tree_id)
            .exclude(state=PlantingOrder.State.CANCELLED)
            .first()
        )
        if order is None:
            return None
        return PlantingEvidence(
            latitude=order.planted_latitude,
            longitude=order.planted_longitude,
            planted_at=order.planted_at,
            verified_at=order.verified_at,
        )

    def tree_record(self, tree_id: int) -> PlantingRecord | None:
        photos = EvidencePhoto.objects.filter(order=OuterRef("pk"))
        order = (
            PlantingOrder.objects.filter(tree_id=tree_id)
            .exclude(state=PlantingOrder.State.CANCELLED)
            .annotate(has_photo=Exists(photos))
            .values("id", "state", "has_photo")
            .first()
        )
        if order is None:
            return None
        checks = SurvivalCheck.objects.filter(order_id=order["id"]).order_by("year")
        return PlantingRecord(
            state=order["state"],
            has_photo=order["has_photo"],
            survival_checks=tuple(
                SurvivalRecord(year=c.year, checked_on=c.checked_on, alive=c.alive) for c in checks
            ),
        )

    def tree_photo_jpeg(self, tree_id: int, *, large: bool = False) -> bytes | None:
        evidence = (
            EvidencePhoto.objects.filter(order__tree_id=tree_id)
            .exclude(order__state=PlantingOrder.State.CANCELLED)
            .order_by("created_at", "id")
            .first()
        )
        if evidence is None or not evidence.photo:
            return None
        return evidence_jpeg(evidence, "photo" if large else "thumb")
