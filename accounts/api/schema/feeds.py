"""OpenAPI decorations of accounts/api/feeds.py, applied there as ``@schema.<NAME>``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from accounts.api.serializers.feeds import (
    ConsentInputSerializer,
    ConsentSerializer,
    FeedLinkInputSerializer,
    FeedSerializer,
    RevocationSerializer,
)

CONSENT_EXAMPLE = {"scopes": ["transactions"], "purpose_accepted": True}


FEED_LIST_CREATE_GET = extend_schema(
    responses=FeedSerializer(many=True), summary="Your linked feeds"
)

FEED_LIST_CREATE_POST = extend_schema(
    request=FeedLinkInputSerializer,
    responses={
        201: FeedSerializer,
        400: OpenApiResponse(description="Missing or incomplete consent, or bad input."),
        409: OpenApiResponse(description="This account is linked already."),
    },
    summary="Link a bank feed, with explicit consent",
    description=(
        "Show the user the purpose text (returned with every `consent_required` error and "
        "on each feed's consent) and send `consent` only after they accept it. Nothing is "
        "pre-ticked: without `consent.scopes` and `consent.purpose_accepted: true` the "
        "answer is 400. Consent lasts `CANOPY_CONSENT_DAYS` (180 days; 90 for UK "
        "accounts). Sandbox feeds start their first sync right away. Plaid feeds are "
        "linked through Plaid Link instead (`/api/v1/feeds/plaid/link-token`, then "
        "`/api/v1/feeds/plaid/exchange`): `provider: plaid` here is a 400."
    ),
    examples=[
        OpenApiExample(
            "Sandbox bank",
            value={
                "provider": "sandbox",
                "display_name": "Betaalrekening",
                "consent": CONSENT_EXAMPLE,
            },
            request_only=True,
        ),
        OpenApiExample(
            "File uploads",
            value={
                "provider": "file",
                "account_ref": "NL91ABNA0417164300",
                "display_name": "ABN AMRO",
                "consent": CONSENT_EXAMPLE,
            },
            request_only=True,
        ),
    ],
)

FEED_DETAIL_GET = extend_schema(responses=FeedSerializer, summary="One of your feeds")

FEED_DETAIL_DELETE = extend_schema(
    # The answer has a body, so 200 (drf-spectacular would assume a DELETE answers 204).
    responses={200: RevocationSerializer},
    summary="Revoke a feed: stop imports and erase its personal data",
    description=(
        "Stops every import into the feed at once and revokes its consent. Each of the "
        "feed's transactions loses what the bank sent about it (raw payload, description, "
        "merchant name and id, normalised merchant, MCC, category); the amount, currency, "
        "dates, status and the green energy already earned stay. The answer lists both. "
        "A feed linked through Plaid Link also has its item removed at Plaid, after the "
        "answer and without waiting for Plaid; its stored access token is erased once "
        "Plaid confirms."
    ),
)

FEED_CONSENT_POST = extend_schema(
    request=ConsentInputSerializer,
    responses={
        201: ConsentSerializer,
        400: OpenApiResponse(description="Consent missing."),
        409: OpenApiResponse(
            description="A revoked Plaid feed: its bank link was removed; link it again "
            "through Plaid Link."
        ),
    },
    examples=[OpenApiExample("Renew", value=CONSENT_EXAMPLE, request_only=True)],
    summary="Renew consent (after a nudge, expiry or revocation): the feed is active again",
)

FEED_IMPORT_LIST_GET = extend_schema(summary="The imports into one of your feeds, newest first")
