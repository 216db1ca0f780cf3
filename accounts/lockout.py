"""Brute-force lockout for the session log-ins (the sponsors' portal and the admin), by django-axes.

Failed log-ins are counted per client IP (``core.net.client_ip``, so the trusted-proxy rule of
the throttles holds here too) and per e-mail address; past ``AXES_FAILURE_LIMIT`` failures
in the cool-off window every attempt, the right password included, answers 429 until the window
has passed. The consumer API's token log-in is not counted here: it has its own per-IP
throttle (``auth`` rate), and an API client gets a JSON 429 rather than axes' page.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend  # type: ignore[import-untyped]  # no stubs
from axes.handlers.database import AxesDatabaseHandler  # type: ignore[import-untyped]
from rest_framework.request import Request


def _counted(request) -> bool:
    """Session log-ins only: no request (server-side code, the test client) or an API request
    (simplejwt hands authenticate() DRF's Request) is left to the other guards."""
    return request is not None and not isinstance(request, Request)


class SessionLoginLockoutBackend(AxesStandaloneBackend):
    """First in AUTHENTICATION_BACKENDS: refuses a locked-out client before the password check."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not _counted(request):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class SessionLoginLockoutHandler(AxesDatabaseHandler):
    """Axes' database handler, ignoring what ``_counted`` leaves to the API throttles."""

    def is_allowed(self, request, credentials=None) -> bool:
        return True if not _counted(request) else super().is_allowed(request, credentials)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if _counted(request):
            super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        if _counted(request):
            super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender, request, user, **kwargs):
        if _counted(request):
            super().user_logged_out(sender, request, user, **kwargs)


def lockout_username(request, credentials) -> str:
    """Addresses are case-insensitive: ``Jan@x`` and ``jan@x`` share one failure count.

    The log-in forms pass ``username``; axes' own lookups name it after USERNAME_FIELD.
    """
    credentials = credentials or {}
    value = credentials.get("username") or credentials.get("email") or ""
    return str(value).strip().lower()
