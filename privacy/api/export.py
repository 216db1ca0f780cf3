"""GET /me/export: the user's data as one JSON file, streamed."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from privacy.export import user_export_chunks, user_export_filename


class ExportRateThrottle(UserRateThrottle):
    """An export reads everything the user has: five an hour is plenty for a person."""

    scope = "data_export"
    rate = "5/hour"


class MeExportApi(APIView):
    throttle_classes = [ExportRateThrottle]

    @extend_schema(
        responses={
            (200, "application/json"): OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description=(
                    "A JSON file (Content-Disposition: attachment) with everything Canopy holds "
                    "about you: profile, feeds and consents, imports, transactions with their "
                    "green action, green actions, drops, ledger, balances, trees, contributions, "
                    "planting orders, certificates, teams, invitations and notifications. "
                    "Never a bank access token."
                ),
                examples=[
                    OpenApiExample(
                        "Export",
                        value={
                            "format": "canopy-export/1",
                            "generated_at": "2026-11-25T10:02:11Z",
                            "profile": {"id": 42, "email": "sanne@example.nl"},
                            "feeds": [{"id": 12, "provider": "sandbox", "status": "active"}],
                            "transactions": [
                                {
                                    "id": 901,
                                    "amount": "-4.35",
                                    "merchant_name": "NS Groep",
                                    "green_action": {"action_type": "rail", "grams": 512},
                                }
                            ],
                            "ledger": [{"id": 3, "account": "drops", "kind": "earn"}],
                            "certificates": [
                                {
                                    "number": "CAN-2026-000123",
                                    "verification_url": "https://canopy.example/certificates/…",
                                }
                            ],
                        },
                    )
                ],
            ),
        },
        summary="Download your data (GDPR article 20)",
    )
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
