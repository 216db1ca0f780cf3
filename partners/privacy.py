"""The partners app's privacy hook (protocol: ``privacy.hooks``): the planting orders of the
user's trees. Nothing to erase: an order names a tree, and the tree stays, anonymous."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from accounts.privacy import export_rows
from partners.models import ClaimCode, PlantingOrder

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
    # Codes the user redeemed: when, the sponsor's batch and the grams (never the code's hash).
    yield (
        "claim_codes",
        export_rows(
            ClaimCode.objects.filter(redeemed_by_id=user.pk).order_by("id"),
            "redeemed_at",
            "drop_id",
            batch_name="batch__name",
            grams="batch__grams_per_code",
        ),
    )
