"""OpenAPI decorations of the team views (forest.api.teams), and the team examples and
error shapes the invitation views share."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

from forest.api.serializers.teams import (
    TeamCreateInputSerializer,
    TeamSerializer,
)

THROTTLED = OpenApiResponse(
    description="Over the `team_invite` throttle (20 invitation requests an hour per user)"
)


TEAM_EXAMPLE = {
    "id": 12,
    "name": "Buren",
    "your_status": "active",
    "growing_tree": None,
    "members": [{"name": "Anna", "status": "active", "you": True}],
    "open_invitations": 2,
    "created_at": "2026-11-25T10:00:00Z",
}


INVITATION_EXAMPLE = {
    "id": 31,
    "email": "bram@example.nl",
    "name": None,
    "status": "pending",
    "invited_by": "Anna",
    "you_invited": True,
    "created_at": "2026-11-25T10:00:00Z",
    "expires_at": "2026-12-09T10:00:00Z",
    "responded_at": None,
}


TEAM_ERROR = inline_serializer(
    "TeamError", {"detail": serializers.CharField(), "code": serializers.CharField()}
)


def error_example(name: str, detail: str, code: str) -> OpenApiExample:
    return OpenApiExample(name, value={"detail": detail, "code": code}, response_only=True)


def team_error(description: str, *examples: OpenApiExample) -> OpenApiResponse:
    return OpenApiResponse(TEAM_ERROR, description=description, examples=list(examples) or None)


teams_list = extend_schema(
    responses=TeamSerializer(many=True), summary="Your teams and invitations"
)

team_create = extend_schema(
    request=TeamCreateInputSerializer,
    responses={
        201: TeamSerializer,
        400: OpenApiResponse(description="Unknown user id; fewer than 2 or more than 10"),
        429: THROTTLED,
    },
    summary="Create a co-planting team and invite 1 to 9 friends",
    description=(
        "E-mail addresses are invited whether or not they have a Canopy account, and the "
        "answer is the same either way: an existing user gets an inbox message and an "
        "e-mail, another address an e-mail with a link to join after signing up. "
        "Invitees are listed under `GET /api/v1/teams/{id}/invitations`."
    ),
    examples=[
        OpenApiExample(
            "Create",
            value={"name": "Buren", "invite_emails": ["bram@example.nl", "cas@example.com"]},
            request_only=True,
        ),
        OpenApiExample("Created", value=TEAM_EXAMPLE, response_only=True, status_codes=[201]),
    ],
)

team_detail = extend_schema(
    responses={200: TeamSerializer, 404: OpenApiResponse(description="Not your team")},
    summary="One of your teams, or a team you are invited to",
)

team_accept = extend_schema(
    request=None,
    responses={
        200: TeamSerializer,
        404: OpenApiResponse(description="No invitation"),
        409: OpenApiResponse(
            description="The team is full (`team_full`) or its tree is fully grown "
            "(`team_closed`); you left it (`not_invited`)"
        ),
        410: OpenApiResponse(
            description="The invitation expired (`invitation_expired`) or was withdrawn "
            "(`invitation_revoked`)"
        ),
    },
    summary="Accept an invitation to a team",
)

team_decline = extend_schema(
    request=None,
    responses={
        204: None,
        404: OpenApiResponse(description="No invitation"),
        409: OpenApiResponse(TEAM_ERROR, description="No invitation to decline (not_invited)"),
    },
    summary="Decline an invitation to a team",
)

team_leave = extend_schema(
    request=None,
    responses={
        204: None,
        404: OpenApiResponse(description="Not your team"),
        409: OpenApiResponse(TEAM_ERROR, description="Not a member of this team (not_member)"),
    },
    summary="Leave a team; the grams you grew stay in its tree",
)
