"""OpenAPI decorations of the energy views (forest.api.energy)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from forest.api.serializers.energy import (
    CollectResultSerializer,
    ForestHomeSerializer,
)


def _home_tree(phase: str, **changes) -> dict:
    """A tree as the home screen shows it (forest.selectors.trees.tree_summary)."""
    grown = phase != "growing"
    tree = {
        "id": 42,
        "status": "growing",
        "species": {"id": 1, "code": "oak", "name": "Oak", "latin_name": "Quercus robur"},
        "forest": {"id": 3, "name": "Veluwe Oak Forest", "sponsor": "Groene Winkel"},
        "energy_grams": 9_000 if grown else 4_200,
        "cost_grams": 9_000,
        "needed_grams": 0 if grown else 4_800,
        "progress_percent": 100 if grown else 46,
        "stage": 6 if grown else 3,
        "stage_name": "Full-grown tree" if grown else "Sapling",
        "phase": phase,
        "artwork_key": "oak/stage-6" if grown else "oak/stage-3",
        "funded": False,
        "order_state": None,
        "matured_at": "2026-11-28T19:02:11Z" if grown else None,
        "certificate_number": None,
        "alive": None,
        "team": None,
        "contributions": [],
    }
    if grown:
        tree["status"] = "matured"
    tree.update(changes)
    return tree


_HOME = {
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
}

#: The tree's states on the home screen (issue 14): growing, then kept after maturity with its
#: phase until the user starts the next one. tests/forest/test_home_schema.py holds the list.
HOME_TREE_STATES = {
    "Growing": ("A tree growing: stage, artwork and progress", _home_tree("growing")),
    "Matured": (
        "Grown; no forest could fund it yet (phase waiting_for_forest), it waits for one",
        _home_tree("waiting_for_forest"),
    ),
    "Awaiting planting": (
        "Grown and funded: the planting partner has the order (phase to_be_planted)",
        _home_tree("to_be_planted", funded=True, order_state="funded"),
    ),
    "Planted": (
        "In the ground: the planting partner reported it, the certificate is being drawn",
        _home_tree(
            "planted",
            status="planted",
            funded=True,
            order_state="planted",
            artwork_key="oak/planted",
        ),
    ),
    "Certificate ready": (
        "Planted and verified: certificate_number opens /certificates/<number> and "
        "/api/v1/trees/{id}/certificate.png",
        _home_tree(
            "planted",
            status="planted",
            funded=True,
            order_state="verified",
            artwork_key="oak/planted",
            certificate_number="CNP-2026-000042",
        ),
    ),
}

home = extend_schema(
    responses=ForestHomeSerializer,
    summary="The home screen: balance, drops, today's caps, current tree, level, streaks",
    examples=[
        OpenApiExample("New user (no tree yet)", value=_HOME, response_only=True),
        *(
            OpenApiExample(
                name,
                summary=name,
                description=description,
                value={**_HOME, "tree": tree},
                response_only=True,
            )
            for name, (description, tree) in HOME_TREE_STATES.items()
        ),
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
