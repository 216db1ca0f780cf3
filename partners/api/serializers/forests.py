"""The brand forests a user can choose for a tree, as the app shows them."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from forest.api.serializers.trees import SpeciesSerializer


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
