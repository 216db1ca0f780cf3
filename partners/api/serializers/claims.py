"""Request and response bodies of the consumers' claim code endpoint."""

from __future__ import annotations

from rest_framework import serializers


class ClaimInputSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=80,
        trim_whitespace=True,
        help_text="The code as printed, e.g. CNPY-7KQ4-M2XH-9TRW-5N3D; spaces, dashes and "
        "case do not matter.",
    )


class ClaimResultSerializer(serializers.Serializer):
    drop_id = serializers.IntegerField()
    grams = serializers.IntegerField()
    ripe_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    sponsor = serializers.CharField()
    campaign = serializers.CharField()
