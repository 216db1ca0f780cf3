"""Plaid Link's server side: link tokens, the public token exchange, and what never leaks."""

from __future__ import annotations

import logging

import pytest
from django.db import connection

from accounts.models import Consent, LinkedFeed, PlaidItem, Transaction
from accounts.services.crypto import decrypt
from accounts.services.plaid_link import plaid_client_user_id
from tests.accounts.factories import LinkedFeedFactory, PlaidItemFactory, UserFactory
from tests.accounts.plaid_helpers import (
    EXCHANGED_ACCESS_TOKEN,
    EXCHANGED_ITEM_ID,
    use_plaid_http,
)
from tests.clients import api_client_for

pytestmark = pytest.mark.django_db

LINK_TOKEN = "/api/v1/feeds/plaid/link-token"
EXCHANGE = "/api/v1/feeds/plaid/exchange"
CONSENT = {"scopes": ["transactions"], "purpose_accepted": True}


def _exchange_body(public_token="public-sandbox-b0e2c4ee", account_id="acc-ing-1", **extra):
    return {
        "public_token": public_token,
        "account_id": account_id,
        "display_name": "ING Betaalrekening",
        "consent": CONSENT,
        **extra,
    }


@pytest.fixture
def no_sync(mocker):
    """The first sync is queued on commit; these tests look at the link, not the import."""
    return mocker.patch("accounts.tasks.feed_sync_task.delay")


# --- Link tokens ---------------------------------------------------------------------------


def test_a_link_token_is_returned_with_its_expiration(user_client):
    response = user_client.post(LINK_TOKEN)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"link_token", "expiration"}
    assert body["link_token"].startswith("link-sandbox-")
    assert body["expiration"]


def test_plaid_knows_the_user_only_by_an_opaque_id_in_their_language(mocker, monkeypatch, settings):
    recorded = use_plaid_http(
        mocker, monkeypatch, settings, {"/link/token/create": "link_token_create.json"}
    )
    settings.CANOPY_PLAID_COUNTRY_CODES = ["NL", "BE"]
    anne = UserFactory(email="anne@example.nl", profile__locale="en")
    bart = UserFactory(email="bart@example.nl", profile__locale="nl")

    for user in (anne, anne, bart):
        response = api_client_for(user).post(LINK_TOKEN)
        assert response.status_code == 200
        assert response.json()["link_token"] == (
            "link-sandbox-af1a0311-da53-4636-b754-dd15cc058176"
        )

    first, again, other = (body for _, body in recorded.requests)
    client_user_id = first["user"]["client_user_id"]
    assert client_user_id == again["user"]["client_user_id"] == plaid_client_user_id(anne)
    assert client_user_id != other["user"]["client_user_id"]
    assert "anne" not in client_user_id and client_user_id != str(anne.pk)
    assert len(client_user_id) >= 32
    assert (first["language"], other["language"]) == ("en", "nl")
    assert first["country_codes"] == ["NL", "BE"]
    assert first["products"] == ["transactions"]
    assert first["client_name"] == "Canopy"


def test_anonymous_clients_get_no_link_token(api_client):
    assert api_client.post(LINK_TOKEN).status_code == 401
    assert api_client.post(EXCHANGE, _exchange_body(), format="json").status_code == 401


def test_plaid_down_while_creating_a_link_token_is_a_503(
    user_client, mocker, monkeypatch, settings
):
    use_plaid_http(mocker, monkeypatch, settings, {"/link/token/create": "gateway_502.html"})

    response = user_client.post(LINK_TOKEN)

    assert response.status_code == 503
    assert response.json()["code"] == "plaid_unavailable"
    assert response["Retry-After"] == "60"


# --- The exchange ----------------------------------------------------------------------------


def test_exchanging_links_the_chosen_account_with_its_consent(user, user_client, no_sync):
    response = user_client.post(EXCHANGE, _exchange_body(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["provider"] == "plaid"
    assert body["account_ref"] == "acc-ing-1"
    assert body["display_name"] == "ING Betaalrekening"
    assert body["consent"]["live"] is True
    feed = LinkedFeed.objects.get(pk=body["id"])
    assert feed.user == user and feed.status == "active"
    consent = Consent.objects.get(feed=feed)
    assert consent.scopes == ["transactions"] and consent.revoked_at is None
    item = PlaidItem.objects.get(feed=feed)
    assert item.adapter == "sandbox"
    assert item.access_token().startswith("access-sandbox-")
    assert item.item_id().startswith("item-sandbox-")


def test_the_first_sync_is_queued_on_commit(
    user_client, mocker, django_capture_on_commit_callbacks
):
    delay = mocker.patch("accounts.tasks.feed_sync_task.delay")

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(EXCHANGE, _exchange_body(), format="json")

    assert response.status_code == 201
    delay.assert_called_once_with(response.json()["id"], source="pull", delivery_id="")


def test_the_first_sync_pulls_with_the_stored_token(
    user_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(EXCHANGE, _exchange_body(), format="json")

    feed = LinkedFeed.objects.get(pk=response.json()["id"])
    assert Transaction.objects.filter(feed=feed).count() > 50  # the sandbox bank's six weeks
    feed.refresh_from_db()
    assert feed.cursor and feed.last_error == ""


def test_the_tokens_are_encrypted_in_the_database(user_client, no_sync):
    response = user_client.post(EXCHANGE, _exchange_body(), format="json")
    item = PlaidItem.objects.get(feed_id=response.json()["id"])
    token, item_id = item.access_token(), item.item_id()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token_ciphertext, item_id_ciphertext FROM accounts_plaiditem "
            "WHERE id = %s",
            [item.pk],
        )
        stored_token, stored_item_id = cursor.fetchone()

    assert token not in stored_token and item_id not in stored_item_id
    assert "access-sandbox" not in stored_token
    assert stored_token.startswith("gAAAAA")  # a Fernet token
    assert decrypt(stored_token) == token and decrypt(stored_item_id) == item_id


def test_no_answer_carries_the_access_token(user_client, mocker, monkeypatch, settings, no_sync):
    use_plaid_http(
        mocker, monkeypatch, settings, {"/item/public_token/exchange": "public_token_exchange.json"}
    )

    created = user_client.post(EXCHANGE, _exchange_body(), format="json")
    feed_id = created.json()["id"]
    answers = [
        created,
        user_client.post(EXCHANGE, _exchange_body(), format="json"),
        user_client.get("/api/v1/feeds"),
        user_client.get(f"/api/v1/feeds/{feed_id}"),
        user_client.delete(f"/api/v1/feeds/{feed_id}"),
    ]

    for answer in answers:
        assert answer.status_code < 300
        assert EXCHANGED_ACCESS_TOKEN.encode() not in answer.content
        assert EXCHANGED_ITEM_ID.encode() not in answer.content
        assert b"access-sandbox" not in answer.content


def test_tokens_never_reach_the_logs(
    user_client, caplog, mocker, monkeypatch, settings, django_capture_on_commit_callbacks
):
    recorded = use_plaid_http(
        mocker,
        monkeypatch,
        settings,
        {
            "/item/public_token/exchange": "public_token_exchange.json",
            "/transactions/sync": "error_item_login_required.json",
            "/item/remove": "error_internal_server_error.json",
        },
    )
    caplog.set_level(logging.DEBUG)

    with django_capture_on_commit_callbacks(execute=True):
        feed_id = user_client.post(EXCHANGE, _exchange_body(), format="json").json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert user_client.delete(f"/api/v1/feeds/{feed_id}").status_code == 200

    assert recorded.paths() == ["/item/public_token/exchange", "/transactions/sync", "/item/remove"]
    assert caplog.records  # the sync and the removal failures were logged ...
    for record in caplog.records:  # ... without a secret
        text = record.getMessage()
        for secret in (EXCHANGED_ACCESS_TOKEN, EXCHANGED_ITEM_ID, "public-sandbox-b0e2c4ee"):
            assert secret not in text


# --- Consent: nothing pre-ticked, nothing sent to Plaid without it ---------------------------


@pytest.mark.parametrize(
    "consent",
    [
        None,
        {},
        {"scopes": ["transactions"]},
        {"scopes": ["transactions"], "purpose_accepted": False},
        {"scopes": [], "purpose_accepted": True},
        {"purpose_accepted": True},
        {"scopes": ["balances"], "purpose_accepted": True},
    ],
)
def test_without_explicit_consent_nothing_reaches_plaid(
    user_client, mocker, monkeypatch, settings, consent
):
    recorded = use_plaid_http(
        mocker, monkeypatch, settings, {"/item/public_token/exchange": "public_token_exchange.json"}
    )
    body = _exchange_body()
    if consent is None:
        del body["consent"]
    else:
        body["consent"] = consent

    response = user_client.post(EXCHANGE, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "consent_required"
    assert response.json()["consent"]["purpose"]
    assert recorded.requests == []
    assert not LinkedFeed.objects.exists() and not PlaidItem.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"account_id": "acc-1", "consent": CONSENT},
        {"public_token": "public-sandbox-1", "consent": CONSENT},
        {"public_token": "public-sandbox-1", "account_id": "   ", "consent": CONSENT},
        {"public_token": "", "account_id": "acc-1", "consent": CONSENT},
    ],
)
def test_a_missing_public_token_or_account_is_a_400(user_client, body):
    response = user_client.post(EXCHANGE, body, format="json")

    assert response.status_code == 400
    assert not LinkedFeed.objects.exists()


# --- Idempotency and other users ------------------------------------------------------------


def test_the_same_public_token_twice_links_one_feed(
    user_client, mocker, monkeypatch, settings, no_sync
):
    recorded = use_plaid_http(
        mocker, monkeypatch, settings, {"/item/public_token/exchange": "public_token_exchange.json"}
    )

    first = user_client.post(EXCHANGE, _exchange_body(), format="json")
    again = user_client.post(EXCHANGE, _exchange_body(), format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert LinkedFeed.objects.count() == 1 and PlaidItem.objects.count() == 1
    assert recorded.paths() == ["/item/public_token/exchange"]  # Plaid was asked once


def test_another_user_cannot_exchange_into_someone_elses_feed(user, user_client, no_sync):
    feed_id = user_client.post(EXCHANGE, _exchange_body(), format="json").json()["id"]
    mallory = api_client_for(UserFactory())

    response = mallory.post(EXCHANGE, _exchange_body(), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_public_token"
    assert "feed" not in response.json() and "id" not in response.json()
    assert list(LinkedFeed.objects.values_list("user_id", flat=True)) == [user.pk]
    assert mallory.get(f"/api/v1/feeds/{feed_id}").status_code == 404
    assert mallory.get("/api/v1/feeds").json() == []
    assert mallory.delete(f"/api/v1/feeds/{feed_id}").status_code == 404
    assert mallory.post(f"/api/v1/feeds/{feed_id}/consent", CONSENT, format="json").status_code == (
        404
    )
    item = PlaidItem.objects.get(feed_id=feed_id)
    assert item.removal_requested_at is None and item.access_token()


def test_two_users_may_link_accounts_with_the_same_plaid_account_id(user_client, no_sync):
    other = api_client_for(UserFactory())

    mine = user_client.post(EXCHANGE, _exchange_body("public-sandbox-mine"), format="json")
    theirs = other.post(EXCHANGE, _exchange_body("public-sandbox-theirs"), format="json")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


def test_linking_an_account_that_is_linked_already_is_a_409_and_removes_the_new_item(
    user, user_client, mocker, monkeypatch, settings
):
    existing = PlaidItemFactory(
        feed=LinkedFeedFactory(user=user, provider="plaid", account_ref="acc-ing-1"),
        adapter="plaid",
    )
    recorded = use_plaid_http(
        mocker,
        monkeypatch,
        settings,
        {
            "/item/public_token/exchange": "public_token_exchange.json",
            "/item/remove": "item_remove.json",
        },
    )

    response = user_client.post(EXCHANGE, _exchange_body(), format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"This account is linked already (feed {existing.feed_id}).",
        "code": "feed_exists",
        "feed": existing.feed_id,
    }
    assert recorded.paths() == ["/item/public_token/exchange", "/item/remove"]
    assert recorded.requests[1][1]["access_token"] == EXCHANGED_ACCESS_TOKEN
    assert PlaidItem.objects.count() == 1


# --- Plaid's errors become clear answers ------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "status", "code"),
    [
        ("error_invalid_public_token.json", 400, "invalid_public_token"),
        ("error_item_login_required.json", 409, "item_login_required"),
        ("error_rate_limit.json", 503, "plaid_rate_limited"),
        ("error_internal_server_error.json", 503, "plaid_unavailable"),
        ("gateway_502.html", 503, "plaid_unavailable"),
        (TimeoutError("timed out"), 503, "plaid_unavailable"),
        ("error_invalid_api_keys.json", 502, "plaid_error"),
    ],
)
def test_plaid_errors_are_answered_clearly_and_link_nothing(
    user_client, mocker, monkeypatch, settings, answer, status, code
):
    use_plaid_http(mocker, monkeypatch, settings, {"/item/public_token/exchange": answer})

    response = user_client.post(EXCHANGE, _exchange_body(), format="json")

    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["detail"]
    if status == 503:
        assert response["Retry-After"] == "60"
    assert not LinkedFeed.objects.exists() and not PlaidItem.objects.exists()


def test_without_plaid_credentials_linking_is_unavailable(user_client, monkeypatch, settings):
    settings.CANOPY_PLAID_LINK = "plaid"
    monkeypatch.delenv("CANOPY_PLAID_CLIENT_ID", raising=False)
    monkeypatch.delenv("CANOPY_PLAID_SECRET", raising=False)

    assert user_client.post(LINK_TOKEN).status_code == 503
    response = user_client.post(EXCHANGE, _exchange_body(), format="json")
    assert response.status_code == 503
    assert not LinkedFeed.objects.exists()


def test_the_sandbox_refuses_a_malformed_public_token(user_client):
    response = user_client.post(EXCHANGE, _exchange_body("public-production-x y"), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_public_token"


# --- Throttling and the schema -----------------------------------------------------------------


def test_the_plaid_endpoints_are_throttled_per_user(user_client, no_sync):
    answers = [user_client.post(LINK_TOKEN).status_code for _ in range(9)]
    answers.append(user_client.post(EXCHANGE, _exchange_body(), format="json").status_code)

    assert answers == [200] * 9 + [201]
    assert user_client.post(LINK_TOKEN).status_code == 429
    assert user_client.post(EXCHANGE, _exchange_body(), format="json").status_code == 429
    assert api_client_for(UserFactory()).post(LINK_TOKEN).status_code == 200  # others are not


def test_the_schema_documents_both_endpoints_with_examples(user_client):
    schema = user_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    link = schema["paths"]["/api/v1/feeds/plaid/link-token"]["post"]
    exchange = schema["paths"]["/api/v1/feeds/plaid/exchange"]["post"]
    assert link["responses"]["200"]["content"]["application/json"]["examples"]
    request = exchange["requestBody"]["content"]["application/json"]
    assert request["examples"]["Exchange"]["value"]["consent"]["purpose_accepted"] is True
    assert {"200", "201", "400", "409", "502", "503"} <= set(exchange["responses"])
    assert "access_token" not in str(schema["components"]["schemas"].get("Feed", {}))


def test_plaid_feeds_cannot_be_linked_without_plaid_link(user_client):
    response = user_client.post(
        "/api/v1/feeds",
        {"provider": "plaid", "account_ref": "acc-1", "consent": CONSENT},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "use_plaid_link"
    assert not LinkedFeed.objects.exists()
