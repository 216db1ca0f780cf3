"""Friends through the API: the list, personal invite codes, accepting one, unfriending."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.schema import friends as schema
from accounts.api.serializers.friends import (
    FriendAcceptInputSerializer,
    FriendInviteSerializer,
    FriendSerializer,
)
from accounts.models import Friendship
from accounts.selectors.friends import friends_list
from accounts.services.friends import (
    FriendError,
    friend_invite_accept,
    friend_invite_create,
    friend_remove,
)
from core.api import error_response, plain_rows
from core.readviews import CachedReadMixin, cached_read
from core.throttling import UserRateThrottle


class FriendInviteThrottle(UserRateThrottle):
    """Creating codes: 20 an hour per user (rates live here, not in settings)."""

    scope = "friend_invite"
    THROTTLE_RATES = {"friend_invite": "20/hour"}


class FriendAcceptThrottle(UserRateThrottle):
    """Redeeming codes: 10 a minute per user, so nobody can try codes in bulk."""

    scope = "friend_accept"
    THROTTLE_RATES = {"friend_accept": "10/minute"}


def _error(exc: FriendError) -> Response:
    return error_response(str(exc), code=exc.code, status_code=exc.status)


class FriendListApi(CachedReadMixin, APIView):
    read_cache_name = "friends"
    read_cache_social = True

    @schema.FRIEND_LIST_GET
    def get(self, request) -> HttpResponse:
        # Exact: the document is kept under the tokens of the user and each friend, so a
        # friendship made or ended, or a friend's new name, ends it (core/readcache.py).
        return cached_read(
            request,
            self,
            lambda watch: (
                plain_rows(FriendSerializer(), friends_list(request.user.id, watch=watch)),
                None,
            ),
        )


class FriendInviteApi(APIView):
    throttle_classes = [UserRateThrottle, FriendInviteThrottle]

    @schema.FRIEND_INVITE_POST
    def post(self, request) -> Response:
        issued = friend_invite_create(inviter_id=request.user.id)
        body = FriendInviteSerializer({"code": issued.code, "expires_at": issued.expires_at}).data
        return Response(body, status=status.HTTP_201_CREATED)


class FriendAcceptApi(APIView):
    throttle_classes = [UserRateThrottle, FriendAcceptThrottle]

    @schema.FRIEND_ACCEPT_POST
    def post(self, request) -> Response:
        data = FriendAcceptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            friendship = friend_invite_accept(
                user_id=request.user.id, code=data.validated_data["code"]
            )
        except FriendError as exc:
            return _error(exc)
        friend_id = friendship.other(request.user.id)
        row = next(r for r in friends_list(request.user.id) if r["user_id"] == friend_id)
        return Response(FriendSerializer(row).data, status=status.HTTP_201_CREATED)


class FriendDetailApi(APIView):
    @schema.FRIEND_DETAIL_DELETE
    def delete(self, request, user_id: int) -> Response:
        try:
            friend_remove(user_id=request.user.id, friend_id=user_id)
        except Friendship.DoesNotExist:
            return error_response(_("No such friend."), code="not_found", status_code=404)
        return Response(status=status.HTTP_204_NO_CONTENT)
