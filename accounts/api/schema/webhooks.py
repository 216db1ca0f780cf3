"""OpenAPI decorations of accounts/api/webhooks.py, applied there as ``@schema.<NAME>``."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers

FEED_WEBHOOK_POST = extend_schema(
    request=inline_serializer(
        "FeedWebhookInput",
        {
            "account_ref": serializers.CharField(required=False),
            "item_id": serializers.CharField(required=False),
            "account_refs": serializers.ListField(child=serializers.CharField(), required=False),
        },
    ),
    parameters=[
        OpenApiParameter("X-Canopy-Timestamp", str, OpenApiParameter.HEADER, required=True),
        OpenApiParameter(
            "X-Canopy-Signature",
            str,
            OpenApiParameter.HEADER,
            required=True,
            description='"sha256=" + hex HMAC-SHA256 of "{timestamp}.{delivery id}.{raw body}"',
        ),
        OpenApiParameter("X-Canopy-Delivery", str, OpenApiParameter.HEADER, required=True),
    ],
    responses={
        202: inline_serializer(
            "FeedWebhookAccepted",
            {"feeds": serializers.ListField(child=serializers.IntegerField())},
        ),
        400: OpenApiResponse(
            description="No or malformed delivery id, or the body is not JSON (or too deep)."
        ),
        401: OpenApiResponse(description="Bad signature, or timestamp older than 5 min."),
        404: OpenApiResponse(description="Unknown provider, or no active feed matches."),
        409: OpenApiResponse(description="This delivery id was accepted before."),
        413: OpenApiResponse(description="The body is larger than CANOPY_WEBHOOK_MAX_BYTES."),
    },
    summary="Aggregator webhook: new transactions are available",
    auth=[],
)
