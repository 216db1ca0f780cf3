"""The password that confirms an account's deletion."""

from __future__ import annotations

from rest_framework import serializers

from accounts.api.serializers.users import MeSerializer
from forest.api.serializers.energy import LevelSerializer, StreaksSerializer


class AccountDeleteInputSerializer(serializers.Serializer):
    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        max_length=4096,
        style={"input_type": "password"},
        help_text="Your current password, to confirm that you are deleting your account.",
    )


class MeWithLevelSerializer(MeSerializer):
    """The profile plus the level and green streaks (read-only; the forest app computes them)."""

    level = LevelSerializer(read_only=True)
    streaks = StreaksSerializer(read_only=True)
