"""Friends' forests through the API: looking, stealing, watering, the friends leaderboard."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpResponse
from django.utils.translation import gettext as _
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import error_response, plain_rows
from core.readviews import CachedReadMixin, cached_read
from core.throttling import UserRateThrottle
from forest.api.schema import social as schema
from forest.api.serializers.social import (
    FriendForestSerializer,
    LeaderboardRowSerializer,
    SocialActivitySerializer,
    StealResultSerializer,
    WaterInputSerializer,
    WaterResultSerializer,
)
from forest.models import EnergyDrop
from forest.selectors.energy import balances_for_user
from forest.selectors.social import friend_forest, friends_leaderboard, social_activity
from forest.services.holds import EnergyOnHold, hold_body
from forest.services.social import NotFriends, SocialError
from forest.services.steals import drop_steal
from forest.services.watering import friend_water


class SocialThrottle(UserRateThrottle):
    """Steals and waterings: 60 a minute per user; the daily limits do the rest."""

    scope = "social"
    THROTTLE_RATES = {"social": "60/minute"}


def _not_friend() -> Response:
    return error_response(_("No such friend."), code="not_found", status_code=404)


def _social_error(exc: SocialError) -> Response:
    return error_response(str(exc), code=exc.code, status_code=exc.status)


def _on_hold() -> Response:
    return Response(hold_body(), status=403)


class FriendForestApi(APIView):
    @schema.friend_forest
    def get(self, request, user_id: int) -> Response:
        try:
            body = friend_forest(viewer_id=request.user.id, friend_id=user_id)
        except NotFriends:
            return _not_friend()
        return Response(FriendForestSerializer(body).data)


class DropStealApi(APIView):
    throttle_classes = [UserRateThrottle, SocialThrottle]

    @schema.drop_steal
    def post(self, request, user_id: int, drop_id: int) -> Response:
        try:
            result = drop_steal(stealer_id=request.user.id, owner_id=user_id, drop_id=drop_id)
        except NotFriends:
            return _not_friend()
        except EnergyDrop.DoesNotExist:
            return error_response(_("No such drop."), code="not_found", status_code=404)
        except EnergyOnHold:
            return _on_hold()
        except SocialError as exc:
            return _social_error(exc)
        body = {
            "drop_id": result.drop_id,
            "stolen_grams": result.grams,
            "balance_grams": balances_for_user(request.user.id)["balance"],
        }
        return Response(StealResultSerializer(body).data)


class FriendWaterApi(APIView):
    throttle_classes = [UserRateThrottle, SocialThrottle]

    @schema.friend_water
    def post(self, request, user_id: int) -> Response:
        data = WaterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = friend_water(
                giver_id=request.user.id, friend_id=user_id, grams=data.validated_data["grams"]
            )
        except NotFriends:
            return _not_friend()
        except EnergyOnHold:
            return _on_hold()
        except SocialError as exc:
            return _social_error(exc)
        body = {
            "watered_grams": result.grams,
            "balance_grams": balances_for_user(request.user.id)["balance"],
            "tree_matured": result.matured,
        }
        return Response(WaterResultSerializer(body).data)


class FriendsLeaderboardApi(CachedReadMixin, APIView):
    read_cache_name = "leaderboard"
    read_cache_social = True

    @schema.friends_leaderboard
    def get(self, request) -> HttpResponse:
        # Exact: the document is kept under the tokens of everyone on it (any of their writes
        # ends it) until the oldest earning in it leaves the week (core/readcache.py).
        return cached_read(request, self, lambda watch: self.build(request, watch))

    def build(self, request, watch) -> tuple[list[dict], datetime | None]:
        board = friends_leaderboard(user_id=request.user.id, watch=watch)
        return plain_rows(LeaderboardRowSerializer(), board.rows), board.changes_at


class SocialActivityApi(APIView):
    @schema.social_activity
    def get(self, request) -> Response:
        rows = social_activity(user_id=request.user.id)
        return Response(SocialActivitySerializer(rows, many=True).data)
