"""Trees through the API: species, forests, starting, growing and moving a tree, certificates."""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import error_response
from forest.api.schema import trees as schema
from forest.api.serializers.trees import (
    SpeciesSerializer,
    TreeActionResultSerializer,
    TreeGrowInputSerializer,
    TreeImpactSerializer,
    TreeMoveInputSerializer,
    TreeSerializer,
    TreeStartInputSerializer,
)
from forest.models import Tree
from forest.selectors.certificates import certificate_for_owner
from forest.selectors.energy import balances_for_user
from forest.selectors.trees import (
    species_list,
    tree_contributions,
    tree_counts_for_user,
    tree_summary,
    trees_for_user,
)
from forest.services.certificates import certificate_png
from forest.services.holds import EnergyOnHold, hold_body
from forest.services.trees import GrowResult, TreeError, tree_grow, tree_move, tree_start


def _locale() -> str:
    return (get_language() or "en")[:2]


def _tree_error(exc: TreeError) -> Response:
    return error_response(str(exc), code=exc.code, status_code=exc.status)


def _on_hold() -> Response:
    return Response(hold_body(), status=status.HTTP_403_FORBIDDEN)


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
    @schema.species_list
    def get(self, request) -> Response:
        return Response(
            SpeciesSerializer(species_list(), many=True, context={"locale": _locale()}).data
        )


class TreeListCreateApi(APIView):
    InputSerializer = TreeStartInputSerializer

    @schema.trees_list
    def get(self, request) -> Response:
        trees = trees_for_user(request.user.id)[:100]
        return Response(TreeSerializer(_summaries(request.user.id, trees), many=True).data)

    @schema.tree_start
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
        except EnergyOnHold:
            return _on_hold()
        body = TreeSerializer(_fresh_summary(request.user.id, tree.id)).data
        return Response(body, status=status.HTTP_201_CREATED)


class TreeImpactApi(APIView):
    @schema.trees_impact
    def get(self, request) -> Response:
        return Response(TreeImpactSerializer(tree_counts_for_user(request.user.id)).data)


class TreeGrowApi(APIView):
    InputSerializer = TreeGrowInputSerializer

    @schema.tree_grow
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
        except EnergyOnHold:
            return _on_hold()
        return Response(_action_body(request.user.id, result))


class TreeMoveApi(APIView):
    InputSerializer = TreeMoveInputSerializer

    @schema.tree_move
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
        except EnergyOnHold:
            return _on_hold()
        return Response(_action_body(request.user.id, result))


class TreeCertificatePngApi(APIView):
    @schema.tree_certificate_png
    def get(self, request, tree_id: int):
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
