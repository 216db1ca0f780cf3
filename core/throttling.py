"""DRF's throttles keyed by ``core.net.client_ip`` and counted in one round trip: use these,
never rest_framework's own.

DRF's ``get_ident`` trusts the whole ``X-Forwarded-For`` header unless ``NUM_PROXIES`` is
set, so a client could pick a new throttle key per request. Every Canopy throttle inherits
``ClientIpMixin``; base.py also sets ``NUM_PROXIES`` to the same count as a second guard.

DRF's ``SimpleRateThrottle`` keeps a list of timestamps per key: a GET and a SET of the pickled
list on every request, growing with the rate (600 timestamps for 600/minute). ``CountingMixin``
counts instead: the window opens at a key's first request and lasts the rate's period; each
request adds one (Redis ``INCR`` and ``EXPIRE NX`` in one pipelined round trip), and a request
past the rate is refused until the window closes. Unlike the sliding list, a client can make
up to twice the rate across the end of one window and the start of the next; the rates are
set with that in mind (they stop floods and guessing, not a second request).
"""

from __future__ import annotations

from typing import Any

from rest_framework import throttling

from core import readcache
from core.net import client_ip

BaseThrottle = throttling.BaseThrottle


class ClientIpMixin:
    def get_ident(self, request) -> str:
        return client_ip(request)


class CountingMixin:
    """A counter per key and window instead of DRF's list of timestamps (see the module)."""

    cache: Any
    key: str | None
    num_requests: int
    duration: int
    rate: str | None

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if self.key is None:
            return True
        # A reader that counted this key already in its one round trip (core/readviews.py).
        counted = getattr(getattr(request, "_request", request), "_throttle_counted", {})
        if self.key in counted:
            self.count, self.ttl = counted[self.key]
        else:
            self.count, self.ttl = _count(self.cache, self.key, self.duration)
        return self.count <= self.num_requests

    def wait(self) -> float | None:
        return float(max(self.ttl, 1)) if getattr(self, "ttl", None) is not None else None


def _count(cache, key: str, duration: int) -> tuple[int, float]:
    """Add one to the key's window (opened by its first request); (count, seconds left)."""
    client = readcache.redis_client(cache)
    if client is not None:  # Django's Redis cache
        pipe = client.pipeline(transaction=False)
        readcache.window_count(pipe, cache.make_key(key), duration)
        return readcache.window_result(pipe.execute(), duration)
    return readcache.window_count_cache(cache, key, duration)


class SimpleRateThrottle(ClientIpMixin, CountingMixin, throttling.SimpleRateThrottle):
    pass


# DRF's class first: ScopedRateThrottle's allow_request picks the view's rate, then its super()
# call reaches CountingMixin (the method resolution order is ours, DRF's, SimpleRateThrottle).
class AnonRateThrottle(throttling.AnonRateThrottle, SimpleRateThrottle):
    pass


class UserRateThrottle(throttling.UserRateThrottle, SimpleRateThrottle):
    pass


class ScopedRateThrottle(throttling.ScopedRateThrottle, SimpleRateThrottle):
    pass
