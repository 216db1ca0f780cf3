"""Plaid Link's two server calls: a link token for the app, and the public token exchange.

Views translate HTTP to ``accounts.services.plaid_link`` and back. Plaid's errors become 4xx/5xx
answers with a ``code`` (never a 500), and no answer ever carries an access token.
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.feeds import consent_required
from accounts.api.schema import plaid as schema
from accounts.api.serializers.feeds import (
    FeedSerializer,
    PlaidExchangeInputSerializer,
    PlaidLinkTokenSerializer,
)
from accounts.integrations.plaid import PlaidError
from accounts.integrations.providers import ProviderError
from accounts.selectors.feeds import feed_get_for_user
from accounts.services.feeds import ConsentRequired, FeedExists, SandboxDisabled
from accounts.services.plaid_link import (
    PublicTokenUsed,
    plaid_link_exchange,
    plaid_link_token_create,
)
from core.api import error_response
from core.throttling import ScopedRateThrottle, UserRateThrottle

logger = logging.getLogger(__name__)

# Seconds the app should wait before trying again when Plaid is busy or down.
PLAID_RETRY_AFTER = 60


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


class PlaidLinkTokenApi(_PlaidLinkApi):
    @schema.PLAID_LINK_TOKEN_POST
    def post(self, request) -> Response:
        try:
            token = plaid_link_token_create(user=request.user)
        except ProviderError as exc:
            return plaid_error_response(exc)
        body = {"link_token": token.link_token, "expiration": token.expiration}
        return Response(PlaidLinkTokenSerializer(body).data)


class PlaidExchangeApi(_PlaidLinkApi):
    @schema.PLAID_EXCHANGE_POST
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
        except SandboxDisabled as exc:
            return error_response(
                str(exc), code="sandbox_disabled", status_code=status.HTTP_403_FORBIDDEN
            )
        except ValueError as exc:
            return error_response(str(exc), code="invalid", status_code=400)
        feed = feed_get_for_user(user=request.user, feed_id=result.feed.pk)
        return Response(
            FeedSerializer(feed).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )
