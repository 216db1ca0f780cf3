"""OpenAPI decorations of accounts/api/auth.py, applied there as ``@schema.<NAME>``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema

from accounts.api.serializers.users import (
    EmailVerifyInputSerializer,
    LogoutInputSerializer,
    MeSerializer,
    RegisteredSerializer,
    RegisterInputSerializer,
)

REGISTER_POST = extend_schema(
    request=RegisterInputSerializer,
    responses={202: RegisteredSerializer},
    description=(
        "Answers 202 for a new address and for one that has an account alike, so the answer "
        "does not tell whether an address is registered. A new account gets a verification "
        "e-mail (confirm with `POST /auth/email/verify`), the owner of a registered address a "
        "note that someone tried. Then log in with `POST /auth/token`."
    ),
    examples=[
        OpenApiExample(
            "Register",
            value={
                "email": "sanne@example.nl",
                "password": "groene-trein-2026",
                "display_name": "Sanne",
                "locale": "nl",
                "time_zone": "Europe/Amsterdam",
            },
            request_only=True,
        )
    ],
    summary="Create a consumer account",
)

LOGOUT_POST = extend_schema(request=LogoutInputSerializer, responses={205: None}, summary="Log out")

EMAIL_VERIFY_POST = extend_schema(
    request=EmailVerifyInputSerializer,
    responses={200: MeSerializer},
    summary="Confirm your e-mail address with the token from the verification e-mail",
    auth=[],
)

EMAIL_VERIFICATION_RESEND_POST = extend_schema(
    request=None, responses={202: None}, summary="Send the verification e-mail again"
)
