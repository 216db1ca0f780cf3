"""Sentry (optional) and the gunicorn hooks for logging and metrics (docs/observability.md).

Sentry starts only when ``SENTRY_DSN`` is set (production settings call ``sentry_init``). It
never sends personal data: ``send_default_pii`` is off (no user e-mail, IP, cookies), no
request bodies, URLs are reduced to their route and every string goes through the logs'
scrubber (``config.logs.scrub``) before an event or breadcrumb leaves the process.

gunicorn (config/gunicorn.conf.py) wires the hooks here:

    from config import observability
    logconfig_dict = observability.gunicorn_logconfig()
    accesslog = None   # django-structlog's request_finished line replaces the access log
    on_starting = observability.gunicorn_on_starting
    child_exit = observability.gunicorn_child_exit
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlsplit

from config.logs import logging_config, path_route, scrub_text, scrub_value

_DENY = [
    "email", "iban", "account_number", "first_name", "last_name", "display_name",
    "phone", "address", "ip", "ip_address", "remote_addr", "x_forwarded_for",
    "access_token", "refresh_token", "public_token", "token", "code",
]  # fmt: skip


def sentry_init(
    *,
    dsn: str,
    environment: str = "production",
    release: str = "",
    traces_sample_rate: float = 0.0,
) -> bool:
    """Start Sentry if ``dsn`` is set; True if it was started."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
        event_scrubber=EventScrubber(denylist=[*DEFAULT_DENYLIST, *_DENY], recursive=True),
        before_send=sentry_before_send,
        before_breadcrumb=sentry_before_breadcrumb,
        integrations=[
            DjangoIntegration(transaction_style="url"),
            CeleryIntegration(),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
    )
    return True


def sentry_before_send(event: Any, hint: dict[str, Any]) -> Any:
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("query_string", "data", "cookies", "env"):
            request.pop(key, None)
        url = request.get("url")
        if isinstance(url, str):
            parts = urlsplit(url)
            request["url"] = f"{parts.scheme}://{parts.netloc}{path_route(parts.path)}"
        headers = request.get("headers")
        if isinstance(headers, dict):
            keep = {"Content-Type", "Content-Length", "Accept", "User-Agent", "X-Request-Id"}
            request["headers"] = {k: v for k, v in headers.items() if k.title() in keep}
    event.pop("user", None)
    event.pop("server_name", None)
    return scrub_value(event)


def sentry_before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    message = crumb.get("message")
    if isinstance(message, str):
        crumb["message"] = scrub_text(message)
    return scrub_value(crumb)


# gunicorn -------------------------------------------------------------------------------


def gunicorn_logconfig() -> dict[str, Any]:
    """gunicorn's own loggers (gunicorn.error) in the same JSON lines as the app's."""
    config = logging_config(json=True, level=os.environ.get("DJANGO_LOG_LEVEL", "INFO"))
    config["loggers"]["gunicorn.error"] = {"handlers": [], "level": "INFO", "propagate": True}
    # The access log names the client's address and the full URL: it stays off.
    config["loggers"]["gunicorn.access"] = {"handlers": [], "level": "CRITICAL"}
    return config


def gunicorn_on_starting(server: Any) -> None:
    """Refuse to start when PROMETHEUS_MULTIPROC_DIR names a directory that is not there:
    every worker would fail its first metric instead."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path and not (os.path.isdir(path) and os.access(path, os.W_OK)):
        raise RuntimeError(f"PROMETHEUS_MULTIPROC_DIR={path} is not a writable directory")


def gunicorn_child_exit(server: Any, worker: Any) -> None:
    """A worker that exits takes its live gauges with it (counters and histograms stay summed)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
