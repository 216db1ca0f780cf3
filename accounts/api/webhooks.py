"""Aggregator webhooks: an account has new transactions, Canopy pulls them."""

from __future__ import annotations

import json

from django.utils.translation import gettext
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.schema import webhooks as schema
from accounts.integrations.providers import PULLED_PROVIDERS
from accounts.integrations.webhooks import WebhookRejected, webhook_verify
from accounts.services.feed_sync import DeliveryReplayed, webhook_delivery_accept
from core.api import Conflict, error_response
from core.throttling import ScopedRateThrottle


class FeedWebhookApi(APIView):
    """Aggregators tell Canopy an account has new transactions; Canopy then pulls them."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "webhook"
    parser_classes: list = []  # the raw body is verified and parsed here, not by DRF

    @schema.FEED_WEBHOOK_POST
    def post(self, request, provider: str) -> Response:
        if provider not in PULLED_PROVIDERS:
            return error_response(gettext("Unknown provider."), code="not_found", status_code=404)
        body = request.body
        try:
            webhook_verify(
                provider=provider,
                timestamp=request.headers.get("X-Canopy-Timestamp", ""),
                signature=request.headers.get("X-Canopy-Signature", ""),
                body=body,
            )
        except WebhookRejected as exc:
            return error_response(
                str(exc), code="signature_invalid", status_code=status.HTTP_401_UNAUTHORIZED
            )
        delivery_id = request.headers.get("X-Canopy-Delivery", "").strip()
        if not delivery_id or len(delivery_id) > 128:
            return error_response(
                gettext("X-Canopy-Delivery must carry the delivery id (at most 128 characters)."),
                code="delivery_missing",
                status_code=400,
            )
        refs = _account_refs(body)
        if refs is None:
            return error_response(
                gettext(
                    "The body must be a JSON object naming account_ref, account_refs or item_id."
                ),
                code="invalid_body",
                status_code=400,
            )
        try:
            feeds = webhook_delivery_accept(
                provider=provider, delivery_id=delivery_id, body=body, account_refs=refs
            )
        except DeliveryReplayed:
            raise Conflict(gettext("This delivery was received before.")) from None
        except LookupError as exc:
            return error_response(str(exc), code="feed_not_found", status_code=404)
        return Response({"feeds": [feed.pk for feed in feeds]}, status=status.HTTP_202_ACCEPTED)


def _account_refs(body: bytes) -> list[str] | None:
    try:
        payload = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict):
        return None
    refs = []
    for key in ("account_ref", "item_id"):
        if isinstance(payload.get(key), str) and payload[key]:
            refs.append(payload[key])
    many = payload.get("account_refs")
    if isinstance(many, list):
        refs.extend(ref for ref in many if isinstance(ref, str) and ref)
    return refs[:100] or None
