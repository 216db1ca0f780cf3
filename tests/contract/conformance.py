"""Check one real answer against the OpenAPI schema, as schemathesis does in `.ci/contract.sh`.

``assert_conforms(response, "GET", "/api/v1/transactions")`` fails with schemathesis' own
message when the status code, content type or body is not what the schema says.
"""

from __future__ import annotations

import functools
import json

import schemathesis
from django.test import Client
from werkzeug.test import EnvironBuilder, TestResponse
from werkzeug.wrappers import Request

CHECKS = ("status_code_conformance", "content_type_conformance", "response_schema_conformance")


@functools.cache
def _schema_dict() -> str:
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.content.decode()


def api_schema():
    return schemathesis.openapi.from_dict(json.loads(_schema_dict()))


def assert_conforms(response, method: str, path: str) -> None:
    """Validate a Django test client's ``response`` to ``method path`` (the schema's template)."""
    operation = api_schema()[path][method.upper()]
    status = operation.definition.raw["responses"]
    assert str(response.status_code) in status or "default" in status, (
        f"{method} {path} answered {response.status_code}, documented: {sorted(status)}"
    )
    request = Request(EnvironBuilder(method=method.upper(), path=path).get_environ())
    wsgi = TestResponse(
        response=[response.content],
        status=response.status_code,
        headers=list(response.items()),
        request=request,
    )
    operation.validate_response(wsgi)
