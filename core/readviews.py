"""Views that answer from the read model's cache (core/readcache.py), and the middleware that
drops a user's documents after any write they make.

A view opts in with ``CachedReadMixin`` and a ``read_cache_name``, and builds its answer in
the handler through ``cached_read``. A GET then takes one of two paths:

- **The hit, before DRF.** ``CachedReadMixin.dispatch`` validates the bearer token locally
  (its signature and expiry, no I/O), and in ONE Redis round trip reads the user's cached
  account copy (accounts/authentication.py), counts the request in each throttle's window
  (core/throttling.py) and fetches the epoch, the user's token and the document (with, for a
  document showing friends' figures, their tokens checked in Redis). With an active user
  whose password has not changed since the token, throttles within their rates and a
  document valid for the stamps and the clock, the document's bytes are the answer: no SQL,
  no serializer, no renderer, the same bytes and headers the full path would give.
- **Everything else, through DRF** (no or another kind of credential, a user not cached, a
  throttle over its rate, the browsable API, indented JSON, a miss): DRF authenticates,
  checks permissions and throttles (counting each request once: the round trip's counts are
  reused) and calls the handler; ``cached_read`` builds the answer and keeps it under the
  stamp that round trip read before the build.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from core import readcache
from core.renderers import ORJSONRenderer
from core.throttling import CountingMixin

logger = logging.getLogger(__name__)

JSON = "application/json"
# Accept headers whose answer is the compact JSON document (anything else goes through DRF).
_PLAIN_ACCEPT = frozenset({"", "*/*", JSON})


def doc_name(name: str, request) -> str:
    """The document's key under the user: view, scheme, host, path and query string (pages
    link to their neighbours by all four), language and time zone.

    The raw Host header, not ``get_host()``: a document is only ever stored by the full path,
    which validates the host (ALLOWED_HOSTS), so a host it refuses never finds one."""
    language = getattr(request, "LANGUAGE_CODE", None) or get_language()
    zone = timezone.get_current_timezone_name()
    host = request.META.get("HTTP_HOST", "")
    return f"{name}:{request.scheme}://{host}{request.get_full_path()}:{language}:{zone}"


def _next_local_midnight(now: float) -> float:
    from datetime import time as dtime
    from datetime import timedelta

    today = timezone.localdate(datetime.fromtimestamp(now, tz=timezone.get_current_timezone()))
    return timezone.make_aware(datetime.combine(today + timedelta(days=1), dtime.min)).timestamp()


class CachedReadMixin:
    """Answer a GET from the user's document in one round trip when everything allows it."""

    read_cache_name: str = ""
    # The document shows other users' figures: ``cached_read`` builds it with ``watch``.
    read_cache_social: bool = False

    def dispatch(self, request, *args, **kwargs):
        if request.method == "GET" and readcache.enabled():
            try:
                response = _hit(self, request)
            except Exception:  # the cache is down or a credential odd: DRF's full path answers
                logger.warning("read cache: fast path failed", exc_info=True)
                response = None
            if response is not None:
                return response
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def _hit(view, request) -> HttpResponse | None:
    if request.META.get("HTTP_ACCEPT", "") not in _PLAIN_ACCEPT or "format" in request.GET:
        return None
    if any(p is not IsAuthenticated for p in view.permission_classes):
        return None
    authenticators = view.get_authenticators()
    prefetch = getattr(authenticators[0], "prefetch", None) if authenticators else None
    found = prefetch(request) if prefetch else None
    if found is None:
        return None
    token, copy_key, user_id = found
    shim = SimpleNamespace(
        user=SimpleNamespace(is_authenticated=True, pk=user_id, id=user_id),
        META=request.META,
        _request=request,
    )
    counters: list[tuple[str, int, int]] = []
    for throttle in view.get_throttles():
        if isinstance(throttle, ScopedRateThrottle) and not getattr(view, "throttle_scope", None):
            continue  # DRF lets it pass without counting
        if not isinstance(throttle, CountingMixin) or throttle.rate is None:
            return None
        key = throttle.get_cache_key(shim, view)  # type: ignore[attr-defined]
        if key is not None:
            counters.append((key, throttle.duration, throttle.num_requests))
    name = doc_name(view.read_cache_name, request)
    result = readcache.lookup(
        user_id,
        name,
        also_get=[copy_key],
        count=[(k, d) for k, d, _n in counters],
        social=view.read_cache_social,
    )
    request._throttle_counted = {
        key: counted for (key, _d, _n), counted in zip(counters, result.counts, strict=True)
    }
    request._readcache = (name, result)  # a miss builds under this stamp (cached_read)
    user = authenticators[0].user_from_copy(token, result.values[0])
    if user is None or result.body is None:
        return None
    if any(c > n for (_k, _d, n), (c, _t) in zip(counters, result.counts, strict=True)):
        return None  # DRF answers the 429 from these counts
    request.user = user  # the request log names the user, as after DRF's authentication
    response = HttpResponse(result.body, content_type=JSON)
    for header, value in view.default_response_headers.items():
        response[header] = value
    return response


def cached_read(
    request,
    view,
    build: Callable[..., tuple[Any, datetime | None]],
    *,
    until_midnight: bool = False,
) -> HttpResponse | Response:
    """The handler's answer: the user's document, or ``build()`` rendered and kept.

    ``build()`` returns ``(data, horizon)``: the response's data and the first moment (a
    datetime, or None) at which the clock alone would change it. ``until_midnight`` adds the
    user's next local midnight to it (caps, streaks, levels by day). A social document (the
    view's ``read_cache_social``) shows other users' figures: it is built by
    ``build(watch)``, which calls ``watch(ids)`` with those users' ids before it reads their
    rows, and is kept under their tokens as well as the reader's, so that any of their writes
    ends it (core/readcache.py). Only the compact JSON renderer's answers are kept (the
    browsable API and indented JSON are always built).
    """
    renderer = getattr(request, "accepted_renderer", None)
    user_id = getattr(request.user, "id", None)
    social = view.read_cache_social
    if (
        not readcache.enabled()
        or user_id is None
        or type(renderer) is not ORJSONRenderer
        or renderer.get_indent(request.accepted_media_type, view.get_renderer_context())
    ):
        return Response((build(_unwatched) if social else build())[0])
    name = doc_name(view.read_cache_name, request)
    now = time.time()
    stashed = getattr(request._request, "_readcache", None)
    if stashed is not None and stashed[0] == name:
        found = stashed[1]
    else:
        try:
            found = readcache.lookup(user_id, name, now=now, social=social)
        except Exception:  # the cache is down: every read is built, nothing is kept
            logger.warning("read cache: lookup failed", exc_info=True)
            found = readcache.Lookup(body=None, stamp=None)
    if found.body is not None:
        return HttpResponse(found.body, content_type=renderer.media_type)
    others: dict[int, bytes | None] = {}

    def watch(user_ids: Iterable[int]) -> None:
        """Stamp with these users' tokens, read now: before the build reads their rows."""
        wanted = [u for u in user_ids if u != user_id and u not in others]
        if not wanted or found.stamp is None:
            return
        try:
            others.update(readcache.user_tokens(wanted, known=found.others))
        except Exception:  # the cache is down: the answer is built, not kept
            logger.warning("read cache: tokens not read", exc_info=True)
            others.update(dict.fromkeys(wanted))

    data, horizon = build(watch) if social else build()
    body = renderer.render(data, request.accepted_media_type, view.get_renderer_context())
    moments = [] if horizon is None else [horizon.timestamp()]
    if until_midnight:
        moments.append(_next_local_midnight(now))
    try:
        readcache.store(
            user_id, name, stamp=found.stamp, body=body,
            horizon=min(moments) if moments else None, others=others, now=now,
        )  # fmt: skip
    except Exception:  # a cache that cannot keep it only costs the next build
        logger.warning("read cache: store failed", exc_info=True)
    return HttpResponse(body, content_type=renderer.media_type)


def _unwatched(user_ids: Iterable[int]) -> None:
    """``watch`` when nothing is kept."""


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class WriteForgetsMiddleware:
    """Belt and braces: a successful unsafe request by a signed-in user drops their documents
    (after the request's transaction commits), whichever service it called."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method in UNSAFE_METHODS and response.status_code < 400:
            user_id = getattr(getattr(request, "user", None), "id", None)
            if user_id is not None:
                readcache.user_changed(user_id)
        return response
