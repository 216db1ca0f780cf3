"""Energy in the API: the home screen (balance, drops, caps), collecting, the statement."""

from __future__ import annotations

from rest_framework import serializers


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


class ForestHomeSerializer(serializers.Serializer):
    balance_grams = serializers.IntegerField(help_text="Collected energy, spendable on a tree")
    uncollected_grams = serializers.IntegerField(help_text="Energy waiting in open drops")
    drops = DropSerializer(many=True)
    caps_today = CapSerializer(many=True)
    tree = serializers.DictField(
        allow_null=True,
        help_text="Your tree (as /api/v1/trees shows one): the growing one, else the latest, "
        "kept after maturity with its phase until you start the next; null before your first",
    )


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
