"""The partners app's privacy hook (protocol: ``privacy.hooks``): the planting orders of the
user's trees. Nothing to erase: an order names a tree, and the tree stays, anonymous."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from accounts.privacy import export_rows
from partners.models import PlantingOrder

if TYPE_CHECKING:
    from accounts.models import User


def export_sections(*, user: User, **context) -> Iterator[tuple[str, object]]:
    yield (
        "planting_orders",
        export_rows(
            PlantingOrder.objects.filter(tree__owner_id=user.pk).order_by("id"),
            "id",
            "tree_id",
            "state",
            "planted_at",
            "planted_latitude",
            "planted_longitude",
            "verified_at",
            "created_at",
            forest_name="forest__name",
        ),
    )
