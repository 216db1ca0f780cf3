"""DELETE /me: the user deletes their account, confirming with their password."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from accounts.api.users import MeApi as AccountsMeApi
from core.api import error_response
from privacy.api.serializers import AccountDeleteInputSerializer
from privacy.erasure import WrongPassword, account_delete


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


class MeApi(AccountsMeApi):
    """The accounts app's GET and PATCH /me, and DELETE: the erasure across every app."""

    schema = _DeleteWithBodySchema()

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method == "DELETE":
            throttles.append(AccountDeleteThrottle())
        return throttles

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
