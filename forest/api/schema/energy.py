"""OpenAPI decorations of the energy views (forest.api.energy)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from forest.api.serializers.energy import (
    CollectResultSerializer,
    ForestHomeSerializer,
)

home = extend_schema(
    responses=ForestHomeSerializer,
    summary="The home screen: balance, drops, today's caps, current tree, level, streaks",
    examples=[
        OpenApiExample(
            "Home",
            value={
                "balance_grams": 4237,
                "uncollected_grams": 52,
                "drops": [
                    {
                        "id": 17,
                        "action_type": "public_transport",
                        "grams": 52,
                        "state": "ripe",
                        "ripe_at": "2026-11-26T06:00:00Z",
                        "expires_at": "2026-11-29T06:00:00Z",
                    }
                ],
                "caps_today": [{"action_type": "rail", "cap_grams": 6750, "left_grams": 2565}],
                "tree": None,
                "level": {
                    "level": 2,
                    "name": "Sprout",
                    "energy_grams": 4289,
                    "trees": 0,
                    "next_level": 3,
                    "energy_grams_to_next": 711,
                    "trees_to_next": 1,
                    "progress_percent": 0,
                },
                "streaks": {
                    "daily": {"current": 3, "best": 12},
                    "weekly": {"current": 5, "best": 9},
                },
            },
            response_only=True,
        )
    ],
)

drop_collect = extend_schema(
    request=None,
    responses={
        200: CollectResultSerializer,
        403: OpenApiResponse(description="Collecting is paused during a fraud review"),
        404: OpenApiResponse(description="No such drop of yours"),
        409: OpenApiResponse(description="Not ripe yet, already collected, or expired"),
    },
    summary="Collect one ripe drop",
)

drops_collect_all = extend_schema(
    request=None,
    responses={
        200: CollectResultSerializer,
        403: OpenApiResponse(description="Collecting is paused during a fraud review"),
    },
    summary="Collect every ripe drop",
)

ledger = extend_schema(summary="Your energy statement")
