"""GET /me/export: the user's data as one JSON file, streamed."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.urls import reverse
from rest_framework.views import APIView

from core.throttling import UserRateThrottle
from privacy.api import schema
from privacy.export import user_export_chunks, user_export_filename


class ExportRateThrottle(UserRateThrottle):
    """An export reads everything the user has: five an hour is plenty for a person."""

    scope = "data_export"
    rate = "5/hour"


class MeExportApi(APIView):
    throttle_classes = [ExportRateThrottle]

    @schema.ME_EXPORT_GET
    def get(self, request) -> StreamingHttpResponse:
        def verification_url(number: str) -> str:
            return request.build_absolute_uri(reverse("certificate-public", args=[number]))

        response = StreamingHttpResponse(
            user_export_chunks(user=request.user, verification_url=verification_url),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{user_export_filename(request.user)}"'
        )
        response["Cache-Control"] = "no-store"
        return response
