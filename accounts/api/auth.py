"""Consumer authentication for the mobile app.

JWT through djangorestframework-simplejwt: short-lived access tokens (15 min) need no
database hit per request, refresh tokens rotate and are blacklisted on rotation and on
log-out, so a stolen refresh token stops working once the real app refreshes.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext, gettext_noop
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.api.schema import auth as schema
from accounts.api.serializers.users import (
    EmailVerifyInputSerializer,
    LogoutInputSerializer,
    MeSerializer,
    RegisterInputSerializer,
)
from accounts.services.email_verification import VerificationInvalid, email_verify
from accounts.services.users import EmailTaken, profile_for, user_register
from core.api import error_response
from core.throttling import BaseThrottle, ScopedRateThrottle, SimpleRateThrottle

# djangorestframework-simplejwt ships Dutch only as nl_NL, which Django's "nl" never loads.
# Marking its user-facing messages here puts them in Canopy's own catalogue (locale/nl), so
# log-in, refresh, log-out and bearer-token errors answer in Dutch too. Same msgids as simplejwt.
SIMPLEJWT_MESSAGES = (
    gettext_noop("No active account found with the given credentials"),
    gettext_noop("No active account found for the given token."),
    gettext_noop("Authorization header must contain two space-delimited values"),
    gettext_noop("Given token not valid for any token type"),
    gettext_noop("Token contained no recognizable user identification"),
    gettext_noop("User not found"),
    gettext_noop("User is inactive"),
    gettext_noop("The user's password has been changed."),
    gettext_noop("Token is invalid"),
    gettext_noop("Token is expired"),
    gettext_noop("Token is invalid or expired"),
    gettext_noop("Token is blacklisted"),
    gettext_noop("Token has no id"),
    gettext_noop("Token has no type"),
    gettext_noop("Token has wrong type"),
    gettext_noop("Token has no '{}' claim"),
    gettext_noop("Token '{}' claim has expired"),
)


class AuthThrottleMixin:
    throttle_classes: Sequence[type[BaseThrottle]] = [ScopedRateThrottle]
    throttle_scope = "auth"


class RegisterApi(AuthThrottleMixin, APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @schema.REGISTER_POST
    def post(self, request) -> Response:
        data = RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user_register(**data.validated_data)
        except EmailTaken as taken:
            if taken.user_id is not None:  # its owner hears of it; the caller learns nothing
                from accounts.tasks import registration_attempt_task

                user_id = taken.user_id
                transaction.on_commit(lambda: registration_attempt_task.delay(user_id))
        # The same answer for a new and a registered address: no tokens, no account id.
        return Response(
            {
                "detail": gettext(
                    "Check your e-mail to confirm the address, then log in with your password."
                ),
                "code": "verification_sent",
            },
            status=status.HTTP_202_ACCEPTED,
        )


class EmailVerifyApi(AuthThrottleMixin, APIView):
    """Confirm an address with the token from the verification e-mail (no log-in needed)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @schema.EMAIL_VERIFY_POST
    def post(self, request) -> Response:
        data = EmailVerifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = email_verify(token=data.validated_data["token"])
        except VerificationInvalid as exc:
            return error_response(str(exc), code="token_invalid", status_code=400)
        return Response(MeSerializer.represent(user, profile_for(user)))


class EmailVerificationResendThrottle(SimpleRateThrottle):
    scope = "email_verification"
    rate = "3/hour"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class EmailVerificationResendApi(APIView):
    """Mail the verification link again (at most three times an hour)."""

    throttle_classes = [EmailVerificationResendThrottle]

    @schema.EMAIL_VERIFICATION_RESEND_POST
    def post(self, request) -> Response:
        if request.user.email_verified_at is None:
            from accounts.tasks import email_verification_task

            user_id = request.user.pk
            transaction.on_commit(lambda: email_verification_task.delay(user_id))
        return Response(status=status.HTTP_202_ACCEPTED)


class LoginApi(AuthThrottleMixin, TokenObtainPairView):
    """Exchange e-mail and password for an access and a refresh token."""


class RefreshApi(AuthThrottleMixin, TokenRefreshView):
    """Exchange a refresh token for a new pair; the old refresh token is blacklisted."""


class LogoutApi(APIView):
    @schema.LOGOUT_POST
    def post(self, request) -> Response:
        data = LogoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            token = RefreshToken(data.validated_data["refresh"])
            if str(token.get("user_id")) != str(request.user.id):
                return error_response(
                    gettext("This refresh token is not yours."),
                    code="token_not_yours",
                    status_code=400,
                )
            token.blacklist()
        except TokenError as exc:
            return error_response(str(exc), code="token_invalid", status_code=400)
        return Response(status=status.HTTP_205_RESET_CONTENT)
