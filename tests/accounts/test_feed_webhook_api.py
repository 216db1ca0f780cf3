"""POST /api/v1/webhooks/feeds/{provider}: HMAC signature, freshness, replays, throttling."""

from __future__ import annotations

import json
import time

import pytest

from accounts.integrations.webhooks import webhook_signature
from accounts.models import ImportBatch, Transaction, WebhookDelivery
from tests.accounts.factories import LinkedFeedFactory
from tests.accounts.feed_helpers import WEBHOOK_SECRET, signed_headers

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/feeds/sandbox"


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv("CANOPY_WEBHOOK_SECRET_SANDBOX", WEBHOOK_SECRET)


@pytest.fixture
def feed():
    return LinkedFeedFactory(provider="sandbox", account_ref="sandbox-webhook-test")


def _body(feed) -> bytes:
    return json.dumps({"account_ref": feed.account_ref, "webhook_code": "SYNC_UPDATES"}).encode()


def _post(client, body: bytes, headers: dict, url: str = URL):
    return client.generic("POST", url, body, content_type="application/json", **headers)


def _nothing_changed() -> None:
    assert not WebhookDelivery.objects.exists()
    assert not ImportBatch.objects.exists()
    assert not Transaction.objects.exists()


def test_a_signed_delivery_is_accepted_and_syncs_the_feed(
    api_client, feed, django_capture_on_commit_callbacks
):
    body = _body(feed)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(api_client, body, signed_headers(body, delivery="evt-1"))

    assert response.status_code == 202, response.content
    assert response.json() == {"feeds": [feed.pk]}
    delivery = WebhookDelivery.objects.get()
    assert (delivery.provider, delivery.delivery_id) == ("sandbox", "evt-1")
    batches = ImportBatch.objects.filter(feed=feed)
    assert batches.exists()
    assert set(batches.values_list("source", flat=True)) == {"webhook"}
    assert all(batch.delivery_id.startswith("evt-1@") for batch in batches)
    assert Transaction.objects.filter(feed=feed).exists()


def test_a_bad_signature_is_a_401_and_changes_nothing(api_client, feed):
    body = _body(feed)
    headers = signed_headers(body, secret="not-the-secret")

    response = _post(api_client, body, headers)

    assert response.status_code == 401
    assert response.json()["code"] == "signature_invalid"
    _nothing_changed()


def test_a_tampered_body_is_a_401(api_client, feed):
    headers = signed_headers(_body(feed))
    tampered = json.dumps({"account_ref": feed.account_ref, "webhook_code": "X"}).encode()

    response = _post(api_client, tampered, headers)

    assert response.status_code == 401
    _nothing_changed()


def test_an_old_timestamp_is_a_401_even_with_a_valid_signature(api_client, feed):
    body = _body(feed)
    headers = signed_headers(body, timestamp=int(time.time()) - 301)

    response = _post(api_client, body, headers)

    assert response.status_code == 401
    assert "too old" in response.json()["detail"]
    _nothing_changed()


def test_a_timestamp_within_the_tolerance_is_fine(api_client, feed, settings):
    body = _body(feed)

    response = _post(api_client, body, signed_headers(body, timestamp=int(time.time()) - 240))

    assert response.status_code == 202


def test_missing_headers_are_a_401(api_client, feed):
    response = _post(api_client, _body(feed), {})

    assert response.status_code == 401
    _nothing_changed()


def test_a_replayed_delivery_is_a_409_and_changes_nothing(
    api_client, feed, django_capture_on_commit_callbacks
):
    body = _body(feed)
    with django_capture_on_commit_callbacks(execute=True):
        _post(api_client, body, signed_headers(body, delivery="evt-7"))
    batches = ImportBatch.objects.count()
    rows = Transaction.objects.count()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        replay = _post(api_client, body, signed_headers(body, delivery="evt-7"))

    assert replay.status_code == 409
    assert callbacks == []
    assert WebhookDelivery.objects.count() == 1
    assert (ImportBatch.objects.count(), Transaction.objects.count()) == (batches, rows)


def test_an_unknown_provider_is_a_404(api_client, feed):
    body = _body(feed)

    response = _post(api_client, body, signed_headers(body), url="/api/v1/webhooks/feeds/mt940")

    assert response.status_code == 404
    _nothing_changed()


def test_a_provider_without_a_configured_secret_is_a_401(api_client, monkeypatch):
    monkeypatch.delenv("CANOPY_WEBHOOK_SECRET_PLAID", raising=False)
    body = b'{"item_id": "item-1"}'

    response = _post(api_client, body, signed_headers(body), url="/api/v1/webhooks/feeds/plaid")

    assert response.status_code == 401
    _nothing_changed()


def test_a_delivery_for_no_active_feed_is_a_404(api_client):
    body = b'{"account_ref": "nobody"}'

    response = _post(api_client, body, signed_headers(body))

    assert response.status_code == 404
    _nothing_changed()


def test_a_body_that_is_not_json_is_a_400(api_client):
    body = b"account_ref=nobody"

    response = _post(api_client, body, signed_headers(body))

    assert response.status_code == 400
    _nothing_changed()


def test_a_missing_delivery_id_is_a_400(api_client, feed):
    body = _body(feed)
    headers = signed_headers(body)
    del headers["HTTP_X_CANOPY_DELIVERY"]

    response = _post(api_client, body, headers)

    assert response.status_code == 400
    _nothing_changed()


def test_webhooks_are_throttled(api_client, feed, monkeypatch):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    # monkeypatch restores the class's own rates afterwards (later tests keep 600/minute).
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "webhook": "2/minute"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    codes = []
    for number in range(3):
        body = _body(feed)
        codes.append(_post(api_client, body, signed_headers(body, delivery=f"t{number}")))
    assert [response.status_code for response in codes] == [202, 202, 429]
    assert WebhookDelivery.objects.count() == 2


def test_the_signature_is_hmac_sha256_over_timestamp_delivery_and_body():
    import hashlib
    import hmac

    expected = hmac.new(b"s3cret", b"1700000000.evt-1.{}", hashlib.sha256).hexdigest()

    signature = webhook_signature(
        secret=b"s3cret", timestamp="1700000000", delivery_id="evt-1", body=b"{}"
    )
    assert signature == "sha256=" + expected


def test_a_captured_delivery_replayed_under_new_ids_is_refused(
    api_client, feed, django_capture_on_commit_callbacks
):
    body = _body(feed)
    captured = signed_headers(body, delivery="evt-captured")
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(api_client, body, captured).status_code == 202

    replays = []
    for number in range(5):
        headers = {**captured, "HTTP_X_CANOPY_DELIVERY": f"evt-new-{number}"}
        replays.append(_post(api_client, body, headers).status_code)

    assert replays == [401] * 5
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize("delivery", ["evt.1", "x" * 129, "evt 1", "évt"])
def test_a_malformed_delivery_id_is_a_400(api_client, feed, delivery):
    body = _body(feed)
    headers = {**signed_headers(body), "HTTP_X_CANOPY_DELIVERY": delivery}

    response = _post(api_client, body, headers)

    assert response.status_code == 400
    assert response.json()["code"] == "delivery_missing"
    _nothing_changed()


def test_a_signed_deeply_nested_body_is_a_400_not_a_500(api_client, feed):
    body = b'{"account_ref": "x", "deep": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    client_headers = signed_headers(body, delivery="evt-deep")

    response = _post(api_client, body, client_headers)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_body"
    assert "nested" in response.json()["detail"]
    _nothing_changed()


def test_brackets_inside_strings_do_not_count_as_nesting(
    api_client, feed, django_capture_on_commit_callbacks
):
    body = json.dumps({"account_ref": feed.account_ref, "note": "[[[[" * 100}).encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(api_client, body, signed_headers(body, delivery="evt-str"))
    assert response.status_code == 202


def test_an_oversized_body_is_a_413(api_client, feed, settings):
    settings.CANOPY_WEBHOOK_MAX_BYTES = 100
    body = json.dumps({"account_ref": feed.account_ref, "pad": "x" * 200}).encode()

    response = _post(api_client, body, signed_headers(body, delivery="evt-big"))

    assert response.status_code == 413
    _nothing_changed()
