"""Serializers of the inbox and the notification preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

if TYPE_CHECKING:
    from accounts.models import Profile


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class _ChannelsSerializer(serializers.Serializer):
    inbox = serializers.BooleanField(
        required=False, help_text="Always on: every message lands in the in-app inbox."
    )
    email = serializers.BooleanField(required=False)
    push = serializers.BooleanField(
        required=False,
        help_text="Pushes to the devices registered at /api/v1/me/devices (docs/push.md).",
    )

    def validate_inbox(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(gettext("The in-app inbox cannot be switched off."))
        return value


class _TopicsSerializer(serializers.Serializer):
    consent = serializers.BooleanField(
        required=False,
        help_text="Consent reminders are required by law: always on, by e-mail too.",
    )
    energy = serializers.BooleanField(required=False, help_text="Ripe drops, steals, friends.")
    trees = serializers.BooleanField(required=False, help_text="Your tree, planting, welcome.")
    teams = serializers.BooleanField(required=False)
    sponsors = serializers.BooleanField(
        required=False, help_text="Sponsor news and campaigns (marketing): off until you opt in."
    )

    def validate_consent(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(
                gettext("Consent reminders are required by law and cannot be switched off.")
            )
        return value


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
        "example": "22:00",
    }
)
class HourMinuteField(serializers.TimeField):
    """A local time of day as ``HH:MM`` (``HH:MM:SS`` accepted): not an RFC 3339 ``time``,
    which would need seconds and an offset (issue 16, finding 10)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], **kwargs)


class _QuietHoursSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(required=False)
    start = HourMinuteField(required=False, help_text="Local time, HH:MM")
    end = HourMinuteField(required=False, help_text="Local time, HH:MM")
    time_zone = serializers.CharField(
        read_only=True, help_text="Your profile's time zone (PATCH /api/v1/me to change it)."
    )


class NotificationPreferencesSerializer(serializers.Serializer):
    """How and when Canopy may reach the user. PATCH any part; the rest stays."""

    channels = _ChannelsSerializer(required=False)
    topics = _TopicsSerializer(required=False)
    quiet_hours = _QuietHoursSerializer(required=False)

    FIELD_MAP = {
        ("channels", "email"): "email_enabled",
        ("channels", "push"): "push_enabled",
        ("topics", "energy"): "notify_energy",
        ("topics", "trees"): "notify_trees",
        ("topics", "teams"): "notify_teams",
        ("topics", "sponsors"): "notify_sponsors",
        ("quiet_hours", "enabled"): "quiet_hours_enabled",
        ("quiet_hours", "start"): "quiet_hours_start",
        ("quiet_hours", "end"): "quiet_hours_end",
    }

    def __init__(self, *args, profile: Profile | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile = profile

    def validate(self, attrs: dict) -> dict:
        fields = {
            name: attrs[group][key]
            for (group, key), name in self.FIELD_MAP.items()
            if key in attrs.get(group, {})
        }
        enabled = fields.get(
            "quiet_hours_enabled", getattr(self.profile, "quiet_hours_enabled", True)
        )
        start = fields.get("quiet_hours_start", getattr(self.profile, "quiet_hours_start", None))
        end = fields.get("quiet_hours_end", getattr(self.profile, "quiet_hours_end", None))
        if enabled and start is not None and start == end:
            raise serializers.ValidationError(
                {"quiet_hours": [gettext("Quiet hours must start and end at different times.")]}
            )
        return {"profile_fields": fields}

    @staticmethod
    def represent(profile: Profile) -> dict:
        return {
            "channels": {
                "inbox": True,
                "email": profile.email_enabled,
                "push": profile.push_enabled,
            },
            "topics": {
                "consent": True,
                "energy": profile.notify_energy,
                "trees": profile.notify_trees,
                "teams": profile.notify_teams,
                "sponsors": profile.notify_sponsors,
            },
            "quiet_hours": {
                "enabled": profile.quiet_hours_enabled,
                "start": profile.quiet_hours_start.strftime("%H:%M"),
                "end": profile.quiet_hours_end.strftime("%H:%M"),
                "time_zone": profile.time_zone,
            },
        }
