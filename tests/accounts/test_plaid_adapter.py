"""The Plaid Link adapters: HTTP against Plaid's recorded answers, and the offline sandbox."""

from __future__ import annotations

import urllib.error
from datetime import UTC, datetime

import pytest

from accounts.integrations.plaid import PlaidError, PlaidProvider, PlaidSandbox, plaid_link_adapter
from accounts.integrations.providers import ProviderError
from tests.accounts.plaid_helpers import (
    EXCHANGED_ACCESS_TOKEN,
    EXCHANGED_ITEM_ID,
    RecordedPlaidHttp,
)


@pytest.fixture
def http(mocker):
    def install(answers: dict) -> RecordedPlaidHttp:
        recorded = RecordedPlaidHttp(answers)
        mocker.patch("urllib.request.urlopen", recorded)
        return recorded

    return install


def _plaid() -> PlaidProvider:
    return PlaidProvider(client_id="client-1", secret="secret-1", environment="sandbox")


def _link_token(adapter) -> object:
    return adapter.link_token_create(
        client_user_id="opaque-user-1",
        language="nl",
        country_codes=["NL"],
        client_name="Canopy",
    )


# --- HTTP: success -------------------------------------------------------------------------


def test_a_link_token_is_created_for_transactions_with_the_users_opaque_id(http):
    recorded = http({"/link/token/create": "link_token_create.json"})

    token = _link_token(_plaid())

    assert token.link_token == "link-sandbox-af1a0311-da53-4636-b754-dd15cc058176"
    assert token.expiration == datetime(2026, 11, 25, 19, 4, 5, tzinfo=UTC)
    url, body = recorded.requests[0]
    assert url == "https://sandbox.plaid.com/link/token/create"
    assert body["client_id"] == "client-1" and body["secret"] == "secret-1"
    assert body["user"] == {"client_user_id": "opaque-user-1"}
    assert body["products"] == ["transactions"]
    assert body["country_codes"] == ["NL"] and body["language"] == "nl"
    assert "redirect_uri" not in body


def test_the_redirect_uri_is_sent_when_configured(http):
    recorded = http({"/link/token/create": "link_token_create.json"})

    _plaid().link_token_create(
        client_user_id="u",
        language="en",
        country_codes=["NL", "BE"],
        client_name="Canopy",
        redirect_uri="https://canopy.example.org/plaid/oauth",
    )

    assert recorded.requests[0][1]["redirect_uri"] == "https://canopy.example.org/plaid/oauth"


def test_a_public_token_is_exchanged_for_the_access_token_and_item_id(http):
    recorded = http({"/item/public_token/exchange": "public_token_exchange.json"})

    access = _plaid().public_token_exchange(public_token="public-sandbox-1")

    assert access.access_token == EXCHANGED_ACCESS_TOKEN
    assert access.item_id == EXCHANGED_ITEM_ID
    assert recorded.requests[0][1]["public_token"] == "public-sandbox-1"
    assert EXCHANGED_ACCESS_TOKEN not in repr(access)


def test_an_item_is_removed_with_its_access_token(http):
    recorded = http({"/item/remove": "item_remove.json"})

    _plaid().item_remove(access_token="access-sandbox-x")

    assert recorded.paths() == ["/item/remove"]
    assert recorded.requests[0][1]["access_token"] == "access-sandbox-x"


def test_production_calls_go_to_the_production_host(http):
    recorded = http({"/item/remove": "item_remove.json"})

    PlaidProvider(client_id="c", secret="s", environment="production").item_remove(
        access_token="access-production-x"
    )

    assert recorded.requests[0][0] == "https://production.plaid.com/item/remove"


# --- HTTP: Plaid's error answers -----------------------------------------------------------


@pytest.mark.parametrize(
    ("recorded_file", "error_type", "error_code", "retryable"),
    [
        ("error_invalid_public_token.json", "INVALID_INPUT", "INVALID_PUBLIC_TOKEN", False),
        ("error_item_login_required.json", "ITEM_ERROR", "ITEM_LOGIN_REQUIRED", False),
        ("error_rate_limit.json", "RATE_LIMIT_EXCEEDED", "RATE_LIMIT", True),
        ("error_internal_server_error.json", "API_ERROR", "INTERNAL_SERVER_ERROR", True),
    ],
)
def test_plaids_error_bodies_become_plaid_errors(
    http, recorded_file, error_type, error_code, retryable
):
    http({"/item/public_token/exchange": recorded_file})

    with pytest.raises(PlaidError) as failed:
        _plaid().public_token_exchange(public_token="public-sandbox-1")

    assert failed.value.error_type == error_type
    assert failed.value.error_code == error_code
    assert failed.value.retryable is retryable
    assert "public-sandbox-1" not in str(failed.value)


def test_a_5xx_without_a_json_body_is_a_retryable_provider_error(http):
    http({"/link/token/create": "gateway_502.html"})

    with pytest.raises(ProviderError) as failed:
        _link_token(_plaid())

    assert not isinstance(failed.value, PlaidError)
    assert failed.value.retryable is True
    assert "HTTP 502" in str(failed.value)


@pytest.mark.parametrize(
    "exception",
    [TimeoutError("timed out"), urllib.error.URLError(TimeoutError("timed out"))],
)
def test_a_timeout_is_a_retryable_provider_error(http, exception):
    http({"/item/public_token/exchange": exception})

    with pytest.raises(ProviderError) as failed:
        _plaid().public_token_exchange(public_token="public-sandbox-1")

    assert failed.value.retryable is True
    assert "could not be reached" in str(failed.value)


def test_nothing_is_sent_without_credentials(http, monkeypatch):
    monkeypatch.delenv("CANOPY_PLAID_CLIENT_ID", raising=False)
    monkeypatch.delenv("CANOPY_PLAID_SECRET", raising=False)
    recorded = http({})

    with pytest.raises(ProviderError) as failed:
        PlaidProvider().public_token_exchange(public_token="public-sandbox-1")

    assert failed.value.retryable is False
    assert recorded.requests == []


# --- The offline sandbox -------------------------------------------------------------------


def test_the_sandbox_is_deterministic():
    sandbox = PlaidSandbox()

    one = sandbox.public_token_exchange(public_token="public-sandbox-abc")
    two = sandbox.public_token_exchange(public_token="public-sandbox-abc")
    other = sandbox.public_token_exchange(public_token="public-sandbox-xyz")

    assert one == two
    assert one.access_token.startswith("access-sandbox-")
    assert one.item_id.startswith("item-sandbox-")
    assert other.access_token != one.access_token
    assert _link_token(sandbox).link_token == _link_token(sandbox).link_token
    assert _link_token(sandbox).link_token.startswith("link-sandbox-")


def test_the_sandbox_refuses_what_plaid_would_refuse():
    with pytest.raises(PlaidError) as failed:
        PlaidSandbox().public_token_exchange(public_token="not-a-public-token")

    assert failed.value.error_code == "INVALID_PUBLIC_TOKEN"
    with pytest.raises(PlaidError):
        PlaidSandbox().item_remove(access_token="access-production-real")


def test_the_adapter_follows_the_setting(settings):
    settings.CANOPY_PLAID_LINK = "sandbox"
    assert isinstance(plaid_link_adapter(), PlaidSandbox)
    settings.CANOPY_PLAID_LINK = "plaid"
    assert isinstance(plaid_link_adapter(), PlaidProvider)
