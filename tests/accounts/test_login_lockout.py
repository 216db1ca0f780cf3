"""Brute force: the session log-ins lock out (django-axes), the password checks are throttled."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WRONG = "not-the-password"


def _portal_login(client: Client, email: str, password: str, **extra):
    return client.post("/partners/login/", {"username": email, "password": password}, **extra)


def _admin_login(client: Client, email: str, password: str, **extra):
    return client.post("/admin/login/", {"username": email, "password": password}, **extra)


@pytest.mark.parametrize("login", [_portal_login, _admin_login], ids=["portal", "admin"])
def test_many_wrong_passwords_lock_the_right_one_out(login, settings):
    UserFactory(email="sponsor@example.nl", is_staff=True)
    client = Client()
    attempts = settings.AXES_FAILURE_LIMIT + 10
    codes = [login(client, "sponsor@example.nl", WRONG).status_code for _ in range(attempts)]
    limit = settings.AXES_FAILURE_LIMIT
    # The form again with its error, until the limit-th failure locks the client out.
    assert codes[: limit - 1] == [200] * (limit - 1)
    assert set(codes[limit - 1 :]) == {429}

    response = login(client, "sponsor@example.nl", DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert b"Too many failed log-ins" in response.content


def test_the_lockout_follows_the_trusted_client_ip_not_a_forged_header(settings):
    UserFactory(email="sponsor@example.nl")
    settings.AXES_LOCKOUT_PARAMETERS = ["ip_address"]
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _portal_login(
            client, f"guess{n}@example.nl", WRONG, HTTP_X_FORWARDED_FOR=f"10.6.{n}.1"
        )
        assert response.status_code == 200
    _portal_login(client, "guess@example.nl", WRONG, HTTP_X_FORWARDED_FOR="10.6.98.1")
    locked = _portal_login(
        client, "sponsor@example.nl", DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="10.6.99.1"
    )
    assert locked.status_code == 429
    # Another client (another socket address) still logs in.
    other = _portal_login(
        Client(REMOTE_ADDR="198.51.100.20"), "sponsor@example.nl", DEFAULT_PASSWORD
    )
    assert other.status_code == 302


def test_one_address_guessed_from_many_ips_is_locked_too(settings):
    UserFactory(email="sponsor@example.nl")
    for n in range(settings.AXES_FAILURE_LIMIT):
        client = Client(REMOTE_ADDR=f"198.51.100.{n + 1}")
        _portal_login(client, "Sponsor@Example.nl" if n % 2 else "sponsor@example.nl", WRONG)
    fresh = Client(REMOTE_ADDR="203.0.113.50")
    assert _portal_login(fresh, "sponsor@example.nl", DEFAULT_PASSWORD).status_code == 429


def test_a_few_failures_then_the_right_password_logs_in():
    UserFactory(email="sponsor@example.nl")
    client = Client()
    for _ in range(3):
        _portal_login(client, "sponsor@example.nl", WRONG)
    response = _portal_login(client, "sponsor@example.nl", DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_api_log_ins_are_left_to_the_api_throttle_and_do_not_lock_the_portal(settings):
    UserFactory(email="jan@example.nl")
    api = APIClient()
    for _ in range(10):
        response = api.post("/api/v1/auth/token", {"email": "jan@example.nl", "password": WRONG})
        assert response.status_code == 401
    assert _portal_login(Client(), "jan@example.nl", DEFAULT_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/v1/me/password", {"old_password": WRONG, "new_password": "nieuw-bos-2027"}),
        ("delete", "/api/v1/me", {"password": WRONG}),
    ],
    ids=["password-change", "account-delete"],
)
def test_password_checks_are_throttled_per_user(method, url, body):
    user = UserFactory()
    client = APIClient()
    client.force_authenticate(user)
    codes = [getattr(client, method)(url, body, format="json").status_code for _ in range(12)]
    assert codes[:10] == [400] * 10
    assert codes[-1] == 429
    right = {"old_password": DEFAULT_PASSWORD, "new_password": "nieuw-bos-2027"}
    assert client.post("/api/v1/me/password", right, format="json").status_code == 429
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_deleting_the_account_erases_its_failed_log_ins():
    from axes.models import AccessAttempt

    from privacy.erasure import account_delete

    user = UserFactory(email="sponsor@example.nl")
    _portal_login(Client(), "sponsor@example.nl", WRONG)
    _portal_login(Client(), "someone@example.nl", WRONG)
    assert AccessAttempt.objects.filter(username="sponsor@example.nl").exists()

    account_delete(user=user, password=DEFAULT_PASSWORD)

    assert not AccessAttempt.objects.filter(username="sponsor@example.nl").exists()
    assert AccessAttempt.objects.filter(username="someone@example.nl").exists()
