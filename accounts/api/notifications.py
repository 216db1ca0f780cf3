"""The inbox and the notification preferences."""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.schema import notifications as schema
from accounts.api.serializers.notifications import (
    NotificationPreferencesSerializer,
    NotificationSerializer,
)
from accounts.models import Notification
from accounts.services.users import profile_for, profile_update


class NotificationListApi(APIView):
    @schema.NOTIFICATION_LIST_GET
    def get(self, request) -> Response:
        rows = Notification.objects.filter(user=request.user).values(
            "id", "kind", "title", "body", "created_at", "read_at"
        )[:100]
        return Response(NotificationSerializer(rows, many=True).data)


class NotificationPreferencesApi(APIView):
    @schema.NOTIFICATION_PREFERENCES_GET
    def get(self, request) -> Response:
        return Response(NotificationPreferencesSerializer.represent(profile_for(request.user)))

    @schema.NOTIFICATION_PREFERENCES_PATCH
    def patch(self, request) -> Response:
        profile = profile_for(request.user)
        data = NotificationPreferencesSerializer(data=request.data, partial=True, profile=profile)
        data.is_valid(raise_exception=True)
        fields = data.validated_data["profile_fields"]
        if fields:
            profile = profile_update(user=request.user, **fields)
        return Response(NotificationPreferencesSerializer.represent(profile))
