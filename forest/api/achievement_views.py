"""Badges and challenges for the app: thin views over their services and selectors."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import error_response
from forest.api.achievement_serializers import BadgeSerializer, ChallengeSerializer
from forest.selectors.achievements import badges_for_user, challenges_for_user
from forest.services.challenges import ChallengeNotOpen, challenge_join

_CHALLENGE_EXAMPLE = {
    "id": 3,
    "code": "train-week",
    "title": "Take the train three times",
    "text": "Between 1 and 7 December, take the train three times.",
    "action_types": ["rail"],
    "target_kind": "count",
    "target": 3,
    "progress": 1,
    "starts_on": "2026-12-01",
    "ends_on": "2026-12-07",
    "bonus_grams": 100,
    "sponsor": None,
    "joined": True,
    "completed_at": None,
}


class BadgeListApi(APIView):
    @extend_schema(
        responses=BadgeSerializer(many=True),
        summary="Every badge, earned or not yet, with progress where it is a count",
        examples=[
            OpenApiExample(
                "Badges",
                value=[
                    {
                        "code": "first_green_action",
                        "name": "First green choice",
                        "description": "Your first green choice was recognised in your bank "
                        "transactions.",
                        "earned": True,
                        "earned_at": "2026-11-20T04:00:02Z",
                        "progress": {"current": 1, "target": 1},
                    },
                    {
                        "code": "rail_10",
                        "name": "Ten train trips",
                        "description": "You took the train ten times instead of the car.",
                        "earned": False,
                        "earned_at": None,
                        "progress": {"current": 4, "target": 10},
                    },
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request) -> Response:
        return Response(BadgeSerializer(badges_for_user(request.user.id), many=True).data)


class ChallengeListApi(APIView):
    @extend_schema(
        responses=ChallengeSerializer(many=True),
        summary="Open challenges with your progress",
        examples=[OpenApiExample("Challenges", value=[_CHALLENGE_EXAMPLE], response_only=True)],
    )
    def get(self, request) -> Response:
        return Response(ChallengeSerializer(challenges_for_user(request.user.id), many=True).data)


class ChallengeJoinApi(APIView):
    @extend_schema(
        request=None,
        responses={
            201: ChallengeSerializer,
            200: OpenApiResponse(ChallengeSerializer, description="Joined already"),
            404: OpenApiResponse(description="No such challenge open today"),
        },
        summary="Join an open challenge (joining again changes nothing)",
        examples=[OpenApiExample("Joined", value=_CHALLENGE_EXAMPLE, response_only=True)],
    )
    def post(self, request, challenge_id: int) -> Response:
        try:
            _, created = challenge_join(user_id=request.user.id, challenge_id=challenge_id)
        except ChallengeNotOpen:
            return error_response(
                gettext("No such challenge is open."), code="not_found", status_code=404
            )
        # Listed with the same selector, so the answer shows the progress made so far.
        body = challenges_for_user(request.user.id, only_id=challenge_id)
        if not body:  # the window closed in between
            return error_response(
                gettext("No such challenge is open."), code="not_found", status_code=404
            )
        return Response(
            ChallengeSerializer(body[0]).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
