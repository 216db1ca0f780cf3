"""OpenAPI decorations of accounts/api/friends.py, applied there as ``@schema.<NAME>``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

from accounts.api.serializers.friends import (
    FriendAcceptInputSerializer,
    FriendInviteSerializer,
    FriendSerializer,
)

FRIEND_ERROR = inline_serializer(
    "FriendError", {"detail": serializers.CharField(), "code": serializers.CharField()}
)

FRIEND_EXAMPLE = {"user_id": 42, "display_name": "Bram", "friends_since": "2026-11-20T08:15:00Z"}


FRIEND_LIST_GET = extend_schema(
    responses=FriendSerializer(many=True),
    summary="Your friends",
    description="Accepted friends by display name (never an e-mail address).",
    examples=[OpenApiExample("Friends", value=[FRIEND_EXAMPLE], response_only=True)],
)

FRIEND_INVITE_POST = extend_schema(
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

FRIEND_ACCEPT_POST = extend_schema(
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
        OpenApiExample("Friends", value=FRIEND_EXAMPLE, response_only=True, status_codes=[201]),
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

FRIEND_DETAIL_DELETE = extend_schema(
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
