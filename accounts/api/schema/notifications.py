"""OpenAPI decorations of accounts/api/notifications.py, applied there as ``@schema.<NAME>``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from accounts.api.serializers.notifications import (
    NotificationPreferencesSerializer,
    NotificationSerializer,
)

PREFERENCES_EXAMPLE = {
    "channels": {"inbox": True, "email": True, "push": True},
    "topics": {"consent": True, "energy": True, "trees": True, "teams": True, "sponsors": False},
    "quiet_hours": {
        "enabled": True,
        "start": "22:00",
        "end": "08:00",
        "time_zone": "Europe/Amsterdam",
    },
}


NOTIFICATION_LIST_GET = extend_schema(
    responses=NotificationSerializer(many=True), summary="Your inbox"
)

NOTIFICATION_PREFERENCES_GET = extend_schema(
    responses=NotificationPreferencesSerializer,
    summary="How and when Canopy may reach you",
    examples=[OpenApiExample("Defaults", value=PREFERENCES_EXAMPLE, response_only=True)],
)

NOTIFICATION_PREFERENCES_PATCH = extend_schema(
    request=NotificationPreferencesSerializer,
    responses={
        200: NotificationPreferencesSerializer,
        400: OpenApiResponse(description="Invalid preferences, with a message per field."),
    },
    summary="Change notification preferences",
    description=(
        "Send only what changes. The inbox and consent reminders cannot be switched off "
        "(consent reminders are legally required and also go by e-mail). Sponsor news is "
        "marketing: off until you opt in. Quiet hours are local times in your profile's "
        "time zone and may span midnight (22:00 to 08:00); e-mails and pushes wait until "
        "they end."
    ),
    examples=[
        OpenApiExample(
            "Opt in to sponsor news, quiet from 23:00 to 07:30",
            value={
                "topics": {"sponsors": True},
                "quiet_hours": {"start": "23:00", "end": "07:30"},
            },
            request_only=True,
        ),
        OpenApiExample(
            "No e-mail except what the law requires",
            value={"channels": {"email": False}},
            request_only=True,
        ),
        OpenApiExample(
            "Consent reminders cannot be switched off",
            value={
                "topics": {
                    "consent": ["Consent reminders are required by law and cannot be switched off."]
                }
            },
            response_only=True,
            status_codes=["400"],
        ),
    ],
)
