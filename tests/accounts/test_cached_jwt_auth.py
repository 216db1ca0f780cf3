"""The API takes a token's user from the cache, and still refuses what it refused before.

``accounts.authentication.CachedJWTAuthentication`` keeps a copy of the user row in the cache
instead of reading it on every request; saving the row drops the copy, so deactivation, a
password change and an erasure take effect on the very next request.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.authentication import _key
from accounts.models import User
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _tokens(email: str) -> dict:
    response = APIClient().post(
        "/api/v1/auth/token", {"email": email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def _bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_the_second_request_reads_no_user_row():
    user = UserFactory()
    client = _bearer(_tokens(user.email)["access"])
    assert client.get("/api/v1/forest").status_code == 200
    assert cache.get(_key(user.id)) is not None
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/forest").status_code == 200
    user_table = User._meta.db_table
    assert not [q["sql"] for q in queries.captured_queries if user_table in q["sql"]]


def test_a_deactivated_user_is_refused_on_the_next_request():
    user = UserFactory()
    client = _bearer(_tokens(user.email)["access"])
    assert client.get("/api/v1/forest").status_code == 200  # the copy is cached now
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = client.get("/api/v1/forest")
    assert response.status_code == 401
    assert response.json()["code"] == "user_inactive"


def test_a_password_change_refuses_the_old_access_token_at_once():
    user = UserFactory()
    client = _bearer(_tokens(user.email)["access"])
    assert client.get("/api/v1/forest").status_code == 200
    user.set_password("een-ander-wachtwoord-2027")
    user.save(update_fields=["password"])
    response = client.get("/api/v1/forest")
    assert response.status_code == 401
    assert response.json()["code"] == "password_changed"


def test_a_deleted_user_is_refused():
    user = UserFactory()
    client = _bearer(_tokens(user.email)["access"])
    assert client.get("/api/v1/forest").status_code == 200
    user.delete()
    assert client.get("/api/v1/forest").status_code == 401


def test_a_blacklisted_refresh_token_is_refused():
    user = UserFactory()
    tokens = _tokens(user.email)
    logout = _bearer(tokens["access"]).post(
        "/api/v1/auth/logout", {"refresh": tokens["refresh"]}, format="json"
    )
    assert logout.status_code == 205, logout.content
    refreshed = APIClient().post(
        "/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json"
    )
    assert refreshed.status_code == 401


def test_a_rotated_refresh_token_cannot_be_used_twice():
    user = UserFactory()
    tokens = _tokens(user.email)
    first = APIClient().post(
        "/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json"
    )
    assert first.status_code == 200
    second = APIClient().post(
        "/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json"
    )
    assert second.status_code == 401
