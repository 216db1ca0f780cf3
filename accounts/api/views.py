from __future__ import annotations

from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from accounts.api.serializers import (
    AccountDeleteInputSerializer,
    MeSerializer,
    NotificationPreferencesSerializer,
    NotificationSerializer,
    PasswordChangeInputSerializer,
)
from accounts.erasure import WrongPassword, account_delete
from accounts.export import user_export_chunks, user_export_filename
from accounts.models import Notification
from accounts.services.users import password_change, profile_for, profile_update
from core.api import error_response


class AccountDeleteThrottle(SimpleRateThrottle):
    """Password confirmations are limited like log-ins (the ``auth`` rate), per user."""

    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": "account_delete", "ident": request.user.pk}


class _DeleteWithBodySchema(AutoSchema):
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


class MeApi(APIView):
    schema = _DeleteWithBodySchema()

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method == "DELETE":
            throttles.append(AccountDeleteThrottle())
        return throttles

    @extend_schema(responses=MeSerializer, summary="The signed-in user")
    def get(self, request) -> Response:
        return Response(MeSerializer.represent(request.user, profile_for(request.user)))

    @extend_schema(request=MeSerializer, responses=MeSerializer, summary="Change your profile")
    def patch(self, request) -> Response:
        data = MeSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        profile = profile_update(user=request.user, **data.validated_data)
        return Response(MeSerializer.represent(request.user, profile))

    @extend_schema(
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
    def delete(self, request) -> Response:
        data = AccountDeleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            account_delete(user=request.user, password=data.validated_data["password"])
        except WrongPassword:
            return error_response(
                gettext("The current password is not correct."),
                code="wrong_password",
                status_code=400,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


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


_PREFERENCES_EXAMPLE = {
    "channels": {"inbox": True, "email": True, "push": True},
    "topics": {"consent": True, "energy": True, "trees": True, "teams": True, "sponsors": False},
    "quiet_hours": {
        "enabled": True,
        "start": "22:00",
        "end": "08:00",
        "time_zone": "Europe/Amsterdam",
    },
}


class NotificationPreferencesApi(APIView):
    @extend_schema(
        responses=NotificationPreferencesSerializer,
        summary="How and when Canopy may reach you",
        examples=[OpenApiExample("Defaults", value=_PREFERENCES_EXAMPLE, response_only=True)],
    )
    def get(self, request) -> Response:
        return Response(NotificationPreferencesSerializer.represent(profile_for(request.user)))

    @extend_schema(
        request=NotificationPreferencesSerializer,
        responses={
            200: NotificationPreferencesSerializer,
            400: OpenApiResponse(description="Invalid preferences, with a message per field."),
        },
        summary="Change notification preferences",
        description=(
            "Send only what changes. The inbox and consent reminders cannot be switched off "
            "(consent reminders are legally required and also go by e-mail). Sponsor news is "
            "marketing: off until you opt in. Quiet hours are local times in your profile's "
            "time zone and may span midnight (22:00 to 08:00); e-mails and pushes wait until "
            "they end."
        ),
        examples=[
            OpenApiExample(
                "Opt in to sponsor news, quiet from 23:00 to 07:30",
                value={
                    "topics": {"sponsors": True},
                    "quiet_hours": {"start": "23:00", "end": "07:30"},
                },
                request_only=True,
            ),
            OpenApiExample(
                "No e-mail except what the law requires",
                value={"channels": {"email": False}},
                request_only=True,
            ),
            OpenApiExample(
                "Consent reminders cannot be switched off",
                value={
                    "topics": {
                        "consent": [
                            "Consent reminders are required by law and cannot be switched off."
                        ]
                    }
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def patch(self, request) -> Response:
        profile = profile_for(request.user)
        data = NotificationPreferencesSerializer(data=request.data, partial=True, profile=profile)
        data.is_valid(raise_exception=True)
        fields = data.validated_data["profile_fields"]
        if fields:
            profile = profile_update(user=request.user, **fields)
        return Response(NotificationPreferencesSerializer.represent(profile))
