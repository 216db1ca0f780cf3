"""Friends through the API: the list, personal invite codes, accepting one, unfriending."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from accounts.models import Friendship
from accounts.selectors.friends import friends_list
from accounts.services.friends import (
    FriendError,
    friend_invite_accept,
    friend_invite_create,
    friend_remove,
)
from core.api import error_response


class FriendSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    display_name = serializers.CharField()
    friends_since = serializers.DateTimeField(allow_null=True)


class FriendInviteSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Shown once; give it to your friend.")
    expires_at = serializers.DateTimeField()


class FriendAcceptInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32, help_text="The code a friend gave you.")


FRIEND_ERROR = inline_serializer(
    "FriendError", {"detail": serializers.CharField(), "code": serializers.CharField()}
)


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


_FRIEND_EXAMPLE = {"user_id": 42, "display_name": "Bram", "friends_since": "2026-11-20T08:15:00Z"}


class FriendListApi(APIView):
    @extend_schema(
        responses=FriendSerializer(many=True),
        summary="Your friends",
        description="Accepted friends by display name (never an e-mail address).",
        examples=[OpenApiExample("Friends", value=[_FRIEND_EXAMPLE], response_only=True)],
    )
    def get(self, request) -> Response:
        return Response(FriendSerializer(friends_list(request.user.id), many=True).data)


class FriendInviteApi(APIView):
    throttle_classes = [UserRateThrottle, FriendInviteThrottle]

    @extend_schema(
        request=None,
        responses={
            201: FriendInviteSerializer,
            429: OpenApiResponse(description="More than 20 codes in an hour"),
        },
        summary="Get a personal invite code to give to a friend",
        description=(
            "The code is random, single use and valid for 7 days; only its hash is stored, so "
            "it is shown this once. There is no search for users by e-mail or name: friends "
            "find each other only through codes they hand each other."
        ),
        examples=[
            OpenApiExample(
                "Code",
                value={"code": "7KQ4M-XW9PA", "expires_at": "2026-12-02T10:00:00Z"},
                response_only=True,
                status_codes=[201],
            )
        ],
    )
    def post(self, request) -> Response:
        issued = friend_invite_create(inviter_id=request.user.id)
        body = FriendInviteSerializer({"code": issued.code, "expires_at": issued.expires_at}).data
        return Response(body, status=status.HTTP_201_CREATED)


class FriendAcceptApi(APIView):
    throttle_classes = [UserRateThrottle, FriendAcceptThrottle]

    @extend_schema(
        request=FriendAcceptInputSerializer,
        responses={
            201: FriendSerializer,
            400: OpenApiResponse(FRIEND_ERROR, description="Your own code (`own_code`)"),
            404: OpenApiResponse(
                FRIEND_ERROR, description="Unknown, used or expired code (`invalid_code`)"
            ),
            409: OpenApiResponse(FRIEND_ERROR, description="Friends already (`already_friends`)"),
            429: OpenApiResponse(description="More than 10 attempts in a minute"),
        },
        summary="Become friends with whoever gave you this code",
        examples=[
            OpenApiExample("Accept", value={"code": "7KQ4M-XW9PA"}, request_only=True),
            OpenApiExample(
                "Friends", value=_FRIEND_EXAMPLE, response_only=True, status_codes=[201]
            ),
            OpenApiExample(
                "Unknown code",
                value={
                    "detail": "This invite code is unknown, used or expired.",
                    "code": "invalid_code",
                },
                response_only=True,
                status_codes=[404],
            ),
        ],
    )
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
    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="No longer friends"),
            404: OpenApiResponse(FRIEND_ERROR, description="Not your friend"),
        },
        summary="Unfriend",
        description="Either friend may end it. What was stolen or watered stays.",
        examples=[
            OpenApiExample(
                "Not a friend",
                value={"detail": "No such friend.", "code": "not_found"},
                response_only=True,
                status_codes=[404],
            )
        ],
    )
    def delete(self, request, user_id: int) -> Response:
        try:
            friend_remove(user_id=request.user.id, friend_id=user_id)
        except Friendship.DoesNotExist:
            return error_response(_("No such friend."), code="not_found", status_code=404)
        return Response(status=status.HTTP_204_NO_CONTENT)
