"""No personal data in the logs: registration, log-in (API and portal), a bank-file upload, a
password change and webhooks are driven with known e-mail addresses, passwords, a name, an
IBAN, tokens and a client address, every log line is captured as production writes it (JSON,
through the one formatter, Django's ``django.request`` warnings and the request lines of
django-structlog included), and none of those strings may appear."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from config.logs import formatter
from tests.accounts.factories import LinkedFeedFactory, UserFactory
from tests.accounts.feed_helpers import WEBHOOK_SECRET, signed_headers

pytestmark = pytest.mark.django_db

EMAIL = "Wilhelmina.Canary+pii@example-bank.nl"
KNOWN_EMAIL = "known.canary@example-bank.nl"
PASSWORD = "Canary-Passw0rd-91827"
NEW_PASSWORD = "Canary-NewPass-73645"
WRONG_PASSWORD = "Canary-Wrong-55555"
NAME = "Wilhelmina Canarykamp"
IBAN = "NL91ABNA0417164300"
IBAN_SPACED = "NL91 ABNA 0417 1643 00"
CLIENT_IP = "203.0.113.77"
FORWARDED_IP = "198.51.100.23"
UNSUBSCRIBE_TOKEN = "canarytoken0123456789abcdefXYZ"
BAD_BEARER = "canary.bearer.token.0123456789"


@pytest.fixture
def captured():
    """Every record of every logger, at DEBUG, formatted as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(json=True))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    loggers = [root] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    levels = {logger: logger.level for logger in loggers}
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        for logger, level in levels.items():
            logger.setLevel(level)


def _client() -> APIClient:
    return APIClient(REMOTE_ADDR=CLIENT_IP, HTTP_X_FORWARDED_FOR=FORWARDED_IP)


def test_no_personal_data_reaches_the_logs(
    captured, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CANOPY_TRUSTED_PROXIES = 1
    monkeypatch.setenv("CANOPY_WEBHOOK_SECRET_SANDBOX", WEBHOOK_SECRET)
    secrets = [EMAIL, EMAIL.lower(), "Wilhelmina.Canary", KNOWN_EMAIL, PASSWORD, NEW_PASSWORD]
    secrets += [WRONG_PASSWORD, NAME, "Canarykamp", IBAN, IBAN_SPACED, CLIENT_IP, FORWARDED_IP]
    secrets += [UNSUBSCRIBE_TOKEN, BAD_BEARER, WEBHOOK_SECRET]
    client = _client()

    with django_capture_on_commit_callbacks(execute=True):
        # Registration: a new address, a taken one, and a refused one that names the person.
        body = {"email": EMAIL, "password": PASSWORD, "display_name": NAME}
        assert client.post("/api/v1/auth/register", body, format="json").status_code == 202
        known = UserFactory(email=KNOWN_EMAIL)
        known.set_password(PASSWORD)
        known.save(update_fields=["password"])
        body = {"email": KNOWN_EMAIL, "password": PASSWORD, "display_name": NAME}
        assert client.post("/api/v1/auth/register", body, format="json").status_code == 202
        body = {"email": f"{NAME}@", "password": "Canarykamp", "display_name": NAME}
        assert client.post("/api/v1/auth/register", body, format="json").status_code == 400

        # Log-in, wrong and right, on the API and on the portal.
        wrong = {"email": KNOWN_EMAIL, "password": WRONG_PASSWORD}
        assert client.post("/api/v1/auth/token", wrong, format="json").status_code == 401
        right = {"email": KNOWN_EMAIL, "password": PASSWORD}
        login = client.post("/api/v1/auth/token", right, format="json")
        assert login.status_code == 200
        access, refresh = login.json()["access"], login.json()["refresh"]
        secrets += [access, refresh]
        portal = _client()
        form = {"username": KNOWN_EMAIL, "password": WRONG_PASSWORD}
        assert portal.post("/partners/login/", form).status_code in (200, 302, 429)

        # A bank file with the account holder's name and IBAN in it, and a malformed one.
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        feed = LinkedFeedFactory(user=known, provider="file")
        csv = (
            "transaction_id,status,booking_date,transaction_date,amount,currency,merchant_name,"
            "merchant_id,mcc,category,description\n"
            f"CAN-1,booked,2026-11-02,2026-11-01,-23.40,EUR,NS Groep,,4112,public_transport,"
            f"{NAME} {IBAN} {EMAIL}\n"
        ).encode()
        upload = {"file": SimpleUploadedFile("canary.csv", csv)}
        response = client.post(f"/api/v1/feeds/{feed.pk}/uploads", upload, format="multipart")
        assert response.status_code in (201, 202), response.content
        bad = {"file": SimpleUploadedFile("canary.csv", f"{NAME};{IBAN};{EMAIL}\n".encode())}
        response = client.post(f"/api/v1/feeds/{feed.pk}/uploads", bad, format="multipart")
        assert response.status_code == 400

        # Password changes, wrong and right.
        body = {"old_password": WRONG_PASSWORD, "new_password": NEW_PASSWORD}
        assert client.post("/api/v1/me/password", body, format="json").status_code == 400
        body = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
        assert client.post("/api/v1/me/password", body, format="json").status_code in (200, 204)

        # Webhooks: accepted, badly signed, nested too deep; all naming the account by IBAN.
        hook_feed = LinkedFeedFactory(provider="sandbox", account_ref=IBAN)
        body_bytes = json.dumps({"account_ref": hook_feed.account_ref, "email": EMAIL}).encode()
        url = "/api/v1/webhooks/feeds/sandbox"
        hook = _client()
        response = hook.generic(
            "POST", url, body_bytes, content_type="application/json", **signed_headers(body_bytes)
        )
        assert response.status_code in (200, 202), response.content
        response = hook.generic(
            "POST",
            url,
            body_bytes,
            content_type="application/json",
            **{**signed_headers(body_bytes, delivery="d2"), "HTTP_X_CANOPY_SIGNATURE": "00"},
        )
        assert response.status_code == 401
        nested = ("[" * 100 + json.dumps(EMAIL) + "]" * 100).encode()
        response = hook.generic(
            "POST",
            url,
            nested,
            content_type="application/json",
            **signed_headers(nested, delivery="d3"),
        )
        assert response.status_code == 400

        # A token in a path, and a bearer token that is not one.
        _client().get(f"/notifications/unsubscribe/{UNSUBSCRIBE_TOKEN}")
        _client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {BAD_BEARER}")

    output = captured.getvalue()
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    events = {line["event"] for line in lines}
    # The capture saw the request lines, Django's 4xx warnings and the portal's log-in.
    assert "request_finished" in events
    assert any(str(e).startswith(("Unauthorized:", "Bad Request:")) for e in events)
    assert all(line.get("request_id") for line in lines if line["event"] == "request_finished")
    leaked = [s for s in secrets if s.lower() in output.lower()]
    assert not leaked, f"{leaked} in the logs:\n{output}"
    assert "@" not in output.replace("@example.invalid", "")


def test_the_scrubber_removes_what_looks_like_personal_data():
    from config.logs import scrub_value

    event = {
        "event": f"user {EMAIL} paid from {IBAN_SPACED} with Bearer {BAD_BEARER}",
        "password": PASSWORD,
        "nested": {"email": "x", "detail": [f"to {IBAN}"]},
        "request_id": "abc-12345678",
    }
    scrubbed = json.dumps(scrub_value(event))
    for secret in (EMAIL, IBAN, IBAN_SPACED, PASSWORD, BAD_BEARER):
        assert secret not in scrubbed
    assert "abc-12345678" in scrubbed
