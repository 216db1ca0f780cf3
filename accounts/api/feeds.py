"""Linked feeds: link with consent, re-consent, revoke, and their imports."""

from __future__ import annotations

import logging
from typing import cast

from django.utils.translation import gettext
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.schema import feeds as schema
from accounts.api.serializers.feeds import (
    ConsentInputSerializer,
    ConsentSerializer,
    FeedLinkInputSerializer,
    FeedSerializer,
    ImportBatchSerializer,
    RevocationSerializer,
)
from accounts.models import ImportBatch, Provider, User
from accounts.selectors.feeds import feed_get_for_user, feed_list_for_user, import_list_for_feed
from accounts.selectors.users import profile_locale
from accounts.services.feeds import (
    SCOPES,
    ConsentRequired,
    FeedExists,
    FeedLimitReached,
    FeedNeedsRelink,
    SandboxDisabled,
    consent_purpose,
    consent_renew,
    feed_link,
    feed_revoke,
)
from core.api import error_response

logger = logging.getLogger(__name__)


def consent_required(request, errors: dict | list | str) -> Response:
    return error_response(
        gettext(
            "Linking a feed needs your explicit consent: send consent.scopes "
            '["transactions"] and consent.purpose_accepted true after showing the purpose.'
        ),
        code="consent_required",
        status_code=status.HTTP_400_BAD_REQUEST,
        consent={
            "scopes": sorted(SCOPES),
            "purpose": consent_purpose(profile_locale(request.user)),
        },
        errors=errors,
    )


class FeedListCreateApi(APIView):
    @schema.FEED_LIST_CREATE_GET
    def get(self, request) -> Response:
        return Response(FeedSerializer(feed_list_for_user(user=request.user), many=True).data)

    @schema.FEED_LIST_CREATE_POST
    def post(self, request) -> Response:
        data = FeedLinkInputSerializer(data=request.data)
        if not data.is_valid():
            if "consent" in data.errors:
                return consent_required(request, data.errors)
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
            return consent_required(request, [str(exc)])
        except FeedExists as exc:
            return error_response(
                str(exc), code="feed_exists", status_code=status.HTTP_409_CONFLICT, feed=exc.feed.pk
            )
        except SandboxDisabled as exc:
            return error_response(
                str(exc), code="sandbox_disabled", status_code=status.HTTP_403_FORBIDDEN
            )
        except FeedLimitReached as exc:
            return error_response(str(exc), code="feed_limit", status_code=409)
        except ValueError as exc:
            return error_response(str(exc), code="invalid", status_code=400)
        feed = feed_get_for_user(user=request.user, feed_id=feed.pk)
        return Response(FeedSerializer(feed).data, status=status.HTTP_201_CREATED)


class FeedDetailApi(APIView):
    @schema.FEED_DETAIL_GET
    def get(self, request, feed_id: int) -> Response:
        return Response(FeedSerializer(feed_get_for_user(user=request.user, feed_id=feed_id)).data)

    @schema.FEED_DETAIL_DELETE
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
                # Small files are never stored; large ones waiting for their background
                # import are deleted now, and every other one was deleted once imported.
                "uploaded_files": "deleted",
            },
            "kept": {
                "transactions": result.transactions_kept,
                "fields": list(result.kept_fields),
            },
        }
        return Response(RevocationSerializer(body).data)


class FeedConsentApi(APIView):
    @schema.FEED_CONSENT_POST
    def post(self, request, feed_id: int) -> Response:
        feed = feed_get_for_user(user=request.user, feed_id=feed_id)
        data = ConsentInputSerializer(data=request.data)
        if not data.is_valid():
            return consent_required(request, data.errors)
        try:
            consent = consent_renew(feed=feed, **data.validated_data)
        except ConsentRequired as exc:
            return consent_required(request, [str(exc)])
        except FeedNeedsRelink as exc:
            return error_response(str(exc), code="relink_required", status_code=409)
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)


class FeedImportListApi(generics.ListAPIView):
    serializer_class = ImportBatchSerializer
    filter_backends: list = []

    @schema.FEED_IMPORT_LIST_GET
    def get(self, request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ImportBatch.objects.none()
        feed = feed_get_for_user(user=cast(User, self.request.user), feed_id=self.kwargs["feed_id"])
        return import_list_for_feed(feed=feed)
