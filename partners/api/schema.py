"""OpenAPI decorations of the partners' API views, kept out of the view modules.

Each name is an ``extend_schema`` decorator applied to one view method.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema

from partners.api.serializers.claims import ClaimInputSerializer, ClaimResultSerializer
from partners.api.serializers.forests import ForestSerializer
from partners.api.serializers.orders import (
    PartnerEvidenceSerializer,
    PartnerPlantedInputSerializer,
    PartnerSurvivalInputSerializer,
    PartnerSurvivalSerializer,
)
from partners.models import PlantingOrder

partner_order_list = extend_schema(
    parameters=[OpenApiParameter("state", str, enum=PlantingOrder.State.values, required=False)],
    summary="Your planting orders, oldest first (partner API key)",
)

partner_order_planted = extend_schema(
    request={"multipart/form-data": PartnerPlantedInputSerializer},
    responses={
        201: PartnerEvidenceSerializer,
        400: OpenApiResponse(
            description="Outside the forest, no GPS, reused photo, unusable file; nothing is stored"
        ),
        404: OpenApiResponse(description="No such order of yours"),
    },
    summary="Report an order planted, with a photo and the position (partner API key)",
)

partner_survival_check = extend_schema(
    request=PartnerSurvivalInputSerializer,
    responses={
        201: PartnerSurvivalSerializer,
        400: OpenApiResponse(description="Not verified yet, or that year is checked"),
        404: OpenApiResponse(description="No such order of yours"),
    },
    summary="Report a yearly survival check (years 1-5) of a verified order",
)

claim_redeem = extend_schema(
    request=ClaimInputSerializer,
    responses={
        201: ClaimResultSerializer,
        400: OpenApiResponse(description="Not a valid code (code invalid_code), or no code"),
        403: OpenApiResponse(description="Claiming is paused during a fraud review"),
        409: OpenApiResponse(
            description="Used already (used), not valid yet (not_yet_valid), the "
            "sponsor's campaign has ended (campaign_inactive), or today's claims are "
            "used up (daily_cap)"
        ),
        410: OpenApiResponse(description="The code has expired (expired)"),
        429: OpenApiResponse(description="Too many attempts; see Retry-After"),
    },
    summary="Redeem a sponsor's claim code (receipt QR or claim link) for an energy drop",
    examples=[
        OpenApiExample("Claim", value={"code": "CNPY-7KQ4-M2XH-9TRW-5N3D"}, request_only=True),
        OpenApiExample(
            "Claimed",
            value={
                "drop_id": 4211,
                "grams": 50,
                "ripe_at": "2026-11-26T06:00:00Z",
                "expires_at": "2026-11-29T06:00:00Z",
                "sponsor": "Groene Winkel",
                "campaign": "Refill week",
            },
            response_only=True,
            status_codes=["201"],
        ),
        OpenApiExample(
            "Used already",
            value={"detail": "This code has been used already.", "code": "used"},
            response_only=True,
            status_codes=["409"],
        ),
    ],
)

forest_list = extend_schema(
    responses=ForestSerializer(many=True),
    summary="Open brand forests with room left, and the species they plant",
)
