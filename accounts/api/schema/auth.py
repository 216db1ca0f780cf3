"""OpenAPI decorations of accounts/api/auth.py, applied there as ``@schema.<NAME>``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema

from accounts.api.serializers.users import (
    LogoutInputSerializer,
    MeSerializer,
    RegisterInputSerializer,
)

REGISTER_POST = extend_schema(
    request=RegisterInputSerializer,
    responses={201: MeSerializer},
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
