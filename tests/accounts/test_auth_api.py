from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.models import Notification, User
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def register(client: APIClient, **overrides):
    body = {"email": "Sanne@Example.nl", "password": "groene-trein-2026", "display_name": "Sanne"}
    body.update(overrides)
    return client.post("/api/v1/auth/register", body, format="json")


def test_register_creates_user_profile_and_welcome_message(
    api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = register(api_client, locale="en", time_zone="Europe/London")

    assert response.status_code == 202, response.content
    assert response.json()["code"] == "verification_sent"
    assert "tokens" not in response.json()
    user = User.objects.get(email="sanne@example.nl")
    assert user.profile.display_name == "Sanne"
    assert user.profile.time_zone == "Europe/London"
    assert user.email_verified_at is None
    welcome = Notification.objects.get(user=user)
    assert welcome.title == "Welcome to Canopy"
    # Then the app logs in.
    login = api_client.post(
        "/api/v1/auth/token", {"email": "sanne@example.nl", "password": "groene-trein-2026"}
    )
    assert login.status_code == 200


@pytest.mark.parametrize("password", ["short", "12345678901", "password123"])
def test_register_with_weak_password_is_a_field_error(api_client, password):
    response = register(api_client, password=password)
    assert response.status_code == 400
    assert "password" in response.json()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("not json at all", "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('{"email": 5, "password": null}', "application/json"),
        (
            '{"email": "a@b.nl", "password": "groene-trein-2026", "time_zone": "Mars/Base"}',
            "application/json",
        ),
    ],
)
def test_register_with_malformed_body_is_400(api_client, body, content_type):
    response = api_client.post("/api/v1/auth/register", body, content_type=content_type)
    assert response.status_code == 400
    assert response.json()
    assert not User.objects.exists()


def test_login_refresh_and_logout_cycle(api_client):
    user = UserFactory(email="jan@example.nl")
    tokens = api_client.post(
        "/api/v1/auth/token", {"email": "jan@example.nl", "password": DEFAULT_PASSWORD}
    ).json()

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.get("/api/v1/me").json()["email"] == user.email

    refreshed = api_client.post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 200
    # rotation blacklists the old refresh token
    again = api_client.post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]})
    assert again.status_code == 401

    new_refresh = refreshed.json()["refresh"]
    logout = api_client.post("/api/v1/auth/logout", {"refresh": new_refresh})
    assert logout.status_code == 205
    assert BlacklistedToken.objects.filter(token__user=user).count() == 2
    after = api_client.post("/api/v1/auth/token/refresh", {"refresh": new_refresh})
    assert after.status_code == 401


def test_login_with_wrong_password_is_401(api_client):
    UserFactory(email="jan@example.nl")
    response = api_client.post("/api/v1/auth/token", {"email": "jan@example.nl", "password": "x"})
    assert response.status_code == 401


def test_logout_with_someone_elses_refresh_token_is_refused(api_client):
    victim = UserFactory(email="victim@example.nl")
    victim_tokens = (
        APIClient()
        .post("/api/v1/auth/token", {"email": victim.email, "password": DEFAULT_PASSWORD})
        .json()
    )
    attacker = UserFactory()
    api_client.force_authenticate(attacker)
    response = api_client.post("/api/v1/auth/logout", {"refresh": victim_tokens["refresh"]})
    assert response.status_code == 400
    assert not BlacklistedToken.objects.exists()


def test_me_requires_authentication(api_client):
    assert api_client.get("/api/v1/me").status_code == 401


def test_me_patch_changes_profile(user_client, user):
    response = user_client.patch(
        "/api/v1/me", {"display_name": "Joost", "locale": "en", "time_zone": "Europe/Berlin"}
    )
    assert response.status_code == 200
    user.profile.refresh_from_db()
    assert (user.profile.display_name, user.profile.locale, user.profile.time_zone) == (
        "Joost",
        "en",
        "Europe/Berlin",
    )


def test_me_patch_rejects_unknown_time_zone(user_client, user):
    response = user_client.patch("/api/v1/me", {"time_zone": "Nowhere/Town"})
    assert response.status_code == 400
    assert "time_zone" in response.json()
    user.profile.refresh_from_db()
    assert user.profile.time_zone == "Europe/Amsterdam"


def test_password_change(user_client, user):
    wrong = user_client.post(
        "/api/v1/me/password", {"old_password": "nope", "new_password": "nieuw-wachtwoord-42"}
    )
    assert wrong.status_code == 400
    ok = user_client.post(
        "/api/v1/me/password",
        {"old_password": DEFAULT_PASSWORD, "new_password": "nieuw-wachtwoord-42"},
    )
    assert ok.status_code == 200
    assert set(ok.json()["tokens"]) == {"access", "refresh"}
    user.refresh_from_db()
    assert user.check_password("nieuw-wachtwoord-42")


def test_password_change_rejects_weak_new_password(user_client, user):
    response = user_client.post(
        "/api/v1/me/password", {"old_password": DEFAULT_PASSWORD, "new_password": "123"}
    )
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_login_is_throttled(api_client):
    UserFactory(email="jan@example.nl")
    codes = [
        api_client.post(
            "/api/v1/auth/token", {"email": "jan@example.nl", "password": "x"}
        ).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [401] * 10
    assert codes[-1] == 429


@override_settings(LANGUAGE_CODE="en")
def test_inbox_lists_only_own_notifications(user_client, user):
    other = UserFactory()
    Notification.objects.create(user=user, kind="system", title="mine", dedupe_key="a")
    Notification.objects.create(user=other, kind="system", title="theirs", dedupe_key="b")
    titles = [n["title"] for n in user_client.get("/api/v1/me/notifications").json()]
    assert titles == ["mine"]
