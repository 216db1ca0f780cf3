"""Serializers of the push devices."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import Profile, PushDevice


class PushDeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = PushDevice
        fields = ["id", "token", "token_type", "platform", "app_version", "locale", "created_at"]
        read_only_fields = fields


class PushDeviceInputSerializer(serializers.Serializer):
    token = serializers.CharField(
        max_length=512,
        trim_whitespace=True,
        help_text="The FCM registration token (iOS too: the token the Firebase SDK gives).",
    )
    token_type = serializers.ChoiceField(
        choices=PushDevice.TokenType.choices,
        default=PushDevice.TokenType.FCM,
        help_text="fcm (delivered) or apns (a raw APNs token: stored, not delivered yet).",
    )
    platform = serializers.ChoiceField(choices=PushDevice.Platform.choices)
    app_version = serializers.CharField(max_length=32, required=False, allow_blank=True)
    locale = serializers.ChoiceField(
        choices=Profile.Locale.choices,
        required=False,
        allow_blank=True,
        help_text="The app's language; messages follow your profile's language.",
    )
