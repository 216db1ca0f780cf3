"""OpenAPI decorations of accounts/api/users.py, applied there as ``@schema.<NAME>``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

from accounts.api.serializers.users import (
    MeSerializer,
    PasswordChangedSerializer,
    PasswordChangeInputSerializer,
)

ME_GET = extend_schema(responses=MeSerializer, summary="The signed-in user")

ME_PATCH = extend_schema(
    request=MeSerializer, responses=MeSerializer, summary="Change your profile"
)

PASSWORD_CHANGE_POST = extend_schema(
    request=PasswordChangeInputSerializer,
    responses={200: PasswordChangedSerializer},
    summary="Change password",
    description=(
        "Sets the new password and revokes every refresh and access token issued before it "
        "(other devices must log in again) and ends the user's other sessions. The answer "
        "carries a fresh token pair for the device that changed it."
    ),
)
