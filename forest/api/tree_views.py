"""Trees through the API: species, forests, starting, growing and moving a tree, certificates."""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import error_response
from forest.api.tree_serializers import (
    ForestSerializer,
    SpeciesSerializer,
    TeamCreateInputSerializer,
    TeamSerializer,
    TreeActionResultSerializer,
    TreeGrowInputSerializer,
    TreeImpactSerializer,
    TreeMoveInputSerializer,
    TreeSerializer,
    TreeStartInputSerializer,
)
from forest.models import Tree
from forest.models.trees import Team
from forest.selectors import balances_for_user
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
from partners.forest_selectors import forests_open_list


def _locale() -> str:
    return (get_language() or "en")[:2]


def _tree_error(exc: TreeError) -> Response:
    return error_response(str(exc), code=exc.code, status_code=exc.status)


def _not_found() -> Response:
    return error_response("No such tree.", code="not_found", status_code=404)


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
                    "Idempotency-Key must be a UUID.", code="invalid", status_code=400
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
                "No certificate: the tree is not planted yet.", code="not_found", status_code=404
            )
        url = request.build_absolute_uri(f"/certificates/{certificate.number}")
        png = certificate_png(certificate, verification_url=url, locale=_locale())
        response = HttpResponse(png, content_type="image/png")
        response["Content-Disposition"] = f'inline; filename="{certificate.number}.png"'
        response["Cache-Control"] = "private, max-age=3600"
        return response


def _team_not_found() -> Response:
    return error_response("No such team.", code="not_found", status_code=404)


def _team_body(user_id: int, team_id: int) -> dict:
    return TeamSerializer(
        team_summary(teams_for_user(user_id).get(pk=team_id), user_id=user_id)
    ).data


class TeamListCreateApi(APIView):
    InputSerializer = TeamCreateInputSerializer

    @extend_schema(responses=TeamSerializer(many=True), summary="Your teams and invitations")
    def get(self, request) -> Response:
        teams = teams_for_user(request.user.id)[:50]
        return Response(
            TeamSerializer(
                [team_summary(t, user_id=request.user.id) for t in teams], many=True
            ).data
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            201: TeamSerializer,
            400: OpenApiResponse(description="Unknown invitee; fewer than 2 or more than 10"),
        },
        summary="Create a co-planting team and invite 1 to 9 friends",
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
        return Response(TeamSerializer(team_summary(team, user_id=request.user.id)).data)


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
        return Response(TeamSerializer(team_summary(team, user_id=request.user.id)).data)


@extend_schema(
    request=None,
    responses={200: TeamSerializer, 404: OpenApiResponse(description="No invitation")},
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
