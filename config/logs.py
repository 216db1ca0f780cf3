"""Logging: structlog over the standard library, JSON in production, readable locally, and no
personal data in any line (docs/observability.md).

Every record, Canopy's own, Django's (``django.request``'s 4xx warnings), Celery's and
django-structlog's request and task events, goes through one ``ProcessorFormatter``: the
request id and user id bound by the middleware are merged in, exceptions are rendered, and
``scrub`` removes e-mail addresses, IBANs, JWTs, bearer and basic credentials and the values
of keys named like secrets before the line is written. Paths are logged as their URL route
(``notifications/unsubscribe/<str:token>``), never with the token or the query string.

This module is imported by the settings, so it must not import Django's models or settings at
module level.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

REDACTED = "[redacted]"

# What personal data and secrets look like in free text. Names and passwords cannot be
# recognised this way; they are kept out by never logging bodies, forms or headers.
_TEXT_PATTERNS = [
    # e-mail addresses
    re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"),
    # IBANs, with or without the usual groups of four (NL91 ABNA 0417 1643 00)
    re.compile(r"\b[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b"),
    # JWTs (header.payload.signature, base64url) and Authorization values
    re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"),
    re.compile(r"\b(?i:bearer|basic|token)\s+[A-Za-z0-9._~+/=\-]{8,}"),
    # IPv4 addresses (a client's, in a Host header or an error message)
    re.compile(r"\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b"),
]
# Keys whose values are never logged, whatever they hold.
_SECRET_KEY = re.compile(
    r"(?i)(pass(word)?|secret|token|authori[sz]ation|cookie|session|csrf|api[_-]?key|"
    r"email|e-mail|iban|account_number|first_name|last_name|display_name|full_name|"
    r"^ip$|remote_addr|x[_-]forwarded[_-]for)"
)
# Keys the logging machinery itself owns; their values are safe and must stay readable.
_SAFE_KEYS = frozenset(
    {"event", "level", "logger", "timestamp", "request_id", "task_id", "parent_task_id",
     "user_id", "client", "code", "task", "view", "duration_ms", "state"}
)  # fmt: skip


_ANY_PATTERN = re.compile("|".join(f"(?:{p.pattern})" for p in _TEXT_PATTERNS))
# Values that cannot hold personal data (set by the logging machinery) are not searched.
_UNSEARCHED_KEYS = _SAFE_KEYS - {"event"}


def scrub_text(text: str) -> str:
    return _ANY_PATTERN.sub(REDACTED, text)


def scrub_value(value: Any, depth: int = 0) -> Any:
    if depth > 8:
        return REDACTED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        scrubbed = {}
        for k, v in value.items():
            if k in _UNSEARCHED_KEYS and (isinstance(v, str | int | float) or v is None):
                scrubbed[k] = v
            elif isinstance(k, str) and k not in _SAFE_KEYS and _SECRET_KEY.search(k):
                scrubbed[k] = REDACTED
            else:
                scrubbed[k] = scrub_value(v, depth + 1)
        return scrubbed
    if isinstance(value, list | tuple | set):
        return [scrub_value(v, depth + 1) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return scrub_text(str(value))


def scrub(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    """structlog processor: the event with personal data and secrets replaced."""
    return scrub_value(event_dict)


def _drop_record_extras(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # ProcessorFormatter hands the stdlib record along; it must not reach the renderer.
    event_dict.pop("_record", None)
    event_dict.pop("_from_structlog", None)
    return event_dict


# Shared by structlog's own loggers and by records from the standard library.
_PRE_CHAIN: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_structlog() -> None:
    """structlog hands its events to the standard library, which formats them all alike."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_PRE_CHAIN,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def formatter(*, json: bool) -> structlog.stdlib.ProcessorFormatter:
    """The one formatter of every handler: JSON lines, or coloured-free console columns."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=False, pad_event_to=0)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_PRE_CHAIN,
        pass_foreign_args=True,
        processors=[
            _django_request_route,
            _drop_record_extras,
            structlog.processors.format_exc_info,
            scrub,
            renderer,
        ],
    )


def _django_request_route(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Django's ``django.request`` and ``django.security`` lines name the request's path
    ("Not Found: /notifications/unsubscribe/<the token>"): say its URL route instead. They
    are written after the middleware has unbound the request id, so it is added back."""
    args = event_dict.pop("positional_args", None)
    from django.http import HttpRequest

    record = event_dict.get("_record")
    request = getattr(record, "request", None)
    if record is None or not isinstance(request, HttpRequest):
        return event_dict  # (runserver's django.server lines carry a socket there)
    if isinstance(args, tuple) and len(args) == 2 and isinstance(record.msg, str):
        try:
            event_dict["event"] = record.msg % (args[0], request_route(request))
        except (TypeError, ValueError):
            event_dict["event"] = scrub_text(str(record.msg))
    request_id = getattr(request, "request_id", None)
    if request_id:
        event_dict.setdefault("request_id", request_id)
    return event_dict


def request_route(request: Any) -> str:
    """The request's URL pattern (``/feeds/<int:feed_id>``), or its path scrubbed and without
    the query string when no pattern matched."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return "/" + match.route
    return path_route(getattr(request, "path_info", "") or getattr(request, "path", "") or "")


def path_route(path: str) -> str:
    """A path as its URL pattern, for places that have only the path (Sentry's events)."""
    from django.urls import Resolver404, resolve

    try:
        match = resolve(path)
    except Resolver404:
        return scrub_text(path[:200]) + " [unmatched]"
    if match.route:
        return "/" + match.route
    return scrub_text(path[:200])


def logging_config(*, json: bool, level: str = "INFO") -> dict[str, Any]:
    """The LOGGING dict: one console handler on the root, Django's and Celery's loggers
    propagate to it (Django's own console and mail handlers are replaced)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {"()": formatter, "json": json},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Replace Django's handlers (console only with DEBUG, mail_admins) with the root's.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.server": {"handlers": [], "level": level, "propagate": True},
            "celery": {"handlers": [], "level": level, "propagate": True},
        },
    }
