"""Energy in the API: the home screen (balance, drops, caps), collecting, the statement."""

from __future__ import annotations

from rest_framework import serializers

from forest.api.serializers.trees import TreeSerializer


class DropSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action_type = serializers.CharField()
    grams = serializers.IntegerField(source="remaining")
    state = serializers.SerializerMethodField()
    ripe_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()

    def get_state(self, drop) -> str:
        return drop.state_at(self.context.get("now"))


class CapSerializer(serializers.Serializer):
    action_type = serializers.CharField(
        help_text='An action type, or "total": the daily total cap over all of them'
    )
    cap_grams = serializers.IntegerField()
    left_grams = serializers.IntegerField()


class LevelSerializer(serializers.Serializer):
    level = serializers.IntegerField(help_text="0 until the first level's thresholds are met")
    name = serializers.CharField(help_text="The level's name in the request's language")
    energy_grams = serializers.IntegerField(
        help_text="Lifetime energy: in drops, collected and grown into trees"
    )
    trees = serializers.IntegerField(help_text="Grown (matured) trees you own")
    next_level = serializers.IntegerField(allow_null=True, help_text="null at the top level")
    energy_grams_to_next = serializers.IntegerField()
    trees_to_next = serializers.IntegerField()
    progress_percent = serializers.IntegerField(
        help_text="0-100 toward the next level: the lesser of energy and tree progress"
    )


class StreakSerializer(serializers.Serializer):
    current = serializers.IntegerField(
        help_text="Consecutive green days (weeks) up to today or yesterday (this or last week)"
    )
    best = serializers.IntegerField(help_text="The longest run ever")


class StreaksSerializer(serializers.Serializer):
    daily = StreakSerializer(help_text="Days with at least one green action")
    weekly = StreakSerializer(help_text="ISO weeks (Monday-Sunday) with at least one")


class ForestHomeSerializer(serializers.Serializer):
    balance_grams = serializers.IntegerField(help_text="Collected energy, spendable on a tree")
    uncollected_grams = serializers.IntegerField(help_text="Energy waiting in open drops")
    drops = DropSerializer(many=True)
    caps_today = CapSerializer(many=True)
    tree = TreeSerializer(
        allow_null=True,
        help_text="Your tree (as /api/v1/trees shows one): the growing one, else the latest, "
        "kept after maturity with its phase until you start the next; null before your first",
    )
    level = LevelSerializer()
    streaks = StreaksSerializer()


class CollectResultSerializer(serializers.Serializer):
    collected_drops = serializers.IntegerField()
    collected_grams = serializers.IntegerField()
    balance_grams = serializers.IntegerField()


class LedgerEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.CharField()
    kind = serializers.CharField()
    grams = serializers.IntegerField()
    memo = serializers.CharField()
    drop = serializers.IntegerField(source="drop_id", allow_null=True)
    created_at = serializers.DateTimeField()
