"""DELETE /me: the user deletes their account, confirming with their password."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import get_language, gettext
from rest_framework import status
from rest_framework.response import Response

from accounts.api.serializers.users import MeSerializer
from accounts.api.users import MeApi as AccountsMeApi
from accounts.api.users import PasswordCheckThrottle
from accounts.services.users import profile_for
from core.api import error_response
from forest.selectors.levels import home_figures
from privacy.api import schema as api_schema  # ``schema`` is DRF's view attribute here
from privacy.api.serializers import AccountDeleteInputSerializer
from privacy.erasure import WrongPassword, account_delete


class MeApi(AccountsMeApi):
    # The accounts app's GET and PATCH /me, and DELETE: the erasure across every app. (A comment,
    # not a docstring: drf-spectacular would publish it as every operation's description.)
    schema = api_schema.DeleteWithBodySchema()

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method == "DELETE":
            throttles.append(PasswordCheckThrottle())
        return throttles

    @api_schema.ME_GET
    def get(self, request) -> Response:
        figures = home_figures(
            request.user.id, today=timezone.localdate(), locale=(get_language() or "en")[:2]
        )
        body = MeSerializer.represent(request.user, profile_for(request.user))
        return Response({**body, "level": figures["level"], "streaks": figures["streaks"]})

    @api_schema.ME_DELETE
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
