"""The error answers every API operation can give, added to the OpenAPI schema in one place.

drf-spectacular documents what a view declares; the answers that come from the plumbing under
every view (authentication, permissions, throttles, parsing, validation, missing objects) are
added here by a postprocessing hook, so the schema lists every status code a client can get
(issue 16, finding 10; `.ci/contract.sh` holds it with schemathesis). Bodies are the project's
two error shapes (``core.api.exception_handler``):

- ``Error``: ``{"detail": "...", "code": "..."}``, sometimes with more keys (``retry_after``,
  ``messages``); every 401, 403, 404, 409, 413, 415, 429, 503 and most 400s;
- ``ValidationErrors``: DRF's field errors, ``{"field": ["message", ...], ...}`` (nested for
  nested objects, ``non_field_errors`` for the whole body); a 400 is one or the other.

A view's own declaration of a status stays; a declared 400 is widened to also allow field
errors, which any serializer can give.
"""

from __future__ import annotations

import copy
from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error: a message in the request's language and a stable code.",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for people"},
        "code": {"type": "string", "description": "What went wrong, for programs (English)"},
    },
    "required": ["detail", "code"],
    "additionalProperties": True,
}
VALIDATION_ERRORS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "Field errors: each invalid field's name with a list of messages (an object for a "
        "nested object's fields); `non_field_errors` for the body as a whole."
    ),
    "additionalProperties": {
        "oneOf": [{"type": "array", "items": {}}, {"type": "object"}],
    },
}

ERROR_REF = {"$ref": "#/components/schemas/Error"}
VALIDATION_REF = {"$ref": "#/components/schemas/ValidationErrors"}

DESCRIPTIONS = {
    "400": "The request is malformed or a field is invalid.",
    "401": "No valid credentials (missing, expired or revoked token, wrong password).",
    "403": "Authenticated, but not allowed to do this.",
    "404": "No such object (or not one of yours), or no such page.",
    "415": "The body's content type is not one this operation reads.",
    "429": "Too many requests: wait the `Retry-After` header's seconds.",
    "503": (
        "The database is briefly unavailable (restarting or failing over); nothing was "
        "written. Retry after the `Retry-After` header's seconds."
    ),
}
# Both answers that ask the client to come back say when (core.middleware, the throttles).
RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}
RETRY_STATUSES = {"429", "503"}
WRITE_METHODS = {"post", "put", "patch"}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _statuses(path: str, method: str, operation: dict) -> list[str]:
    # Every operation reads the database, so any of them can meet it failing over (503).
    statuses = ["401", "429", "503"]
    if operation.get("security"):
        statuses.append("403")
    parameters = operation.get("parameters", [])
    # A path parameter names an object; a page past the end (or page=0) is DRF's 404 too.
    if "{" in path or any(p.get("in") == "query" and p.get("name") == "page" for p in parameters):
        statuses.append("404")
    has_query = any(p.get("in") == "query" for p in parameters)
    if has_query or "requestBody" in operation or method in WRITE_METHODS:
        statuses.append("400")
    if "requestBody" in operation:
        statuses.append("415")
    return statuses


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", copy.deepcopy(ERROR_SCHEMA))
    schemas.setdefault("ValidationErrors", copy.deepcopy(VALIDATION_ERRORS_SCHEMA))
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status in _statuses(path, method, operation):
                if status not in responses:
                    body = {"anyOf": [ERROR_REF, VALIDATION_REF]} if status == "400" else ERROR_REF
                    responses[status] = {
                        "description": DESCRIPTIONS[status],
                        "content": _json(body),
                    }
                    if status in RETRY_STATUSES:
                        responses[status]["headers"] = copy.deepcopy(RETRY_AFTER_HEADER)
            bad = responses.get("400")
            if bad is not None:
                _widen_400(bad)
    return result


def _widen_400(response: dict) -> None:
    """A declared 400 may also be DRF's field errors (any serializer gives them)."""
    content = response.setdefault("content", {})
    media = content.setdefault("application/json", {})
    declared = media.get("schema")
    if declared is None:
        media["schema"] = {"anyOf": [ERROR_REF, VALIDATION_REF]}
        return
    options = declared.get("oneOf") or declared.get("anyOf") or [declared]
    if VALIDATION_REF not in options:
        media["schema"] = {"anyOf": [*options, VALIDATION_REF]}
