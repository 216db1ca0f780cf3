"""Shapes of the friends' forest, steal, watering and leaderboard endpoints."""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from forest.services.social import WATER_GRAMS

SOCIAL_ERROR = inline_serializer(
    "SocialError", {"detail": serializers.CharField(), "code": serializers.CharField()}
)


class FriendTreeSerializer(serializers.Serializer):
    species = serializers.CharField()
    stage = serializers.IntegerField()
    progress_percent = serializers.IntegerField()
    status = serializers.CharField()


class FriendDropSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    grams = serializers.IntegerField()
    remaining_grams = serializers.IntegerField()
    stealable_grams = serializers.IntegerField(help_text="What you could take now.")
    stealable_from = serializers.DateTimeField(help_text="End of the owner's grace period.")
    taken_by_you = serializers.BooleanField()
    expires_at = serializers.DateTimeField()


class FriendForestSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    display_name = serializers.CharField()
    steal_protected = serializers.BooleanField()
    tree = FriendTreeSerializer(allow_null=True)
    drops = FriendDropSerializer(many=True)


class StealResultSerializer(serializers.Serializer):
    drop_id = serializers.IntegerField()
    stolen_grams = serializers.IntegerField()
    balance_grams = serializers.IntegerField()


class WaterInputSerializer(serializers.Serializer):
    grams = serializers.ChoiceField(choices=[(g, f"{g} g") for g in WATER_GRAMS])


class WaterResultSerializer(serializers.Serializer):
    watered_grams = serializers.IntegerField()
    balance_grams = serializers.IntegerField()
    tree_matured = serializers.BooleanField()


class LeaderboardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    user_id = serializers.IntegerField()
    display_name = serializers.CharField()
    you = serializers.BooleanField()
    earned_grams = serializers.IntegerField()
    trees_planted = serializers.IntegerField()


class SocialActivitySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["steal", "water"])
    direction = serializers.ChoiceField(
        choices=["stolen_from_you", "you_stole", "watered_you", "you_watered"]
    )
    friend_id = serializers.IntegerField()
    friend_name = serializers.CharField()
    grams = serializers.IntegerField()
    drop_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
