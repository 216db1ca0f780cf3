"""Request ids and what a request's log lines say about it (docs/observability.md).

``RequestIdMiddleware`` runs first: it keeps a client's or proxy's ``X-Request-ID`` only when
it is well formed (8 to 128 characters of letters, digits and ``-_.:``), otherwise makes a
new one, hands it to django-structlog (which binds it to every line of the request and to
the Celery tasks the request sends) and returns it in the response's ``X-Request-ID``.

django-structlog's request lines are adjusted through its signals: the request is named by
its URL route (``GET /feeds/<int:feed_id>``, never a token in a path or a query string), the
client by a keyed hash of its address (``client``, from ``core.net.client_ip``, so rotating
``X-Forwarded-For`` does not change it and the address itself is never written), and the
finished line carries the duration.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_structlog import signals

from config.logs import request_route
from core.net import client_ip

HEADER = "X-Request-ID"
_STARTED_LOGGER = logging.getLogger("django_structlog.middlewares.request")
_META_KEY = "HTTP_X_REQUEST_ID"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:\-]{8,128}")


def request_id_accept(value: str | None) -> str:
    """``value`` if it is a well-formed request id, else a new random one."""
    if value and _WELL_FORMED.fullmatch(value):
        return value
    return uuid.uuid4().hex


def client_hash(ip: str) -> str:
    """A keyed, truncated hash of an IP address: the same client gives the same value (to
    follow one abuser through the logs) without the address being recoverable from them."""
    if not ip:
        return ""
    key = str(settings.SECRET_KEY).encode()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()[:16]


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_accept(request.META.get(_META_KEY))
        request.META[_META_KEY] = request_id
        request.__dict__.pop("headers", None)  # HttpHeaders is cached; let it see the new id
        request.request_id = request_id  # type: ignore[attr-defined]
        request._canopy_started = time.perf_counter()  # type: ignore[attr-defined]
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _describe(request: HttpRequest) -> str:
    return f"{request.method} {request_route(request)}"


def _on_request_started(
    sender: Any, request: HttpRequest, logger: Any, log_kwargs: dict, **kwargs: Any
) -> None:
    structlog.contextvars.bind_contextvars(client=client_hash(client_ip(request)))
    # The "request_started" line is at DEBUG (settings): name the route (a URL resolution,
    # the costliest step here) only when that line is written.
    if _STARTED_LOGGER.isEnabledFor(settings.DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL):
        log_kwargs["request"] = _describe(request)
    else:
        log_kwargs["request"] = request.method
    log_kwargs["user_agent"] = (log_kwargs.get("user_agent") or "")[:200]


def _on_request_finished(
    sender: Any,
    request: HttpRequest,
    logger: Any,
    response: HttpResponse,
    log_kwargs: dict,
    **kwargs: Any,
) -> None:
    log_kwargs["request"] = _describe(request)
    started = getattr(request, "_canopy_started", None)
    if started is not None:
        log_kwargs["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)


def _on_request_failed(
    sender: Any,
    request: HttpRequest,
    logger: Any,
    exception: Exception,
    log_kwargs: dict,
    **kwargs: Any,
) -> None:
    log_kwargs["request"] = _describe(request)


signals.bind_extra_request_metadata.connect(_on_request_started, dispatch_uid="canopy-started")
signals.bind_extra_request_finished_metadata.connect(
    _on_request_finished, dispatch_uid="canopy-finished"
)
signals.bind_extra_request_failed_metadata.connect(_on_request_failed, dispatch_uid="canopy-failed")
