"""DRF's throttles keyed by ``core.net.client_ip``: use these, never rest_framework's own.

DRF's ``get_ident`` trusts the whole ``X-Forwarded-For`` header unless ``NUM_PROXIES`` is
set, so a client could pick a new throttle key per request. Every Canopy throttle inherits
``ClientIpMixin``; base.py also sets ``NUM_PROXIES`` to the same count as a second guard.
"""

from __future__ import annotations

from rest_framework import throttling

from core.net import client_ip

BaseThrottle = throttling.BaseThrottle


class ClientIpMixin:
    def get_ident(self, request) -> str:
        return client_ip(request)


class SimpleRateThrottle(ClientIpMixin, throttling.SimpleRateThrottle):
    pass


class AnonRateThrottle(ClientIpMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientIpMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(ClientIpMixin, throttling.ScopedRateThrottle):
    pass
