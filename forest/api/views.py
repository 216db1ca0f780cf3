from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import error_response
from forest.api.serializers import (
    CollectResultSerializer,
    ForestHomeSerializer,
    LedgerEntrySerializer,
)
from forest.models import EnergyDrop, EnergyLedgerEntry
from forest.selectors.energy import balances_for_user, open_drops_for_user
from forest.selectors.green_actions import caps_left_today
from forest.services.energy import (
    DropNotCollectable,
    EnergyOnHold,
    drop_collect,
    drops_collect_all,
)


def _tree_summary(user) -> dict | None:
    """The current tree on the home screen; filled in by the trees feature."""
    from forest.selectors.home import current_tree_summary

    return current_tree_summary(user)


class ForestHomeApi(APIView):
    @extend_schema(
        responses=ForestHomeSerializer,
        summary="The home screen: balance, drops, today's caps, current tree",
        examples=[
            OpenApiExample(
                "Home",
                value={
                    "balance_grams": 4237,
                    "uncollected_grams": 52,
                    "drops": [
                        {
                            "id": 17,
                            "action_type": "public_transport",
                            "grams": 52,
                            "state": "ripe",
                            "ripe_at": "2026-11-26T06:00:00Z",
                            "expires_at": "2026-11-29T06:00:00Z",
                        }
                    ],
                    "caps_today": [{"action_type": "rail", "cap_grams": 6750, "left_grams": 2565}],
                    "tree": None,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request) -> Response:
        now = timezone.now()
        balances = balances_for_user(request.user.id)
        drops = open_drops_for_user(request.user.id, now=now)
        body = {
            "balance_grams": balances["balance"],
            "uncollected_grams": balances["drops"],
            "drops": drops,
            "caps_today": caps_left_today(request.user.id, today=timezone.localdate()),
            "tree": _tree_summary(request.user),
        }
        return Response(ForestHomeSerializer(body, context={"now": now}).data)


class DropCollectApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: CollectResultSerializer,
            403: OpenApiResponse(description="Collecting is paused during a fraud review"),
            404: OpenApiResponse(description="No such drop of yours"),
            409: OpenApiResponse(description="Not ripe yet, already collected, or expired"),
        },
        summary="Collect one ripe drop",
    )
    def post(self, request, drop_id: int) -> Response:
        try:
            result = drop_collect(user_id=request.user.id, drop_id=drop_id)
        except EnergyDrop.DoesNotExist:
            return error_response(gettext("No such drop."), code="not_found", status_code=404)
        except DropNotCollectable as exc:
            return error_response(str(exc), code=exc.code, status_code=409)
        except EnergyOnHold as exc:
            return error_response(str(exc), code="energy_on_hold", status_code=403)
        return Response(_collect_body(request.user.id, result))


class DropCollectAllApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: CollectResultSerializer,
            403: OpenApiResponse(description="Collecting is paused during a fraud review"),
        },
        summary="Collect every ripe drop",
    )
    def post(self, request) -> Response:
        try:
            result = drops_collect_all(user_id=request.user.id)
        except EnergyOnHold as exc:
            return error_response(str(exc), code="energy_on_hold", status_code=403)
        return Response(_collect_body(request.user.id, result))


def _collect_body(user_id: int, result) -> dict:
    return CollectResultSerializer(
        {
            "collected_drops": result.drops,
            "collected_grams": result.grams,
            "balance_grams": balances_for_user(user_id)["balance"],
        }
    ).data


class LedgerListApi(generics.ListAPIView):
    """Your energy statement: every movement of grams, newest first."""

    serializer_class = LedgerEntrySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return EnergyLedgerEntry.objects.none()
        return EnergyLedgerEntry.objects.filter(user=self.request.user).order_by("-id")

    @extend_schema(summary="Your energy statement")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
