"""JSON nesting is bounded: deep documents are a 400, never a RecursionError (500)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.jsonsafe import JsonTooDeep, json_depth, json_loads_bounded


def test_depth_counts_arrays_and_objects_but_not_brackets_in_strings():
    assert json_depth(b"1") == 0
    assert json_depth(b'{"a": [1, {"b": []}]}') == 4
    assert json_depth(b'{"a": "[[[[\\"]]]]"}') == 1


def test_loads_refuses_past_the_limit():
    assert json_loads_bounded(b"[[1]]", limit=2) == [[1]]
    with pytest.raises(JsonTooDeep):
        json_loads_bounded(b"[[[1]]]", limit=2)


@pytest.mark.django_db
def test_a_deeply_nested_api_body_is_a_400():
    body = '{"email": ' + "[" * 20_000 + "]" * 20_000 + "}"
    response = APIClient().generic(
        "POST", "/api/v1/auth/token", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]
