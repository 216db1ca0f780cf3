"""Aggregator webhooks: an account has new transactions, Canopy pulls them."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.schema import webhooks as schema
from accounts.integrations.providers import PULLED_PROVIDERS
from accounts.integrations.webhooks import WebhookRejected, delivery_id_valid, webhook_verify
from accounts.models import Provider, sandbox_enabled
from accounts.services.feed_sync import DeliveryReplayed, webhook_delivery_accept
from core.api import Conflict, error_response
from core.jsonsafe import JsonTooDeep, json_loads_bounded
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
        if provider not in PULLED_PROVIDERS or (
            provider == Provider.SANDBOX and not sandbox_enabled()
        ):
            return error_response(gettext("Unknown provider."), code="not_found", status_code=404)
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.CANOPY_WEBHOOK_MAX_BYTES:
            return error_response(
                gettext("A webhook body may be at most %(limit)d bytes.")
                % {"limit": settings.CANOPY_WEBHOOK_MAX_BYTES},
                code="too_large",
                status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        body = request.body
        delivery_id = request.headers.get("X-Canopy-Delivery", "").strip()
        # Unsigned requests are a 401 below; a signed one without a usable id is the sender's bug.
        if request.headers.get("X-Canopy-Signature") and not delivery_id_valid(delivery_id):
            return error_response(
                gettext(
                    "X-Canopy-Delivery must carry the delivery id: at most 128 letters, digits "
                    "and - _ : @."
                ),
                code="delivery_missing",
                status_code=400,
            )
        try:
            webhook_verify(
                provider=provider,
                timestamp=request.headers.get("X-Canopy-Timestamp", ""),
                delivery_id=delivery_id,
                signature=request.headers.get("X-Canopy-Signature", ""),
                body=body,
            )
        except WebhookRejected as exc:
            return error_response(
                str(exc), code="signature_invalid", status_code=status.HTTP_401_UNAUTHORIZED
            )
        try:
            refs = _account_refs(body)
        except JsonTooDeep as exc:
            return error_response(str(exc), code="invalid_body", status_code=400)
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
    """The account references the body names; None if it is not a JSON object naming one.

    Raises ``JsonTooDeep`` for a body nested past ``CANOPY_JSON_MAX_DEPTH``.
    """
    try:
        payload = json_loads_bounded(body or b"null")
    except JsonTooDeep:
        raise
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
