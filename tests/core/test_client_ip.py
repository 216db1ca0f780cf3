"""Client IPs: X-Forwarded-For counts only through the configured number of trusted proxies."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from core.net import client_ip
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.feed_helpers import WEBHOOK_SECRET, signed_headers


def _request(xff: str | None = None, remote: str = "198.51.100.7"):
    meta = {"REMOTE_ADDR": remote}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.CANOPY_TRUSTED_PROXIES = 0
    assert client_ip(_request("203.0.113.9")) == "198.51.100.7"


def test_one_trusted_proxy_takes_the_address_it_appended(settings):
    settings.CANOPY_TRUSTED_PROXIES = 1
    # The client wrote "1.2.3.4"; the proxy appended the address it really saw.
    assert client_ip(_request("1.2.3.4, 203.0.113.9")) == "203.0.113.9"


def test_two_trusted_proxies_take_the_second_from_the_right(settings):
    settings.CANOPY_TRUSTED_PROXIES = 2
    assert client_ip(_request("1.2.3.4, 203.0.113.9, 10.0.0.2")) == "203.0.113.9"
    # Fewer hops than proxies: the leftmost hop is all there is.
    assert client_ip(_request("203.0.113.9")) == "203.0.113.9"


def test_garbage_or_a_missing_header_falls_back_to_the_socket(settings):
    settings.CANOPY_TRUSTED_PROXIES = 1
    assert client_ip(_request("not-an-ip")) == "198.51.100.7"
    assert client_ip(_request()) == "198.51.100.7"


def _login(client, password: str, xff: str):
    return client.post(
        "/api/v1/auth/token",
        {"email": "jan@example.nl", "password": password},
        format="json",
        HTTP_X_FORWARDED_FOR=xff,
    )


@pytest.mark.django_db
def test_rotating_x_forwarded_for_does_not_reset_the_login_throttle():
    UserFactory(email="jan@example.nl")
    client = APIClient()
    codes = [_login(client, "wrong", f"10.9.{n}.1").status_code for n in range(30)]
    assert codes[:10] == [401] * 10
    assert set(codes[10:]) == {429}
    assert _login(client, DEFAULT_PASSWORD, "10.99.0.1").status_code == 429


@pytest.mark.django_db
def test_behind_one_proxy_clients_are_told_apart_by_the_appended_address(settings):
    settings.CANOPY_TRUSTED_PROXIES = 1
    UserFactory(email="jan@example.nl")
    client = APIClient()
    for n in range(10):
        assert _login(client, "wrong", f"10.9.{n}.1, 203.0.113.9").status_code == 401
    # The same real client with yet another forged prefix is throttled ...
    assert _login(client, "wrong", "10.200.0.1, 203.0.113.9").status_code == 429
    # ... while another real client behind the proxy is not.
    assert _login(client, DEFAULT_PASSWORD, "203.0.113.10").status_code == 200


@pytest.mark.django_db
def test_the_claim_failure_throttle_ignores_forged_headers():
    from unittest import mock

    from partners.api.claims import ClaimFailureIpThrottle

    with mock.patch.object(ClaimFailureIpThrottle, "rate", "3/hour"):
        codes = []
        for n in range(4):
            client = APIClient()
            client.force_authenticate(UserFactory())
            response = client.post(
                "/api/v1/claims",
                {"code": "CNPY-2222-2222-2222-2222"},
                format="json",
                HTTP_X_FORWARDED_FOR=f"10.8.{n}.1",
            )
            codes.append(response.status_code)
    assert codes == [400, 400, 400, 429]


@pytest.mark.django_db
def test_the_webhook_throttle_ignores_forged_headers(settings, monkeypatch):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setenv("CANOPY_WEBHOOK_SECRET_SANDBOX", WEBHOOK_SECRET)
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "webhook": "2/minute"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    client = APIClient()
    codes = []
    for n in range(3):
        body = json.dumps({"account_ref": "nobody"}).encode()
        headers = signed_headers(body, delivery=f"x{n}")
        response = client.generic(
            "POST",
            "/api/v1/webhooks/feeds/sandbox",
            body,
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=f"10.7.{n}.1",
            **headers,
        )
        codes.append(response.status_code)
    assert codes[-1] == 429


def test_every_throttle_comes_from_core_throttling():
    """DRF's own throttles trust forged headers; a new module must not import them directly."""
    from pathlib import Path

    from django.conf import settings

    offenders = []
    for app in ("accounts", "catalogue", "forest", "partners", "privacy", "demo", "config"):
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            text = path.read_text()
            if "rest_framework.throttling" in text or "from rest_framework import throttling" in (
                text
            ):
                offenders.append(str(path))
    assert offenders == []
