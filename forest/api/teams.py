"""Co-planting teams through the API: your teams, creating one, accepting, declining, leaving."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from core.api import error_response
from core.throttling import UserRateThrottle
from forest.api.schema import teams as schema
from forest.api.serializers.teams import TeamCreateInputSerializer, TeamSerializer
from forest.api.trees import _tree_error
from forest.models.trees import Team, TeamInvitation
from forest.selectors.teams import team_summary, teams_for_user
from forest.services.teams import team_accept, team_create, team_decline, team_leave
from forest.services.trees import TreeError


def _team_not_found() -> Response:
    return error_response(_("No such team."), code="not_found", status_code=404)


def _team_rows(teams, user_id: int) -> list[dict]:
    """``team_summary`` rows as the API shows them: invitees appear only as invitations.

    Listing invited people by name would tell the inviter which addresses have an account.
    """
    teams = list(teams)
    now = timezone.now()
    open_counts = dict(
        TeamInvitation.objects.pending(now)
        .filter(team_id__in=[t.id for t in teams])
        .values("team_id")
        .annotate(n=Count("id"))
        .values_list("team_id", "n")
    )
    rows = []
    for team in teams:
        row = team_summary(team, user_id=user_id)
        row["members"] = [m for m in row["members"] if m["status"] == "active" or m["you"]]
        row["open_invitations"] = open_counts.get(team.id, 0)
        rows.append(row)
    return rows


def _team_body(user_id: int, team_id: int) -> dict:
    return TeamSerializer(_team_rows([teams_for_user(user_id).get(pk=team_id)], user_id)[0]).data


class TeamInviteThrottle(UserRateThrottle):
    """Invitations send e-mail to any address: at most ``team_invite`` requests per user.

    The rate can be set as ``DEFAULT_THROTTLE_RATES["team_invite"]``; until then the default.
    """

    scope = "team_invite"
    DEFAULT_RATE = "20/hour"

    def get_rate(self) -> str:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or self.DEFAULT_RATE  # type: ignore[return-value]  # stubs: rates are "n/period" strings


class _InvitingApi(APIView):
    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method == "POST":
            throttles.append(TeamInviteThrottle())
        return throttles


class TeamListCreateApi(_InvitingApi):
    InputSerializer = TeamCreateInputSerializer

    @schema.teams_list
    def get(self, request) -> Response:
        teams = teams_for_user(request.user.id)[:50]
        return Response(TeamSerializer(_team_rows(teams, request.user.id), many=True).data)

    @schema.team_create
    def post(self, request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            team = team_create(
                creator_id=request.user.id,
                name=data.validated_data["name"],
                emails=data.validated_data["invite_emails"],
                user_ids=data.validated_data["invite_user_ids"],
            )
        except TreeError as exc:
            return _tree_error(exc)
        return Response(_team_body(request.user.id, team.id), status=status.HTTP_201_CREATED)


class TeamDetailApi(APIView):
    @schema.team_detail
    def get(self, request, team_id: int) -> Response:
        team = teams_for_user(request.user.id).filter(pk=team_id).first()
        if team is None:
            return _team_not_found()
        return Response(TeamSerializer(_team_rows([team], request.user.id)[0]).data)


class _TeamActionApi(APIView):
    service: Callable[..., object] = staticmethod(team_accept)

    def post(self, request, team_id: int) -> Response:
        try:
            self.service(user_id=request.user.id, team_id=team_id)
        except Team.DoesNotExist:
            return _team_not_found()
        except TreeError as exc:
            return _tree_error(exc)
        team = teams_for_user(request.user.id).filter(pk=team_id).first()
        if team is None:  # declined or left: nothing more to show
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(TeamSerializer(_team_rows([team], request.user.id)[0]).data)


@schema.team_accept
class TeamAcceptApi(_TeamActionApi):
    service = staticmethod(team_accept)


@schema.team_decline
class TeamDeclineApi(_TeamActionApi):
    service = staticmethod(team_decline)


@schema.team_leave
class TeamLeaveApi(_TeamActionApi):
    service = staticmethod(team_leave)
