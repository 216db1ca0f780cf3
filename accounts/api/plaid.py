"""Plaid Link's two server calls: a link token for the app, and the public token exchange.

Views translate HTTP to ``accounts.services.plaid_link`` and back. Plaid's errors become 4xx/5xx
answers with a ``code`` (never a 500), and no answer ever carries an access token.
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from accounts.api.feeds import CONSENT_EXAMPLE, consent_required
from accounts.api.serializers.feeds import (
    FeedSerializer,
    PlaidExchangeInputSerializer,
    PlaidLinkTokenSerializer,
)
from accounts.integrations.plaid import PlaidError
from accounts.integrations.providers import ProviderError
from accounts.selectors.feeds import feed_get_for_user
from accounts.services.feeds import ConsentRequired, FeedExists
from accounts.services.plaid_link import (
    PublicTokenUsed,
    plaid_link_exchange,
    plaid_link_token_create,
)
from core.api import error_response

logger = logging.getLogger(__name__)

# Seconds the app should wait before trying again when Plaid is busy or down.
PLAID_RETRY_AFTER = 60

_FEED_EXAMPLE = {
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


def _unavailable(message: str, *, code: str = "plaid_unavailable") -> Response:
    response = error_response(message, code=code, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
    response["Retry-After"] = str(PLAID_RETRY_AFTER)
    return response


def plaid_error_response(exc: ProviderError) -> Response:
    """Plaid's refusal or absence as a clear answer for the app."""
    logger.warning("plaid link call failed: %s", exc)
    if isinstance(exc, PlaidError):
        extra = {"plaid_error_code": exc.error_code}
        if exc.display_message:
            extra["display_message"] = exc.display_message
        if exc.error_code in {"INVALID_PUBLIC_TOKEN", "INVALID_LINK_TOKEN"}:
            return error_response(
                gettext(
                    "Plaid did not accept this public token: it is malformed, expired (after 30 "
                    "minutes) or used already. Open Plaid Link again."
                ),
                code="invalid_public_token",
                status_code=status.HTTP_400_BAD_REQUEST,
                **extra,
            )
        if exc.error_type == "ITEM_ERROR":
            return error_response(
                gettext("Your bank needs you to log in again: open Plaid Link again."),
                code=exc.error_code.lower(),
                status_code=status.HTTP_409_CONFLICT,
                **extra,
            )
        if exc.error_type == "RATE_LIMIT_EXCEEDED":
            return _unavailable(
                gettext("Plaid is busy right now; try again in a minute."),
                code="plaid_rate_limited",
            )
        if exc.error_type in {"API_ERROR", "INSTITUTION_ERROR"}:
            return _unavailable(
                gettext("Plaid or your bank cannot be reached right now; try again later.")
            )
        return error_response(
            gettext("Plaid refused the request (%(code)s).") % {"code": exc.error_code},
            code="plaid_error",
            status_code=status.HTTP_502_BAD_GATEWAY,
            **extra,
        )
    if not exc.retryable:  # no credentials or an unknown environment: Canopy's configuration
        return _unavailable(gettext("Linking a bank through Plaid is not available right now."))
    return _unavailable(gettext("Plaid cannot be reached right now; try again in a few minutes."))


class _PlaidLinkApi(APIView):
    throttle_classes = [UserRateThrottle, ScopedRateThrottle]
    throttle_scope = "plaid_link"


_PLAID_ERROR = inline_serializer(
    "PlaidLinkError",
    {
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "plaid_error_code": serializers.CharField(required=False),
        "display_message": serializers.CharField(required=False),
    },
)

_ERRORS = {
    503: OpenApiResponse(
        _PLAID_ERROR,
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
        _PLAID_ERROR,
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


class PlaidLinkTokenApi(_PlaidLinkApi):
    @extend_schema(
        request=None,
        responses={200: PlaidLinkTokenSerializer, **_ERRORS},
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
    def post(self, request) -> Response:
        try:
            token = plaid_link_token_create(user=request.user)
        except ProviderError as exc:
            return plaid_error_response(exc)
        body = {"link_token": token.link_token, "expiration": token.expiration}
        return Response(PlaidLinkTokenSerializer(body).data)


class PlaidExchangeApi(_PlaidLinkApi):
    @extend_schema(
        request=PlaidExchangeInputSerializer,
        responses={
            201: FeedSerializer,
            200: OpenApiResponse(
                FeedSerializer, description="This public token was exchanged before: its feed."
            ),
            400: OpenApiResponse(
                _PLAID_ERROR,
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
                _PLAID_ERROR,
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
            **_ERRORS,
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
            OpenApiExample("Linked feed", value=_FEED_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request) -> Response:
        data = PlaidExchangeInputSerializer(data=request.data)
        if not data.is_valid():
            if "consent" in data.errors:
                return consent_required(request, data.errors)
            raise serializers.ValidationError(data.errors)
        values = data.validated_data
        try:
            result = plaid_link_exchange(
                user=request.user,
                public_token=values["public_token"],
                account_id=values["account_id"].strip(),
                display_name=values["display_name"],
                scopes=values["consent"]["scopes"],
                purpose_accepted=values["consent"]["purpose_accepted"],
            )
        except ConsentRequired as exc:
            return consent_required(request, [str(exc)])
        except PublicTokenUsed:
            # Answered as Plaid answers a spent token: nothing about whose feed it made.
            return plaid_error_response(
                PlaidError(
                    error_type="INVALID_INPUT",
                    error_code="INVALID_PUBLIC_TOKEN",
                    error_message="public token used already",
                )
            )
        except ProviderError as exc:
            return plaid_error_response(exc)
        except FeedExists as exc:
            return error_response(
                str(exc), code="feed_exists", status_code=status.HTTP_409_CONFLICT, feed=exc.feed.pk
            )
        except ValueError as exc:
            return error_response(str(exc), code="invalid", status_code=400)
        feed = feed_get_for_user(user=request.user, feed_id=result.feed.pk)
        return Response(
            FeedSerializer(feed).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )
