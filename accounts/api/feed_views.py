"""The linked-feed API: link with consent, re-consent, revoke, upload files, aggregator webhooks,
imports and transactions. Views translate HTTP to the services in ``accounts.feeds`` and
``accounts.importing`` and back; the rules live there.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import cast

import django_filters
from django.conf import settings
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils.decorators import method_decorator
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import generics, permissions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.api.feed_serializers import (
    ConsentInputSerializer,
    ConsentSerializer,
    FeedLinkInputSerializer,
    FeedSerializer,
    ImportBatchSerializer,
    RevocationSerializer,
    TransactionSerializer,
    UploadInputSerializer,
)
from accounts.feeds import (
    SCOPES,
    ConsentRequired,
    DeliveryReplayed,
    FeedExists,
    FeedNeedsRelink,
    consent_purpose,
    consent_renew,
    feed_link,
    feed_revoke,
    webhook_delivery_accept,
)
from accounts.importing import FeedNotImportable, feed_import_check, transactions_import
from accounts.models import ImportBatch, Profile, Provider, Transaction, User
from accounts.providers import PULLED_PROVIDERS
from accounts.selectors import (
    feed_get_for_user,
    feed_list_for_user,
    import_list_for_feed,
    transaction_green_actions,
    transaction_list_for_user,
)
from accounts.sources.base import SourceError
from accounts.sources.csv_source import CSV_TEMPLATE_PATH
from accounts.sources.registry import detect_format, get_source
from accounts.webhooks import WebhookRejected, webhook_verify
from core.api import Conflict, error_response

logger = logging.getLogger(__name__)

# Feeds that take files; aggregator feeds are synced, and a file on top would count the same
# bank transaction twice under two different ids.
UPLOAD_PROVIDERS = (Provider.FILE, Provider.BERLIN_GROUP)
# Room for the multipart envelope around the file when checking Content-Length up front.
_MULTIPART_SLACK = 64 * 1024
_DETECT_BYTES = 8 * 1024

_CONSENT_EXAMPLE = {"scopes": ["transactions"], "purpose_accepted": True}

# accounts.importing keeps its messages in English (they are logged and stored too); the API
# shows them in the request's language. An unknown message falls back to the English text.
_NOT_IMPORTABLE_MESSAGES = {
    "This feed was revoked; nothing is imported into it.": gettext_lazy(
        "This feed was revoked; nothing is imported into it."
    ),
    "The consent for this feed has expired; renew it before importing.": gettext_lazy(
        "The consent for this feed has expired; renew it before importing."
    ),
    "The consent for this feed is not live; renew it before importing.": gettext_lazy(
        "The consent for this feed is not live; renew it before importing."
    ),
}


def _locale(user) -> str:
    profile = Profile.objects.filter(user=user).only("locale").first()
    return profile.locale if profile else Profile.Locale.NL


def _consent_required(request, errors: dict | list | str) -> Response:
    return error_response(
        gettext(
            "Linking a feed needs your explicit consent: send consent.scopes "
            '["transactions"] and consent.purpose_accepted true after showing the purpose.'
        ),
        code="consent_required",
        status_code=status.HTTP_400_BAD_REQUEST,
        consent={"scopes": sorted(SCOPES), "purpose": consent_purpose(_locale(request.user))},
        errors=errors,
    )


def _not_importable(exc: FeedNotImportable) -> Response:
    message = _NOT_IMPORTABLE_MESSAGES.get(exc.message, exc.message)
    return error_response(str(message), code=exc.code, status_code=409)


def _source_errors(exc: SourceError) -> list[dict]:
    error = exc.as_dict()
    return [
        {
            "line": error["line"],
            "field": error["field"],
            "where": error["where"],
            "message": error["message"],
        }
    ]


class FeedListCreateApi(APIView):
    @extend_schema(responses=FeedSerializer(many=True), summary="Your linked feeds")
    def get(self, request) -> Response:
        return Response(FeedSerializer(feed_list_for_user(user=request.user), many=True).data)

    @extend_schema(
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
                    "consent": _CONSENT_EXAMPLE,
                },
                request_only=True,
            ),
            OpenApiExample(
                "File uploads",
                value={
                    "provider": "file",
                    "account_ref": "NL91ABNA0417164300",
                    "display_name": "ABN AMRO",
                    "consent": _CONSENT_EXAMPLE,
                },
                request_only=True,
            ),
        ],
    )
    def post(self, request) -> Response:
        data = FeedLinkInputSerializer(data=request.data)
        if not data.is_valid():
            if "consent" in data.errors:
                return _consent_required(request, data.errors)
            raise serializers.ValidationError(data.errors)
        values = data.validated_data
        if values["provider"] == Provider.PLAID:
            # A Plaid feed needs the access token only Plaid Link's exchange gives.
            return error_response(
                gettext(
                    "Plaid feeds are linked through Plaid Link: POST "
                    "/api/v1/feeds/plaid/link-token, then POST /api/v1/feeds/plaid/exchange."
                ),
                code="use_plaid_link",
                status_code=status.HTTP_400_BAD_REQUEST,
            )
        try:
            feed = feed_link(
                user=request.user,
                provider=values["provider"],
                account_ref=values["account_ref"],
                display_name=values["display_name"],
                unstable_ids=values["unstable_ids"],
                scopes=values["consent"]["scopes"],
                purpose_accepted=values["consent"]["purpose_accepted"],
            )
        except ConsentRequired as exc:
            return _consent_required(request, [str(exc)])
        except FeedExists as exc:
            return error_response(
                str(exc), code="feed_exists", status_code=status.HTTP_409_CONFLICT, feed=exc.feed.pk
            )
        except ValueError as exc:
            return error_response(str(exc), code="invalid", status_code=400)
        feed = feed_get_for_user(user=request.user, feed_id=feed.pk)
        return Response(FeedSerializer(feed).data, status=status.HTTP_201_CREATED)


class FeedDetailApi(APIView):
    @extend_schema(responses=FeedSerializer, summary="One of your feeds")
    def get(self, request, feed_id: int) -> Response:
        return Response(FeedSerializer(feed_get_for_user(user=request.user, feed_id=feed_id)).data)

    @extend_schema(
        responses=RevocationSerializer,
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
    def delete(self, request, feed_id: int) -> Response:
        feed = feed_get_for_user(user=request.user, feed_id=feed_id)
        result = feed_revoke(feed=feed)
        body = {
            "feed": result.feed.pk,
            "status": result.feed.status,
            "revoked_at": result.revoked_at,
            "consents_revoked": result.consents_revoked,
            "erased": {
                "transactions": result.transactions_erased,
                "fields": list(result.erased_fields),
                "uploaded_files": "never stored",
            },
            "kept": {
                "transactions": result.transactions_kept,
                "fields": list(result.kept_fields),
            },
        }
        return Response(RevocationSerializer(body).data)


class FeedConsentApi(APIView):
    @extend_schema(
        request=ConsentInputSerializer,
        responses={
            201: ConsentSerializer,
            400: OpenApiResponse(description="Consent missing."),
            409: OpenApiResponse(
                description="A revoked Plaid feed: its bank link was removed; link it again "
                "through Plaid Link."
            ),
        },
        examples=[OpenApiExample("Renew", value=_CONSENT_EXAMPLE, request_only=True)],
        summary="Renew consent (after a nudge, expiry or revocation): the feed is active again",
    )
    def post(self, request, feed_id: int) -> Response:
        feed = feed_get_for_user(user=request.user, feed_id=feed_id)
        data = ConsentInputSerializer(data=request.data)
        if not data.is_valid():
            return _consent_required(request, data.errors)
        try:
            consent = consent_renew(feed=feed, **data.validated_data)
        except ConsentRequired as exc:
            return _consent_required(request, [str(exc)])
        except FeedNeedsRelink as exc:
            return error_response(str(exc), code="relink_required", status_code=409)
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)


class FeedImportListApi(generics.ListAPIView):
    serializer_class = ImportBatchSerializer
    filter_backends: list = []

    @extend_schema(summary="The imports into one of your feeds, newest first")
    def get(self, request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ImportBatch.objects.none()
        feed = feed_get_for_user(user=cast(User, self.request.user), feed_id=self.kwargs["feed_id"])
        return import_list_for_feed(feed=feed)


_UPLOAD_DESCRIPTION = f"""
Upload a bank file into a `file` (or `berlin_group`) feed. Formats: OFX/QFX, ISO 20022
camt.053 XML, Plaid `/transactions/sync` JSON, Berlin Group (NextGenPSD2) JSON, and Canopy CSV.
The format is detected from the file's first bytes unless `format` is given.

**CSV template:** [`GET /api/v1/feeds/csv-template`](/api/v1/feeds/csv-template) — header
`transaction_id,status,booking_date,transaction_date,amount,currency,merchant_name,merchant_id,
mcc,category,description`; `,` or `;` separated, UTF-8, `.` as decimal point, negative = money
out, dates `YYYY-MM-DD`. An empty `transaction_id` makes the row's content its identity.

The whole file is imported in one transaction: a malformed line rejects the file (400 naming
the line and field) and imports nothing. Importing the same file again, or files with
overlapping dates, never creates duplicates. Larger than
{settings.CANOPY_MAX_UPLOAD_BYTES // (1024 * 1024)} MB: 413. Revoked or expired feed: 409.
"""


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class FeedUploadApi(APIView):
    """Not wrapped in the request transaction: the importer commits (or rejects) on its own."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": UploadInputSerializer},
        responses={
            201: ImportBatchSerializer,
            400: OpenApiResponse(
                description="Malformed file: nothing imported; `errors` names line and field.",
                examples=[
                    OpenApiExample(
                        "Malformed amount",
                        value={
                            "detail": "The file was not imported: line 3, field 'amount': "
                            "not a valid amount: '12,5O'",
                            "code": "malformed_file",
                            "errors": [
                                {
                                    "line": 3,
                                    "field": "amount",
                                    "where": "",
                                    "message": "not a valid amount: '12,5O'",
                                }
                            ],
                            "import": 17,
                        },
                    )
                ],
            ),
            404: OpenApiResponse(description="Not your feed."),
            409: OpenApiResponse(description="The feed is revoked or its consent expired."),
            413: OpenApiResponse(description="The file is too large."),
        },
        summary="Upload a bank file (OFX, camt.053, CSV, Plaid or Berlin Group JSON)",
        description=_UPLOAD_DESCRIPTION,
        examples=[
            OpenApiExample(
                "CSV (see the template)",
                value={"file": "transactions.csv", "format": "csv"},
                request_only=True,
            )
        ],
    )
    def post(self, request, feed_id: int) -> Response:
        # Errors are answered here rather than raised: DRF's handler would mark an enclosing
        # atomic block (there is none in production, but tests have one) for rollback.
        try:
            feed = feed_get_for_user(user=request.user, feed_id=feed_id)
        except Http404:
            return error_response(gettext("Not found."), code="not_found", status_code=404)
        if feed.provider not in UPLOAD_PROVIDERS:
            return error_response(
                gettext("This feed is synced from its aggregator; upload files to a file feed."),
                code="feed_not_for_files",
                status_code=status.HTTP_409_CONFLICT,
            )
        try:
            feed_import_check(feed=feed)
        except FeedNotImportable as exc:
            return _not_importable(exc)
        limit = settings.CANOPY_MAX_UPLOAD_BYTES
        too_large = error_response(
            gettext("The file is larger than the %(limit)s bytes an upload may have.")
            % {"limit": limit},
            code="file_too_large",
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit + _MULTIPART_SLACK:
            return too_large  # refused before the body is read
        upload = request.FILES.get("file")
        if upload is None:
            return error_response(
                gettext("Send the file as multipart form field 'file'."),
                code="file_missing",
                status_code=400,
                errors=[{"line": None, "field": "file", "message": gettext("No file was sent.")}],
            )
        if upload.size > limit:
            return too_large
        try:
            format_name = request.data.get("format") or detect_format(_head(upload, _DETECT_BYTES))
            source = get_source(format_name)
        except SourceError as exc:
            return error_response(
                gettext("The file was not imported: %(error)s") % {"error": exc},
                code="unknown_format",
                status_code=400,
                errors=_source_errors(exc),
            )
        sha256 = hashlib.sha256()
        for chunk in upload.chunks():
            sha256.update(chunk)
        upload.seek(0)
        try:
            batch = transactions_import(
                feed=feed,
                items=source.parse(upload.file),
                source=ImportBatch.Source.UPLOAD,
                format=format_name,
                file_name=upload.name or "",
                file_sha256=sha256.hexdigest(),
            )
        except FeedNotImportable as exc:  # revoked while the file was uploading
            return _not_importable(exc)
        if batch.status == ImportBatch.Status.REJECTED:
            error = batch.errors[0] if batch.errors else {}
            detail = SourceError(
                error.get("message", "malformed input"),
                line=error.get("line"),
                field=error.get("field", ""),
                where=error.get("where", ""),
            )
            return error_response(
                gettext("The file was not imported: %(error)s") % {"error": detail},
                code="malformed_file",
                status_code=400,
                errors=batch.errors,
                **{"import": batch.pk},
            )
        body = ImportBatchSerializer(batch).data
        if batch.duplicate_of is not None:
            body["detail"] = gettext(
                "This file was imported before (import %(import)s); nothing was imported again."
            ) % {"import": batch.duplicate_of.pk}
        return Response(body, status=status.HTTP_201_CREATED)


def _head(upload, size: int) -> bytes:
    upload.seek(0)
    head = upload.read(size)
    upload.seek(0)
    return head


class CsvTemplateApi(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="Download the CSV template for uploads",
        description="Canopy's CSV header with three example rows (a train ride, a kringloop "
        "purchase and a pending OV-fiets rental).",
    )
    def get(self, request) -> FileResponse:
        return FileResponse(
            CSV_TEMPLATE_PATH.open("rb"),
            as_attachment=True,
            filename="canopy-transactions-template.csv",
            content_type="text/csv; charset=utf-8",
        )


class FeedWebhookApi(APIView):
    """Aggregators tell Canopy an account has new transactions; Canopy then pulls them."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "webhook"
    parser_classes: list = []  # the raw body is verified and parsed here, not by DRF

    @extend_schema(
        request=inline_serializer(
            "FeedWebhookInput",
            {
                "account_ref": serializers.CharField(required=False),
                "item_id": serializers.CharField(required=False),
                "account_refs": serializers.ListField(
                    child=serializers.CharField(), required=False
                ),
            },
        ),
        parameters=[
            OpenApiParameter("X-Canopy-Timestamp", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(
                "X-Canopy-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description='"sha256=" + hex HMAC-SHA256 of "{timestamp}.{raw body}"',
            ),
            OpenApiParameter("X-Canopy-Delivery", str, OpenApiParameter.HEADER, required=True),
        ],
        responses={
            202: inline_serializer(
                "FeedWebhookAccepted",
                {"feeds": serializers.ListField(child=serializers.IntegerField())},
            ),
            400: OpenApiResponse(description="No delivery id, or the body is not JSON."),
            401: OpenApiResponse(description="Bad signature, or timestamp older than 5 min."),
            404: OpenApiResponse(description="Unknown provider, or no active feed matches."),
            409: OpenApiResponse(description="This delivery id was accepted before."),
        },
        summary="Aggregator webhook: new transactions are available",
        auth=[],
    )
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


class TransactionFilter(django_filters.FilterSet):
    booked_from = django_filters.DateFilter(field_name="booking_date", lookup_expr="gte")
    booked_to = django_filters.DateFilter(field_name="booking_date", lookup_expr="lte")
    feed = django_filters.NumberFilter(field_name="feed_id")

    class Meta:
        model = Transaction
        fields = ["booked_from", "booked_to", "feed"]


class TransactionListApi(generics.ListAPIView):
    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter

    @extend_schema(
        summary="Your transactions, newest first, each with its green action",
        description="Removed transactions (voided, replaced pending ones) are left out. "
        "`green_action` is null until the nightly scoring has seen the transaction.",
    )
    def get(self, request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Transaction.objects.none()
        return transaction_list_for_user(user=cast(User, self.request.user))

    def list(self, request, *args, **kwargs) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        context = self.get_serializer_context()
        context["green_actions"] = transaction_green_actions(rows, locale=_locale(request.user))
        data = self.get_serializer(rows, many=True, context=context).data
        if page is None:
            return Response(data)
        return self.get_paginated_response(data)
