"""The brand forests a user can choose for a tree: open, with capacity and budget figures.

Served by partners because "open with room left" is counted from planting orders; the species
are shaped by the forest app's serializer.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from forest.api.serializers.trees import SpeciesSerializer
from partners.forest_selectors import forests_open_list


class ForestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    story = serializers.CharField()
    sponsor = serializers.CharField(source="sponsor.name")
    price_per_tree = serializers.DecimalField(max_digits=8, decimal_places=2)
    currency = serializers.CharField()
    capacity_left = serializers.IntegerField(help_text="Trees this forest can still take")
    funded_trees_left = serializers.SerializerMethodField(
        help_text="Trees its current budget pays for"
    )
    area = serializers.JSONField()
    species = SpeciesSerializer(many=True)

    def get_funded_trees_left(self, forest) -> int:
        available = Decimal(forest.budget_available).quantize(Decimal("0.01"))  # SQLite: float
        return max(0, min(forest.capacity_left, int(available // forest.price_per_tree)))


class ForestListApi(APIView):
    @extend_schema(
        responses=ForestSerializer(many=True),
        summary="Open brand forests with room left, and the species they plant",
    )
    def get(self, request) -> Response:
        forests = forests_open_list()
        locale = (get_language() or "en")[:2]
        return Response(ForestSerializer(forests, many=True, context={"locale": locale}).data)
