"""OpenAPI decorations of accounts/api/devices.py, applied there as ``@schema.<NAME>``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from accounts.api.serializers.devices import PushDeviceInputSerializer, PushDeviceSerializer

DEVICE_EXAMPLE = {
    "id": 12,
    "token": "fGk3...Q9:APA91bH...",
    "token_type": "fcm",
    "platform": "ios",
    "app_version": "2.4.0",
    "locale": "nl",
    "created_at": "2026-12-05T08:00:00Z",
}

DEVICE_LIST_GET = extend_schema(
    responses=PushDeviceSerializer(many=True),
    summary="Your devices that receive push notifications",
    examples=[OpenApiExample("One phone", value=[DEVICE_EXAMPLE], response_only=True)],
)

DEVICE_LIST_POST = extend_schema(
    request=PushDeviceInputSerializer,
    responses={
        201: PushDeviceSerializer,
        200: OpenApiResponse(PushDeviceSerializer, description="The token was registered already."),
        400: OpenApiResponse(description="Missing token or platform, or an unknown value."),
        409: OpenApiResponse(description="You have the most devices there can be."),
    },
    summary="Register this device for push notifications",
    description=(
        "Send at every app start and whenever the token changes: registering a token again "
        "updates it (200) and never makes a second row; a token another account registered "
        "moves to you (one phone, one recipient). At most `CANOPY_PUSH_MAX_DEVICES` (5) per "
        "account: remove one before adding another (409). Which messages arrive, and when, "
        "is set in /api/v1/me/notification-preferences."
    ),
    examples=[
        OpenApiExample(
            "An iPhone with the Firebase SDK",
            value={
                "token": "fGk3...Q9:APA91bH...",
                "platform": "ios",
                "app_version": "2.4.0",
                "locale": "nl",
            },
            request_only=True,
        ),
        OpenApiExample(
            "Registered", value=DEVICE_EXAMPLE, response_only=True, status_codes=["201"]
        ),
        OpenApiExample(
            "Too many devices",
            value={
                "detail": "You have 5 devices registered for notifications, the most there can "
                "be; remove one first.",
                "code": "device_limit",
            },
            response_only=True,
            status_codes=["409"],
        ),
    ],
)

DEVICE_DELETE = extend_schema(
    responses={
        204: OpenApiResponse(description="Removed: this device gets no more pushes."),
        404: OpenApiResponse(description="No such device of yours."),
    },
    summary="Remove a device (on log-out)",
)
