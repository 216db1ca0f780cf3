"""The signed-in user: profile and password (DELETE /me, the erasure, is ``privacy.api``)."""

from __future__ import annotations

from django.contrib.auth import update_session_auth_hash
from django.utils.translation import gettext
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.api.schema import users as schema
from accounts.api.serializers.users import MeSerializer, PasswordChangeInputSerializer
from accounts.services.users import password_change, profile_for, profile_update
from core.api import error_response
from core.throttling import SimpleRateThrottle


class PasswordCheckThrottle(SimpleRateThrottle):
    """Every request that checks the current password is limited like log-ins (the ``auth``
    rate), per user, so a stolen access token cannot be used to guess the password."""

    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": "password_check", "ident": request.user.pk}


class MeApi(APIView):
    # GET and PATCH; privacy.api.erasure.MeApi adds DELETE and is the one routed.
    @schema.ME_GET
    def get(self, request) -> Response:
        return Response(MeSerializer.represent(request.user, profile_for(request.user)))

    @schema.ME_PATCH
    def patch(self, request) -> Response:
        data = MeSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        profile = profile_update(user=request.user, **data.validated_data)
        return Response(MeSerializer.represent(request.user, profile))


class PasswordChangeApi(APIView):
    def get_throttles(self):
        return [*super().get_throttles(), PasswordCheckThrottle()]

    @schema.PASSWORD_CHANGE_POST
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
        if request.auth is None:  # signed in by session: keep this session, end the others
            update_session_auth_hash(request, request.user)
        # Every earlier token is dead now; the caller gets a fresh pair to stay signed in.
        refresh = RefreshToken.for_user(request.user)
        tokens = {"access": str(refresh.access_token), "refresh": str(refresh)}
        return Response({"tokens": tokens}, status=status.HTTP_200_OK)
