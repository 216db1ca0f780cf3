"""Revoking a Plaid Link feed removes its item at Plaid and erases the stored tokens, without
ever waiting for Plaid; and what else knows about the item (webhooks, re-consent, the admin)."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from accounts.models import ImportBatch, PlaidItem, Transaction
from accounts.tasks import feeds_pull_task
from tests.accounts.factories import LinkedFeedFactory, PlaidItemFactory, UserFactory
from tests.accounts.feed_helpers import WEBHOOK_SECRET, import_fixture, signed_headers
from tests.accounts.plaid_helpers import use_plaid_http

pytestmark = pytest.mark.django_db

TOKEN = "access-production-1f0e1c9a-7b64-4d9e-9a55-0c3f2b7e8d41"
ITEM_ID = "Ed6bjNrDLJfGvZWwnkQlfxwoNz54B5C97ejBr"


@pytest.fixture
def item(user):
    feed = LinkedFeedFactory(user=user, provider="plaid", account_ref="acc-ing-1")
    import_fixture(feed, "week1.csv")
    return PlaidItemFactory(feed=feed, adapter="plaid", access_token=TOKEN, item_id=ITEM_ID)


def _stored(item) -> tuple[str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token_ciphertext, item_id_ciphertext, item_id_sha256 "
            "FROM accounts_plaiditem WHERE id = %s",
            [item.pk],
        )
        return cursor.fetchone()


def _revoke(client, item, capture):
    with capture(execute=True):
        response = client.delete(f"/api/v1/feeds/{item.feed_id}")
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    item.refresh_from_db()
    return response


def test_revoking_removes_the_item_at_plaid_and_erases_the_tokens(
    item, user_client, mocker, monkeypatch, settings, django_capture_on_commit_callbacks
):
    recorded = use_plaid_http(mocker, monkeypatch, settings, {"/item/remove": "item_remove.json"})

    _revoke(user_client, item, django_capture_on_commit_callbacks)

    assert recorded.paths() == ["/item/remove"]
    assert recorded.requests[0][1]["access_token"] == TOKEN
    assert item.removed_at is not None and item.removal_error == ""
    assert _stored(item) == ("", "", "")
    assert not Transaction.objects.filter(feed=item.feed, redacted_at__isnull=True).exists()


@pytest.mark.parametrize(
    "plaid_answer", ["error_internal_server_error.json", "gateway_502.html", TimeoutError()]
)
def test_plaid_down_does_not_block_the_revocation_and_the_nightly_pull_retries(
    item,
    user_client,
    mocker,
    monkeypatch,
    settings,
    django_capture_on_commit_callbacks,
    plaid_answer,
):
    recorded = use_plaid_http(mocker, monkeypatch, settings, {"/item/remove": plaid_answer})

    _revoke(user_client, item, django_capture_on_commit_callbacks)

    # Revoked and erased here at once; the token stays, encrypted, until Plaid confirms.
    item.feed.refresh_from_db()
    assert item.feed.status == "revoked"
    assert not Transaction.objects.filter(feed=item.feed, redacted_at__isnull=True).exists()
    assert item.removal_requested_at is not None and item.removed_at is None
    assert item.removal_attempts == 1 and item.removal_error
    assert TOKEN not in item.removal_error
    assert item.access_token() == TOKEN and TOKEN not in _stored(item)[0]

    recorded.answers["/item/remove"] = "item_remove.json"
    assert feeds_pull_task.delay().get() == 0  # no active feed to sync, one item to remove

    item.refresh_from_db()
    assert recorded.paths() == ["/item/remove", "/item/remove"]
    assert item.removed_at is not None and item.removal_attempts == 2
    assert item.removal_error == "" and _stored(item) == ("", "", "")


def test_an_item_plaid_no_longer_knows_counts_as_removed(
    item, user_client, mocker, monkeypatch, settings, django_capture_on_commit_callbacks
):
    use_plaid_http(mocker, monkeypatch, settings, {"/item/remove": "error_item_not_found.json"})

    _revoke(user_client, item, django_capture_on_commit_callbacks)

    assert item.removed_at is not None and _stored(item) == ("", "", "")


def test_the_nightly_pull_leaves_removed_and_live_items_alone(item, mocker):
    PlaidItemFactory(removal_requested_at="2026-11-01T00:00Z", removed_at="2026-11-01T00:01Z")
    remove = mocker.patch("accounts.tasks.plaid_item_remove_task.delay")
    mocker.patch("accounts.tasks.feed_sync_task.delay")

    feeds_pull_task.delay().get()

    remove.assert_not_called()


def test_a_feed_linked_through_the_sandbox_is_removed_from_the_sandbox(
    user_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(
            "/api/v1/feeds/plaid/exchange",
            {
                "public_token": "public-sandbox-revoke-1",
                "account_id": "acc-1",
                "consent": {"scopes": ["transactions"], "purpose_accepted": True},
            },
            format="json",
        )
    item = PlaidItem.objects.get(feed_id=response.json()["id"])

    _revoke(user_client, item, django_capture_on_commit_callbacks)

    assert item.removed_at is not None and _stored(item) == ("", "", "")


def test_a_revoked_plaid_feed_must_be_linked_again_not_renewed(
    item, user_client, mocker, monkeypatch, settings, django_capture_on_commit_callbacks
):
    use_plaid_http(mocker, monkeypatch, settings, {"/item/remove": "item_remove.json"})
    _revoke(user_client, item, django_capture_on_commit_callbacks)

    response = user_client.post(
        f"/api/v1/feeds/{item.feed_id}/consent",
        {"scopes": ["transactions"], "purpose_accepted": True},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "relink_required"
    item.feed.refresh_from_db()
    assert item.feed.status == "revoked"


def test_a_plaid_feed_without_a_stored_item_is_revoked_as_before(user, user_client, mocker):
    feed = LinkedFeedFactory(user=user, provider="plaid")
    remove = mocker.patch("accounts.tasks.plaid_item_remove_task.delay")

    assert user_client.delete(f"/api/v1/feeds/{feed.pk}").status_code == 200

    remove.assert_not_called()


def test_plaids_webhook_naming_the_item_finds_the_linked_feed(
    item, api_client, monkeypatch, mocker, django_capture_on_commit_callbacks
):
    monkeypatch.setenv("CANOPY_WEBHOOK_SECRET_PLAID", WEBHOOK_SECRET)
    sync = mocker.patch("accounts.tasks.feed_sync_task.delay")
    body = json.dumps({"item_id": ITEM_ID, "webhook_code": "SYNC_UPDATES_AVAILABLE"}).encode()

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.generic(
            "POST",
            "/api/v1/webhooks/feeds/plaid",
            body,
            content_type="application/json",
            **signed_headers(body),
        )

    assert response.status_code == 202
    assert response.json() == {"feeds": [item.feed_id]}
    sync.assert_called_once_with(item.feed_id, source="webhook", delivery_id="delivery-1")


# --- The admin shows tokens masked only -------------------------------------------------------


@pytest.fixture
def operator_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_admin_shows_the_token_masked(item, operator_client):
    ciphertext = _stored(item)[0]
    for url in (
        "/admin/accounts/plaiditem/",
        f"/admin/accounts/plaiditem/{item.pk}/change/",
        f"/admin/accounts/linkedfeed/{item.feed_id}/change/",
        "/admin/accounts/linkedfeed/",
    ):
        response = operator_client.get(url)
        assert response.status_code == 200, url
        assert TOKEN.encode() not in response.content
        assert ITEM_ID.encode() not in response.content
        assert ciphertext.encode() not in response.content
    page = operator_client.get(f"/admin/accounts/plaiditem/{item.pk}/change/").content.decode()
    assert "access-production-…••••8d41" in page


def test_the_admin_cannot_add_or_edit_plaid_items(item, operator_client):
    assert operator_client.get("/admin/accounts/plaiditem/add/").status_code == 403
    response = operator_client.post(f"/admin/accounts/plaiditem/{item.pk}/change/", {})
    assert response.status_code == 403
    assert PlaidItem.objects.get().access_token() == TOKEN
    assert ImportBatch.objects.filter(feed=item.feed).count() == 1
