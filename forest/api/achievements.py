"""Badges and challenges for the app: thin views over their services and selectors."""

from __future__ import annotations

from django.utils.translation import gettext
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import error_response
from forest.api.schema import achievements as schema
from forest.api.serializers.achievements import BadgeSerializer, ChallengeSerializer
from forest.selectors.achievements import badges_for_user, challenges_for_user
from forest.services.challenges import ChallengeNotOpen, challenge_join


class BadgeListApi(APIView):
    @schema.badges
    def get(self, request) -> Response:
        return Response(BadgeSerializer(badges_for_user(request.user.id), many=True).data)


class ChallengeListApi(APIView):
    @schema.challenges
    def get(self, request) -> Response:
        return Response(ChallengeSerializer(challenges_for_user(request.user.id), many=True).data)


class ChallengeJoinApi(APIView):
    @schema.challenge_join
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
