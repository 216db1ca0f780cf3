"""Team invitations through the API: a team's list, inviting, withdrawing, joining by token."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import error_response
from core.throttling import ScopedRateThrottle, UserRateThrottle
from forest.api.schema import team_invitations as schema
from forest.api.serializers.teams import (
    TeamInvitationAcceptInputSerializer,
    TeamInvitationSerializer,
    TeamInviteInputSerializer,
)
from forest.api.teams import _InvitingApi, _team_body, _team_not_found
from forest.api.trees import _tree_error
from forest.models.trees import Team, TeamInvitation
from forest.selectors.teams import invitation_row, team_invitations_for_member
from forest.services.team_invitations import team_invitation_revoke, team_invite
from forest.services.team_joining import team_invitation_accept
from forest.services.trees import TreeError


def _invitation_rows(invitations, user_id: int) -> list[dict]:
    now = timezone.now()
    return TeamInvitationSerializer(  # type: ignore[return-value]  # stubs: many=True gives a list
        [invitation_row(i, viewer_id=user_id, now=now) for i in invitations], many=True
    ).data


class TeamInvitationListCreateApi(_InvitingApi):
    InputSerializer = TeamInviteInputSerializer

    @schema.team_invitations_list
    def get(self, request, team_id: int) -> Response:
        try:
            invitations = team_invitations_for_member(user_id=request.user.id, team_id=team_id)
        except Team.DoesNotExist:
            return _team_not_found()
        return Response(_invitation_rows(invitations, request.user.id))

    @schema.team_invite
    def post(self, request, team_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            invitations = team_invite(
                inviter_id=request.user.id,
                team_id=team_id,
                emails=data.validated_data["emails"],
                user_ids=data.validated_data["user_ids"],
            )
        except Team.DoesNotExist:
            return _team_not_found()
        except TreeError as exc:
            return _tree_error(exc)
        return Response(
            _invitation_rows(invitations, request.user.id), status=status.HTTP_201_CREATED
        )


class TeamInvitationRevokeApi(APIView):
    @schema.team_invitation_revoke
    def post(self, request, team_id: int, invitation_id: int) -> Response:
        try:
            invitation = team_invitation_revoke(
                user_id=request.user.id, team_id=team_id, invitation_id=invitation_id
            )
        except (Team.DoesNotExist, TeamInvitation.DoesNotExist):
            return _team_not_found()
        except TreeError as exc:
            return _tree_error(exc)
        return Response(_invitation_rows([invitation], request.user.id)[0])


class TeamInvitationAcceptApi(APIView):
    InputSerializer = TeamInvitationAcceptInputSerializer
    # Tokens are unguessable; the throttle keeps anyone from trying, as for signing in.
    throttle_classes = [UserRateThrottle, ScopedRateThrottle]
    throttle_scope = "auth"

    @schema.team_invitation_accept
    def post(self, request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            team = team_invitation_accept(
                user_id=request.user.id, token=data.validated_data["token"]
            )
        except TeamInvitation.DoesNotExist:
            return error_response(_("No such invitation."), code="not_found", status_code=404)
        except TreeError as exc:
            return _tree_error(exc)
        return Response(_team_body(request.user.id, team.id))
