"""Badges and challenges in the API."""

from __future__ import annotations

from rest_framework import serializers


class BadgeProgressSerializer(serializers.Serializer):
    current = serializers.IntegerField()
    target = serializers.IntegerField()


class BadgeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    earned = serializers.BooleanField()
    earned_at = serializers.DateTimeField(allow_null=True)
    progress = BadgeProgressSerializer(
        allow_null=True, help_text="Towards the badge, for counting badges; null for the others"
    )


class ChallengeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField(help_text="In the language of the request")
    text = serializers.CharField()
    action_types = serializers.ListField(child=serializers.CharField())
    target_kind = serializers.ChoiceField(choices=["count", "grams"])
    target = serializers.IntegerField()
    progress = serializers.IntegerField(
        help_text="Green actions (or grams) booked in the window so far, up to the target"
    )
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    bonus_grams = serializers.IntegerField(help_text="Energy credited once on completion")
    sponsor = serializers.CharField(allow_null=True, read_only=True)
    joined = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)
