"""A password change revokes every earlier token and session but the caller's."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW = "nieuw-bos-2027"


def _tokens(email: str) -> dict:
    response = APIClient().post(
        "/api/v1/auth/token", {"email": email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    return response.json()


def _bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_a_password_change_revokes_every_other_token():
    user = UserFactory(email="jan@example.nl")
    stolen = _tokens(user.email)  # another device, or whoever learnt the old password
    mine = _tokens(user.email)

    response = _bearer(mine["access"]).post(
        "/api/v1/me/password",
        {"old_password": DEFAULT_PASSWORD, "new_password": NEW},
        format="json",
    )

    assert response.status_code == 200, response.content
    refreshed = APIClient().post(
        "/api/v1/auth/token/refresh", {"refresh": stolen["refresh"]}, format="json"
    )
    assert refreshed.status_code == 401
    assert _bearer(stolen["access"]).get("/api/v1/me").status_code == 401
    own_refresh = APIClient().post(
        "/api/v1/auth/token/refresh", {"refresh": mine["refresh"]}, format="json"
    )
    assert own_refresh.status_code == 401
    # The caller goes on with the pair in the answer.
    fresh = response.json()["tokens"]
    assert _bearer(fresh["access"]).get("/api/v1/me").status_code == 200
    again = APIClient().post(
        "/api/v1/auth/token/refresh", {"refresh": fresh["refresh"]}, format="json"
    )
    assert again.status_code == 200


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one():
    user = UserFactory(email="sponsor@example.nl")
    this, other = Client(), Client()
    for client in (this, other):
        login = client.post(
            "/partners/login/", {"username": user.email, "password": DEFAULT_PASSWORD}
        )
        assert login.status_code == 302

    response = this.post(
        "/api/v1/me/password",
        {"old_password": DEFAULT_PASSWORD, "new_password": NEW},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert this.get("/api/v1/me").status_code == 200
    assert other.get("/api/v1/me").status_code in (401, 403)
    assert other.get("/partners/").status_code == 302  # back to the log-in page


def test_a_wrong_old_password_revokes_nothing():
    user = UserFactory(email="jan@example.nl")
    tokens = _tokens(user.email)
    response = _bearer(tokens["access"]).post(
        "/api/v1/me/password", {"old_password": "nope", "new_password": NEW}, format="json"
    )
    assert response.status_code == 400
    refreshed = APIClient().post(
        "/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json"
    )
    assert refreshed.status_code == 200
