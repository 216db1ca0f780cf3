"""The client's IP address, the one way every throttle and the log-in lockout read it.

``X-Forwarded-For`` is written by whoever sends the request, so it is only believed for the
hops Canopy's own proxies appended: ``CANOPY_TRUSTED_PROXIES`` is how many proxies stand in
front of the app (0, the default, ignores the header and uses the socket's address). With N
proxies the client is the N-th address from the right; anything a client put further left
is ignored, so rotating the header does not rotate the throttle key.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address as the trusted proxies saw it (``REMOTE_ADDR`` without proxies)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    trusted = int(getattr(settings, "CANOPY_TRUSTED_PROXIES", 0) or 0)
    if trusted <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    candidate = hops[-min(trusted, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:  # garbage in a header the proxy passed through: not an address
        return remote
