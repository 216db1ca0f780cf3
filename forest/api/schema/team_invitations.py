"""OpenAPI decorations of the team invitation views (forest.api.team_invitations)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema

from forest.api.schema.teams import (
    INVITATION_EXAMPLE,
    TEAM_EXAMPLE,
    THROTTLED,
    error_example,
    team_error,
)
from forest.api.serializers.teams import (
    TeamInvitationAcceptInputSerializer,
    TeamInvitationSerializer,
    TeamInviteInputSerializer,
    TeamSerializer,
)

team_invitations_list = extend_schema(
    responses={
        200: TeamInvitationSerializer(many=True),
        404: team_error("Not a team you are an active member of"),
    },
    summary="Your team's invitations, newest first",
    description=(
        "For active members. Addresses you invited are shown in full, other members' "
        "invitees masked (`b***@e***.nl`); an invitation by user shows the display name. "
        "A pending invitation past `expires_at` is shown as `expired`."
    ),
    examples=[OpenApiExample("Invitations", value=[INVITATION_EXAMPLE], response_only=True)],
)

team_invite = extend_schema(
    request=TeamInviteInputSerializer,
    responses={
        201: TeamInvitationSerializer(many=True),
        400: team_error(
            "Nobody to invite (`no_invitees`), an unknown user id "
            "(`unknown_invitee`) or a user already in the team (`already_member`)"
        ),
        404: team_error("Not a team you are an active member of"),
        409: team_error(
            "Over 10 with members and open invitations (`too_many_members`), "
            "or the team's tree is fully grown (`team_closed`)",
            error_example(
                "Full",
                "A team has at most 10 members, you and open invitations included.",
                "too_many_members",
            ),
        ),
        429: THROTTLED,
    },
    summary="Invite more people to your team",
    description=(
        "Any active member may invite while the team has no fully grown tree. Each "
        "invitation holds a seat for 14 days. The answer is the same whether or not an "
        "address has an account; an address already invited is not sent a second message "
        "(its open invitation is returned)."
    ),
    examples=[
        OpenApiExample("Invite", value={"emails": ["bram@example.nl"]}, request_only=True),
        OpenApiExample(
            "Invited", value=[INVITATION_EXAMPLE], response_only=True, status_codes=[201]
        ),
    ],
)

team_invitation_revoke = extend_schema(
    request=None,
    responses={
        200: TeamInvitationSerializer,
        403: team_error("Someone else sent it (`not_inviter`)"),
        404: team_error("Not your team, or no such invitation in it"),
        409: team_error("Not pending any more (`not_pending`)"),
    },
    summary="Withdraw an invitation you sent",
    examples=[
        OpenApiExample(
            "Revoked",
            value={
                **INVITATION_EXAMPLE,
                "status": "revoked",
                "responded_at": "2026-11-26T09:00:00Z",
            },
            response_only=True,
        )
    ],
)

team_invitation_accept = extend_schema(
    request=TeamInvitationAcceptInputSerializer,
    responses={
        200: TeamSerializer,
        403: team_error(
            "Your account's e-mail is not the invited address (`email_mismatch`)",
            error_example(
                "Other address",
                "This invitation was sent to b***@e***.nl; sign in with that address to accept it.",
                "email_mismatch",
            ),
        ),
        404: team_error("Unknown token"),
        409: team_error(
            "Accepted already (`invitation_used`), declined "
            "(`invitation_declined`), the team is full (`team_full`) or its tree is "
            "fully grown (`team_closed`)",
            error_example(
                "Used",
                "This invitation has been accepted already.",
                "invitation_used",
            ),
        ),
        410: team_error(
            "Expired (`invitation_expired`) or withdrawn (`invitation_revoked`)",
            error_example(
                "Expired",
                "This invitation has expired; ask the team for a new one.",
                "invitation_expired",
            ),
        ),
        429: team_error("Over the `auth` throttle (10 a minute)"),
    },
    summary="Join a team with the token from an invitation e-mail",
    description=(
        "For people invited by e-mail who signed up afterwards. The token works once, for "
        "14 days, and only for an account whose e-mail is the invited address."
    ),
    examples=[
        OpenApiExample(
            "Accept",
            value={"token": "q5V0x2vJ3cQ4m0Yv8o7m1c9bS7nE2Hk4xT6uW8yZ1aA"},
            request_only=True,
        ),
        OpenApiExample(
            "Joined",
            value={
                **TEAM_EXAMPLE,
                "members": [
                    {"name": "Anna", "status": "active", "you": False},
                    {"name": "Bram", "status": "active", "you": True},
                ],
                "open_invitations": 1,
            },
            response_only=True,
        ),
    ],
)
