"""OpenAPI decorations of the privacy API, applied in its view modules as ``@schema.<NAME>``."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from privacy.api.serializers import AccountDeleteInputSerializer, MeWithLevelSerializer


class DeleteWithBodySchema(AutoSchema):
    """drf-spectacular documents bodies for PUT, PATCH and POST only; DELETE /me has one
    (the password that confirms the deletion), so it is documented like a POST body."""

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


ME_DELETE = extend_schema(
    request=AccountDeleteInputSerializer,
    responses={
        204: OpenApiResponse(description="Deleted: personal data erased, logged out."),
        400: OpenApiResponse(description="No password, or not the current password."),
    },
    examples=[
        OpenApiExample(
            "Delete my account",
            value={"password": "groene-trein-2026"},
            request_only=True,
        ),
        OpenApiExample(
            "Wrong password",
            value={
                "detail": "The current password is not correct.",
                "code": "wrong_password",
            },
            response_only=True,
            status_codes=["400"],
        ),
    ],
    summary="Delete your account (GDPR article 17)",
    description=(
        "Confirm with your current password. Every linked feed is revoked (bank data "
        "erased, Plaid items removed), the e-mail address, names and city are erased, the "
        "inbox is deleted and every session ends. Green energy, trees and certificates stay, "
        "anonymous: a tree that was planted stays planted. See docs/privacy.md."
    ),
)

ME_EXPORT_GET = extend_schema(
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


ME_GET = extend_schema(
    responses=MeWithLevelSerializer,
    summary="The signed-in user, with their level and green streaks",
    examples=[
        OpenApiExample(
            "Me",
            value={
                "id": 7,
                "email": "sanne@example.nl",
                "display_name": "Sanne",
                "locale": "nl",
                "time_zone": "Europe/Amsterdam",
                "steal_opt_out": False,
                "date_joined": "2026-03-02T09:12:00Z",
                "email_verified": True,
                "level": {
                    "level": 3,
                    "name": "Jong boompje",
                    "energy_grams": 8120,
                    "trees": 1,
                    "next_level": 4,
                    "energy_grams_to_next": 11880,
                    "trees_to_next": 2,
                    "progress_percent": 0,
                },
                "streaks": {
                    "daily": {"current": 0, "best": 6},
                    "weekly": {"current": 2, "best": 4},
                },
            },
            response_only=True,
        )
    ],
)
