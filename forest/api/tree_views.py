"""Trees through the API: species, forests, starting, growing and moving a tree, certificates."""

from __future__ import annotations

import uuid

from django.db.models import Count
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from core.api import error_response
from forest.api.tree_serializers import (
    ForestSerializer,
    SpeciesSerializer,
    TeamCreateInputSerializer,
    TeamInvitationAcceptInputSerializer,
    TeamInvitationSerializer,
    TeamInviteInputSerializer,
    TeamSerializer,
    TreeActionResultSerializer,
    TreeGrowInputSerializer,
    TreeImpactSerializer,
    TreeMoveInputSerializer,
    TreeSerializer,
    TreeStartInputSerializer,
)
from forest.models import Tree
from forest.models.trees import Team, TeamInvitation
from forest.selectors import balances_for_user
from forest.services.team_invitations import (
    invitation_row,
    team_invitation_accept,
    team_invitation_revoke,
    team_invitations_for_member,
    team_invite,
)
from forest.services.teams import team_accept, team_create, team_decline, team_leave
from forest.services.trees import GrowResult, TreeError, tree_grow, tree_move, tree_start
from forest.tree_selectors import (
    species_list,
    team_summary,
    teams_for_user,
    tree_contributions,
    tree_counts_for_user,
    tree_summary,
    trees_for_user,
)
from partners.selectors.forests import forests_open_list


def _locale() -> str:
    return (get_language() or "en")[:2]


def _tree_error(exc: TreeError) -> Response:
    return error_response(str(exc), code=exc.code, status_code=exc.status)


def _not_found() -> Response:
    return error_response(_("No such tree."), code="not_found", status_code=404)


def _summaries(user_id: int, trees) -> list[dict]:
    trees = list(trees)
    shares = tree_contributions(trees, user_id=user_id)
    return [tree_summary(t, locale=_locale(), contributions=shares.get(t.id)) for t in trees]


def _fresh_summary(user_id: int, tree_id: int) -> dict:
    return _summaries(user_id, [trees_for_user(user_id).get(pk=tree_id)])[0]


def _action_body(user_id: int, result: GrowResult) -> dict:
    return TreeActionResultSerializer(
        {
            "tree": _fresh_summary(user_id, result.tree.id),
            "grown_grams": result.grams,
            "balance_grams": balances_for_user(user_id)["balance"],
            "matured": result.tree.status != Tree.Status.GROWING,
            "funded": result.funded,
            "message": result.message,
        }
    ).data


class SpeciesListApi(APIView):
    @extend_schema(responses=SpeciesSerializer(many=True), summary="Species you can grow")
    def get(self, request) -> Response:
        return Response(
            SpeciesSerializer(species_list(), many=True, context={"locale": _locale()}).data
        )


class ForestListApi(APIView):
    @extend_schema(
        responses=ForestSerializer(many=True),
        summary="Open brand forests with room left, and the species they plant",
    )
    def get(self, request) -> Response:
        forests = forests_open_list()
        return Response(ForestSerializer(forests, many=True, context={"locale": _locale()}).data)


class TreeListCreateApi(APIView):
    InputSerializer = TreeStartInputSerializer

    @extend_schema(responses=TreeSerializer(many=True), summary="Your trees, newest first")
    def get(self, request) -> Response:
        trees = trees_for_user(request.user.id)[:100]
        return Response(TreeSerializer(_summaries(request.user.id, trees), many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: TreeSerializer,
            400: OpenApiResponse(description="Unknown species or forest; species not offered"),
            404: OpenApiResponse(description="No such team of yours"),
            409: OpenApiResponse(
                description="Already growing a tree; forest not open; team under two members"
            ),
        },
        summary="Start growing a tree (personal, or your team's with `team`)",
    )
    def post(self, request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            tree = tree_start(
                user_id=request.user.id,
                species_id=data.validated_data["species"],
                forest_id=data.validated_data["forest"],
                team_id=data.validated_data.get("team"),
            )
        except TreeError as exc:
            return _tree_error(exc)
        body = TreeSerializer(_fresh_summary(request.user.id, tree.id)).data
        return Response(body, status=status.HTTP_201_CREATED)


class TreeImpactApi(APIView):
    @extend_schema(
        responses=TreeImpactSerializer, summary="Your trees grown, planted and surviving"
    )
    def get(self, request) -> Response:
        return Response(TreeImpactSerializer(tree_counts_for_user(request.user.id)).data)


class TreeGrowApi(APIView):
    InputSerializer = TreeGrowInputSerializer

    @extend_schema(
        request=InputSerializer,
        responses={
            200: TreeActionResultSerializer,
            404: OpenApiResponse(description="No such tree of yours"),
            409: OpenApiResponse(description="Not enough energy, or the tree is fully grown"),
        },
        summary="Grow your tree with collected energy",
    )
    def post(self, request, tree_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        request_id = data.validated_data.get("request_id") or request.headers.get("Idempotency-Key")
        if request_id is not None:
            try:  # a UUID, so it can never collide with the counter keys of plain requests
                request_id = str(uuid.UUID(str(request_id)))
            except ValueError:
                return error_response(
                    _("Idempotency-Key must be a UUID."), code="invalid", status_code=400
                )
        try:
            result = tree_grow(
                user_id=request.user.id,
                tree_id=tree_id,
                grams=data.validated_data.get("grams"),
                request_key=request_id,
            )
        except Tree.DoesNotExist:
            return _not_found()
        except TreeError as exc:
            return _tree_error(exc)
        return Response(_action_body(request.user.id, result))


class TreeMoveApi(APIView):
    InputSerializer = TreeMoveInputSerializer

    @extend_schema(
        request=InputSerializer,
        responses={
            200: TreeActionResultSerializer,
            404: OpenApiResponse(description="No such tree of yours"),
        },
        summary="Move your tree to another forest (a matured tree is funded there if it can be)",
    )
    def post(self, request, tree_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = tree_move(
                user_id=request.user.id, tree_id=tree_id, forest_id=data.validated_data["forest"]
            )
        except Tree.DoesNotExist:
            return _not_found()
        except TreeError as exc:
            return _tree_error(exc)
        return Response(_action_body(request.user.id, result))


class TreeCertificatePngApi(APIView):
    @extend_schema(
        responses={
            (200, "image/png"): OpenApiResponse(description="The planting certificate"),
            404: OpenApiResponse(description="No such tree of yours, or not planted yet"),
        },
        summary="Your tree's planting certificate as a PNG",
    )
    def get(self, request, tree_id: int):
        from forest.certificates import certificate_for_owner, certificate_png

        certificate = certificate_for_owner(user_id=request.user.id, tree_id=tree_id)
        if certificate is None:
            return error_response(
                _("No certificate: the tree is not planted yet."),
                code="not_found",
                status_code=404,
            )
        url = request.build_absolute_uri(f"/certificates/{certificate.number}")
        png = certificate_png(certificate, verification_url=url, locale=_locale())
        response = HttpResponse(png, content_type="image/png")
        response["Content-Disposition"] = f'inline; filename="{certificate.number}.png"'
        response["Cache-Control"] = "private, max-age=3600"
        return response


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
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or self.DEFAULT_RATE


class _InvitingApi(APIView):
    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method == "POST":
            throttles.append(TeamInviteThrottle())
        return throttles


_THROTTLED = OpenApiResponse(
    description="Over the `team_invite` throttle (20 invitation requests an hour per user)"
)
_TEAM_EXAMPLE = {
    "id": 12,
    "name": "Buren",
    "your_status": "active",
    "growing_tree": None,
    "members": [{"name": "Anna", "status": "active", "you": True}],
    "open_invitations": 2,
    "created_at": "2026-11-25T10:00:00Z",
}
_INVITATION_EXAMPLE = {
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


_TEAM_ERROR = inline_serializer(
    "TeamError", {"detail": serializers.CharField(), "code": serializers.CharField()}
)


def _error_example(name: str, detail: str, code: str) -> OpenApiExample:
    return OpenApiExample(name, value={"detail": detail, "code": code}, response_only=True)


def _error(description: str, *examples: OpenApiExample) -> OpenApiResponse:
    return OpenApiResponse(_TEAM_ERROR, description=description, examples=list(examples) or None)


class TeamListCreateApi(_InvitingApi):
    InputSerializer = TeamCreateInputSerializer

    @extend_schema(responses=TeamSerializer(many=True), summary="Your teams and invitations")
    def get(self, request) -> Response:
        teams = teams_for_user(request.user.id)[:50]
        return Response(TeamSerializer(_team_rows(teams, request.user.id), many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: TeamSerializer,
            400: OpenApiResponse(description="Unknown user id; fewer than 2 or more than 10"),
            429: _THROTTLED,
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
            OpenApiExample("Created", value=_TEAM_EXAMPLE, response_only=True, status_codes=[201]),
        ],
    )
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
    @extend_schema(
        responses={200: TeamSerializer, 404: OpenApiResponse(description="Not your team")},
        summary="One of your teams, or a team you are invited to",
    )
    def get(self, request, team_id: int) -> Response:
        team = teams_for_user(request.user.id).filter(pk=team_id).first()
        if team is None:
            return _team_not_found()
        return Response(TeamSerializer(_team_rows([team], request.user.id)[0]).data)


class _TeamActionApi(APIView):
    service = staticmethod(team_accept)

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


@extend_schema(
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
class TeamAcceptApi(_TeamActionApi):
    service = staticmethod(team_accept)


@extend_schema(
    request=None,
    responses={204: None, 404: OpenApiResponse(description="No invitation")},
    summary="Decline an invitation to a team",
)
class TeamDeclineApi(_TeamActionApi):
    service = staticmethod(team_decline)


@extend_schema(
    request=None,
    responses={204: None, 404: OpenApiResponse(description="Not your team")},
    summary="Leave a team; the grams you grew stay in its tree",
)
class TeamLeaveApi(_TeamActionApi):
    service = staticmethod(team_leave)


def _invitation_rows(invitations, user_id: int) -> list[dict]:
    now = timezone.now()
    return TeamInvitationSerializer(
        [invitation_row(i, viewer_id=user_id, now=now) for i in invitations], many=True
    ).data


class TeamInvitationListCreateApi(_InvitingApi):
    InputSerializer = TeamInviteInputSerializer

    @extend_schema(
        responses={
            200: TeamInvitationSerializer(many=True),
            404: _error("Not a team you are an active member of"),
        },
        summary="Your team's invitations, newest first",
        description=(
            "For active members. Addresses you invited are shown in full, other members' "
            "invitees masked (`b***@e***.nl`); an invitation by user shows the display name. "
            "A pending invitation past `expires_at` is shown as `expired`."
        ),
        examples=[OpenApiExample("Invitations", value=[_INVITATION_EXAMPLE], response_only=True)],
    )
    def get(self, request, team_id: int) -> Response:
        try:
            invitations = team_invitations_for_member(user_id=request.user.id, team_id=team_id)
        except Team.DoesNotExist:
            return _team_not_found()
        return Response(_invitation_rows(invitations, request.user.id))

    @extend_schema(
        request=InputSerializer,
        responses={
            201: TeamInvitationSerializer(many=True),
            400: _error(
                "Nobody to invite (`no_invitees`), an unknown user id "
                "(`unknown_invitee`) or a user already in the team (`already_member`)"
            ),
            404: _error("Not a team you are an active member of"),
            409: _error(
                "Over 10 with members and open invitations (`too_many_members`), "
                "or the team's tree is fully grown (`team_closed`)",
                _error_example(
                    "Full",
                    "A team has at most 10 members, you and open invitations included.",
                    "too_many_members",
                ),
            ),
            429: _THROTTLED,
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
                "Invited", value=[_INVITATION_EXAMPLE], response_only=True, status_codes=[201]
            ),
        ],
    )
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
    @extend_schema(
        request=None,
        responses={
            200: TeamInvitationSerializer,
            403: _error("Someone else sent it (`not_inviter`)"),
            404: _error("Not your team, or no such invitation in it"),
            409: _error("Not pending any more (`not_pending`)"),
        },
        summary="Withdraw an invitation you sent",
        examples=[
            OpenApiExample(
                "Revoked",
                value={
                    **_INVITATION_EXAMPLE,
                    "status": "revoked",
                    "responded_at": "2026-11-26T09:00:00Z",
                },
                response_only=True,
            )
        ],
    )
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

    @extend_schema(
        request=InputSerializer,
        responses={
            200: TeamSerializer,
            403: _error(
                "Your account's e-mail is not the invited address (`email_mismatch`)",
                _error_example(
                    "Other address",
                    "This invitation was sent to b***@e***.nl; sign in with that address "
                    "to accept it.",
                    "email_mismatch",
                ),
            ),
            404: _error("Unknown token"),
            409: _error(
                "Accepted already (`invitation_used`), declined "
                "(`invitation_declined`), the team is full (`team_full`) or its tree is "
                "fully grown (`team_closed`)",
                _error_example(
                    "Used",
                    "This invitation has been accepted already.",
                    "invitation_used",
                ),
            ),
            410: _error(
                "Expired (`invitation_expired`) or withdrawn (`invitation_revoked`)",
                _error_example(
                    "Expired",
                    "This invitation has expired; ask the team for a new one.",
                    "invitation_expired",
                ),
            ),
            429: _error("Over the `auth` throttle (10 a minute)"),
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
                    **_TEAM_EXAMPLE,
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
