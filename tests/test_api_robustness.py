"""No endpoint answers 500 to a malformed body: every path in the schema gets junk."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from tests.accounts.factories import LinkedFeedFactory, TransactionFactory, UserFactory
from tests.forest.helpers import score_all

pytestmark = pytest.mark.django_db

JUNK_BODIES = [
    "not json",
    "[]",
    "[1, 2, 3]",
    '"a string"',
    "null",
    "12345678901234567890123456789",
    '{"id": {"nested": [1, {"deep": null}]}, "grams": "many", "email": 7}',
    '{"amount": 1e400, "date": "2026-13-45", "species": -1, "forest": "x"}',
    '{"refresh": "", "password": "", "old_password": [], "consent": "yes"}',
]


def schema_operations(client) -> list[tuple[str, str]]:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = []
    for path, methods in schema["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        for method in methods:
            if method in {"post", "put", "patch", "delete", "get"}:
                operations.append((method, concrete))
    return operations


@override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []})
def test_no_endpoint_answers_500_to_junk():
    user = UserFactory()
    feed = LinkedFeedFactory(user=user, id=1)
    TransactionFactory(feed=feed, merchant_name="GVB")
    score_all()
    # The test client re-raises a view's exception, so a would-be 500 fails loudly too.
    client = APIClient()
    client.force_authenticate(user)
    operations = schema_operations(client)
    assert len(operations) > 20

    failures = []
    for method, path in operations:
        bodies = JUNK_BODIES if method in {"post", "put", "patch"} else [None]
        for body in bodies:
            call = getattr(client, method)
            if body is None:
                response = call(path)
            else:
                response = call(path, body, content_type="application/json")
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {path} {body!r} -> {response.status_code}")
    assert not failures, "\n".join(failures)
