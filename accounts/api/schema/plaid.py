"""OpenAPI decorations of accounts/api/plaid.py, applied there as ``@schema.<NAME>``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

from accounts.api.schema.feeds import CONSENT_EXAMPLE
from accounts.api.serializers.feeds import (
    FeedSerializer,
    PlaidExchangeInputSerializer,
    PlaidLinkTokenSerializer,
)

PLAID_ERROR = inline_serializer(
    "PlaidLinkError",
    {
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "plaid_error_code": serializers.CharField(required=False),
        "display_message": serializers.CharField(required=False),
    },
)


ERRORS = {
    503: OpenApiResponse(
        PLAID_ERROR,
        description="Plaid is down, busy (rate limit) or not configured; `Retry-After` says "
        "when to try again.",
        examples=[
            OpenApiExample(
                "Plaid down",
                value={
                    "detail": "Plaid cannot be reached right now; try again in a few minutes.",
                    "code": "plaid_unavailable",
                },
            )
        ],
    ),
    502: OpenApiResponse(
        PLAID_ERROR,
        description="Plaid refused the request for another reason.",
        examples=[
            OpenApiExample(
                "Plaid refused",
                value={
                    "detail": "Plaid refused the request (INVALID_API_KEYS).",
                    "code": "plaid_error",
                    "plaid_error_code": "INVALID_API_KEYS",
                },
            )
        ],
    ),
    429: OpenApiResponse(description="Over the `plaid_link` throttle (10 per minute per user)."),
}

FEED_EXAMPLE = {
    "id": 42,
    "provider": "plaid",
    "account_ref": "BxBXxLj1m4HMXBm9WZZmCWVbPjX16EHwv99vp",
    "display_name": "ING Betaalrekening",
    "status": "active",
    "unstable_ids": False,
    "last_synced_at": None,
    "last_error": "",
    "created_at": "2026-11-25T15:04:05Z",
    "consent": {
        "id": 77,
        "scopes": ["transactions"],
        "purpose": "Canopy reads the transactions of this account to recognise your green ...",
        "granted_at": "2026-11-25T15:04:05Z",
        "expires_at": "2027-05-24T15:04:05Z",
        "revoked_at": None,
        "expired_at": None,
        "live": True,
        "days_left": 179,
    },
}

PLAID_LINK_TOKEN_POST = extend_schema(
    request=None,
    responses={200: PlaidLinkTokenSerializer, **ERRORS},
    summary="Plaid Link: get a link token to open Link in the app",
    description=(
        "Creates a Plaid Link token for the transactions product, in the user's language "
        "(`profile.locale`) and for the countries in `CANOPY_PLAID_COUNTRY_CODES`. Plaid "
        "knows the user only by an opaque id. Open Link with it; Link's onSuccess gives "
        "the public token and the chosen account for `POST /api/v1/feeds/plaid/exchange`."
    ),
    examples=[
        OpenApiExample(
            "Link token",
            value={
                "link_token": "link-sandbox-af1a0311-da53-4636-b754-dd15cc058176",
                "expiration": "2026-11-25T19:04:05Z",
            },
            response_only=True,
        )
    ],
)

PLAID_EXCHANGE_POST = extend_schema(
    request=PlaidExchangeInputSerializer,
    responses={
        201: FeedSerializer,
        200: OpenApiResponse(
            FeedSerializer, description="This public token was exchanged before: its feed."
        ),
        400: OpenApiResponse(
            PLAID_ERROR,
            description="Missing or incomplete consent (`consent_required`, nothing sent "
            "to Plaid), bad input, or a public token Plaid refused "
            "(`invalid_public_token`).",
            examples=[
                OpenApiExample(
                    "Invalid public token",
                    value={
                        "detail": "Plaid did not accept this public token: it is malformed, "
                        "expired (after 30 minutes) or used already. Open Plaid Link again.",
                        "code": "invalid_public_token",
                        "plaid_error_code": "INVALID_PUBLIC_TOKEN",
                    },
                )
            ],
        ),
        409: OpenApiResponse(
            PLAID_ERROR,
            description="This account is linked already (`feed_exists`), or the bank "
            "wants the user to log in again (`item_login_required`).",
            examples=[
                OpenApiExample(
                    "Login required",
                    value={
                        "detail": "Your bank needs you to log in again: open Plaid Link again.",
                        "code": "item_login_required",
                        "plaid_error_code": "ITEM_LOGIN_REQUIRED",
                    },
                )
            ],
        ),
        **ERRORS,
    },
    summary="Plaid Link: exchange the public token and link the chosen account",
    description=(
        "Send what Link's onSuccess gave the app (`public_token`, the chosen account's "
        "`account_id`) with the user's explicit consent, as for `POST /api/v1/feeds`: "
        "without `consent.scopes` and `consent.purpose_accepted: true` the answer is 400 "
        "and nothing reaches Plaid. Canopy exchanges the token, stores the item's access "
        "token encrypted (it is never returned), links the feed and starts its first "
        "sync. Idempotent: the same public token again answers 200 with the same feed."
    ),
    examples=[
        OpenApiExample(
            "Exchange",
            value={
                "public_token": "public-sandbox-b0e2c4ee-a763-4df5-bfe9-46a46bce993d",
                "account_id": "BxBXxLj1m4HMXBm9WZZmCWVbPjX16EHwv99vp",
                "display_name": "ING Betaalrekening",
                "consent": CONSENT_EXAMPLE,
            },
            request_only=True,
        ),
        OpenApiExample("Linked feed", value=FEED_EXAMPLE, response_only=True),
    ],
)
