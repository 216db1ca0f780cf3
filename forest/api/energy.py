"""Your energy through the API: the home screen, collecting drops, the statement."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import api_datetime, error_response, plain_rows
from core.readviews import CachedReadMixin, cached_read
from forest.api.schema import energy as schema
from forest.api.serializers.energy import CollectResultSerializer, LedgerEntrySerializer
from forest.models import EnergyDrop, EnergyLedgerEntry
from forest.selectors.energy import balances_for_user, open_drops_for_user
from forest.selectors.green_actions import caps_left_today
from forest.selectors.home import current_tree_summary
from forest.selectors.levels import home_figures
from forest.services.energy import (
    DropNotCollectable,
    drop_collect,
    drops_collect_all,
)
from forest.services.holds import EnergyOnHold, hold_body


def _tree_summary(user) -> dict | None:
    """The current tree on the home screen; filled in by the trees feature."""
    return current_tree_summary(user)


class ForestHomeApi(CachedReadMixin, APIView):
    read_cache_name = "home"

    @schema.home
    def get(self, request) -> HttpResponse:
        # The user's document while nothing they see has changed (core/readcache.py): drops
        # change state on the clock, caps and streaks at local midnight.
        return cached_read(request, self, lambda: self.build(request), until_midnight=True)

    def build(self, request) -> tuple[dict, datetime | None]:
        now = timezone.now()
        # Balances, level and streaks in one query: the home screen's query budget is fixed.
        figures = home_figures(
            request.user.id, today=timezone.localdate(), locale=(get_language() or "en")[:2]
        )
        balances = figures["balances"]
        drops = open_drops_for_user(request.user.id, now=now)
        # Plain dicts in ForestHomeSerializer's shape (the schema's): a serializer per drop
        # cost more than the statements.
        body = {
            "balance_grams": balances["balance"],
            "uncollected_grams": balances["drops"],
            "drops": [
                {
                    "id": drop.id,
                    "action_type": drop.action_type,
                    "grams": drop.remaining,
                    "state": drop.state_at(now),
                    "ripe_at": api_datetime(drop.ripe_at),
                    "expires_at": api_datetime(drop.expires_at),
                }
                for drop in drops
            ],
            "caps_today": caps_left_today(request.user.id, today=timezone.localdate()),
            "tree": _tree_summary(request.user),
            "level": figures["level"],
            "streaks": figures["streaks"],
        }
        moments = [m for d in drops for m in (d.ripe_at, d.expires_at) if m and m > now]
        return body, min(moments, default=None)


class DropCollectApi(APIView):
    @schema.drop_collect
    def post(self, request, drop_id: int) -> Response:
        try:
            result = drop_collect(user_id=request.user.id, drop_id=drop_id)
        except EnergyDrop.DoesNotExist:
            return error_response(gettext("No such drop."), code="not_found", status_code=404)
        except DropNotCollectable as exc:
            return error_response(str(exc), code=exc.code, status_code=409)
        except EnergyOnHold:
            return Response(hold_body(), status=403)
        return Response(_collect_body(request.user.id, result))


class DropCollectAllApi(APIView):
    @schema.drops_collect_all
    def post(self, request) -> Response:
        try:
            result = drops_collect_all(user_id=request.user.id)
        except EnergyOnHold:
            return Response(hold_body(), status=403)
        return Response(_collect_body(request.user.id, result))


def _collect_body(user_id: int, result) -> dict:
    return CollectResultSerializer(
        {
            "collected_drops": result.drops,
            "collected_grams": result.grams,
            "balance_grams": balances_for_user(user_id)["balance"],
        }
    ).data


class LedgerListApi(CachedReadMixin, generics.ListAPIView):
    read_cache_name = "ledger"

    """Your energy statement: every movement of grams, newest first."""

    serializer_class = LedgerEntrySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return EnergyLedgerEntry.objects.none()
        return EnergyLedgerEntry.objects.filter(user=cast(User, self.request.user)).order_by("-id")

    @schema.ledger
    def get(self, request, *args, **kwargs):  # a Response, or the document (HttpResponse)
        # The user's document while the ledger writer has not moved their grams.
        return cached_read(request, self, lambda: (self.page(), None))

    def list(self, request, *args, **kwargs) -> Response:
        return Response(self.page())

    def page(self) -> dict:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(plain_rows(self.get_serializer(), page or [])).data
