from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import (
    MeSerializer,
    NotificationSerializer,
    PasswordChangeInputSerializer,
)
from accounts.models import Notification
from accounts.services import password_change, profile_for, profile_update
from config.api import error_response


class MeApi(APIView):
    @extend_schema(responses=MeSerializer, summary="The signed-in user")
    def get(self, request) -> Response:
        return Response(MeSerializer.represent(request.user, profile_for(request.user)))

    @extend_schema(request=MeSerializer, responses=MeSerializer, summary="Change your profile")
    def patch(self, request) -> Response:
        data = MeSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        profile = profile_update(user=request.user, **data.validated_data)
        return Response(MeSerializer.represent(request.user, profile))


class PasswordChangeApi(APIView):
    @extend_schema(
        request=PasswordChangeInputSerializer, responses={204: None}, summary="Change password"
    )
    def post(self, request) -> Response:
        data = PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            password_change(user=request.user, **data.validated_data)
        except ValueError:  # the only ValueError password_change raises
            return error_response(
                gettext("The current password is not correct."),
                code="wrong_password",
                status_code=400,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationListApi(APIView):
    @extend_schema(responses=NotificationSerializer(many=True), summary="Your inbox")
    def get(self, request) -> Response:
        rows = Notification.objects.filter(user=request.user).values(
            "id", "kind", "title", "body", "created_at", "read_at"
        )[:100]
        return Response(NotificationSerializer(rows, many=True).data)
