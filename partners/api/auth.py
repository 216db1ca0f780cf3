"""Authentication, permission and throttling for the planting partners' API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from core import throttling
from partners.models import PartnerApiKey
from partners.services.api_keys import partner_api_key_check

if TYPE_CHECKING:
    from catalogue.models import PlantingPartner


@dataclass(frozen=True)
class PartnerPrincipal:
    """Who ``request.user`` is on the partner API: a planting partner, never a person."""

    partner: PlantingPartner
    is_authenticated: bool = True
    is_active: bool = True
    is_staff: bool = False

    @property
    def pk(self) -> str:
        return f"partner:{self.partner.pk}"


class PartnerKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer cnp_<prefix>_<secret>``."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme != self.keyword or not token.strip():
            raise exceptions.AuthenticationFailed(
                gettext("Send your partner API key as a Bearer token.")
            )
        key = partner_api_key_check(token.strip())
        if key is None:
            raise exceptions.AuthenticationFailed(gettext("Invalid or revoked API key."))
        return PartnerPrincipal(key.partner), key

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="partner"'


class IsPlantingPartner(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, PartnerApiKey)


class PartnerRateThrottle(throttling.SimpleRateThrottle):
    """Per partner, whichever of its keys it uses. Uploads are heavy; 120 a minute is ample."""

    scope = "partner"
    rate = "120/minute"

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, PartnerApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.partner_id}


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "partners.api.auth.PartnerKeyAuthentication"
    name = "partnerApiKey"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A planting partner's API key, cnp_<prefix>_<secret>",
        }
