"""OpenAPI decorations of the tree views (forest.api.trees)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema

from forest.api.serializers.trees import (
    SpeciesSerializer,
    TreeActionResultSerializer,
    TreeGrowInputSerializer,
    TreeImpactSerializer,
    TreeMoveInputSerializer,
    TreeSerializer,
    TreeStartInputSerializer,
)

# A user on hold (a fraud review) gets this on every movement (forest.services.holds).
_ON_HOLD = OpenApiResponse(description="Energy on hold during a fraud review (`energy_on_hold`)")

species_list = extend_schema(responses=SpeciesSerializer(many=True), summary="Species you can grow")

trees_list = extend_schema(responses=TreeSerializer(many=True), summary="Your trees, newest first")

tree_start = extend_schema(
    request=TreeStartInputSerializer,
    responses={
        201: TreeSerializer,
        400: OpenApiResponse(description="Unknown species or forest; species not offered"),
        403: _ON_HOLD,
        404: OpenApiResponse(description="No such team of yours"),
        409: OpenApiResponse(
            description="Already growing a tree; forest not open; team under two members"
        ),
    },
    summary="Start growing a tree (personal, or your team's with `team`)",
)

trees_impact = extend_schema(
    responses=TreeImpactSerializer, summary="Your trees grown, planted and surviving"
)

tree_grow = extend_schema(
    request=TreeGrowInputSerializer,
    responses={
        200: TreeActionResultSerializer,
        403: _ON_HOLD,
        404: OpenApiResponse(description="No such tree of yours"),
        409: OpenApiResponse(description="Not enough energy, or the tree is fully grown"),
    },
    summary="Grow your tree with collected energy",
)

tree_move = extend_schema(
    request=TreeMoveInputSerializer,
    responses={
        200: TreeActionResultSerializer,
        403: _ON_HOLD,
        404: OpenApiResponse(description="No such tree of yours"),
    },
    summary="Move your tree to another forest (a matured tree is funded there if it can be)",
)

tree_certificate_png = extend_schema(
    responses={
        (200, "image/png"): OpenApiResponse(description="The planting certificate"),
        404: OpenApiResponse(description="No such tree of yours, or not planted yet"),
    },
    summary="Your tree's planting certificate as a PNG",
)
