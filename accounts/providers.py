"""Aggregator adapters: how a feed's new transactions are pulled, one sync page at a time.

Every adapter answers ``sync(feed=…, cursor=…)`` with a ``SyncPage`` (items, the cursor that
asks for the next page, and whether there is one), the shape of Plaid's
``/transactions/sync``. The importer stores a page's rows and its ``next_cursor`` in one
transaction, so a crash between pages re-reads at most the page that was not committed.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import date, timedelta
from typing import Protocol

from django.utils import timezone

from accounts.models import LinkedFeed, Provider
from accounts.sources.plaid import SyncPage, parse_sync_page

# The sandbox bank's history: six weeks ending the day the feed was linked.
SANDBOX_HISTORY_DAYS = 42
SANDBOX_PAGE_SIZE = 100
PLAID_PAGE_SIZE = 500  # Plaid's maximum ``count`` per sync call


class ProviderError(Exception):
    """The aggregator could not be reached or answered with an error; worth a retry."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class FeedProvider(Protocol):
    def sync(self, *, feed: LinkedFeed, cursor: str) -> SyncPage:
        """The page of changes after ``cursor`` ("" = from the beginning)."""


class SandboxProvider:
    """The demo bank: a deterministic Dutch account history, served as Plaid sync pages.

    The account's history is fixed when the feed is linked (``SANDBOX_HISTORY_DAYS`` days
    ending that day, seeded by ``account_ref``), so pulling again with the stored cursor finds
    nothing new, and two feeds with the same ``account_ref`` see the same transactions.
    """

    prefix = "sandbox:"

    def __init__(
        self, *, days: int = SANDBOX_HISTORY_DAYS, page_size: int = SANDBOX_PAGE_SIZE
    ) -> None:
        self.days = days
        self.page_size = page_size

    def history_start(self, feed: LinkedFeed) -> date:
        linked_on = timezone.localdate(feed.created_at) if feed.created_at else timezone.localdate()
        return linked_on - timedelta(days=self.days - 1)

    def sync(self, *, feed: LinkedFeed, cursor: str) -> SyncPage:
        from accounts.sandbox import generate_plaid_sync_pages

        pages = generate_plaid_sync_pages(
            account_seed=feed.account_ref,
            start=self.history_start(feed),
            days=self.days,
            page_size=self.page_size,
        )
        if not cursor:
            number = 0
        else:
            try:
                number = int(cursor.rsplit(":", 1)[1])
            except (IndexError, ValueError):
                raise ProviderError(f"unknown sandbox cursor {cursor!r}", retryable=False) from None
        if number >= len(pages):
            return SyncPage(items=[], next_cursor=cursor, has_more=False)
        return parse_sync_page(pages[number])


Transport = Callable[[str, dict], dict]


def urllib_transport(url: str, body: dict, *, timeout: float = 30.0) -> dict:
    """POST ``body`` as JSON and return the JSON answer (Plaid answers errors in JSON too)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            return json.loads(exc.read())
        except ValueError:
            raise ProviderError(f"HTTP {exc.code} from {url}") from exc
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise ProviderError(f"{url} could not be reached: {exc}") from exc


class PlaidProvider:
    """Plaid ``/transactions/sync``: client id and secret from the environment.

    ``CANOPY_PLAID_CLIENT_ID``, ``CANOPY_PLAID_SECRET`` and ``CANOPY_PLAID_ENV`` (``sandbox``,
    ``production``) are read when the adapter is built. The item's access token comes from
    ``access_token_for(feed)``; storing tokens from Plaid Link is not part of Canopy yet, so
    the default reads ``CANOPY_PLAID_ACCESS_TOKEN_<ACCOUNT_REF>``. The HTTP call goes through
    ``transport`` so tests replay recorded answers and never touch the network.
    """

    hosts = {"sandbox": "https://sandbox.plaid.com", "production": "https://production.plaid.com"}

    def __init__(
        self,
        *,
        client_id: str | None = None,
        secret: str | None = None,
        environment: str | None = None,
        transport: Transport | None = None,
        access_token_for: Callable[[LinkedFeed], str] | None = None,
    ) -> None:
        self.client_id = client_id or os.environ.get("CANOPY_PLAID_CLIENT_ID", "")
        self.secret = secret or os.environ.get("CANOPY_PLAID_SECRET", "")
        environment = environment or os.environ.get("CANOPY_PLAID_ENV", "sandbox")
        if environment not in self.hosts:
            raise ProviderError(f"unknown Plaid environment {environment!r}", retryable=False)
        self.base_url = self.hosts[environment]
        self.transport = transport or urllib_transport
        self.access_token_for = access_token_for or _access_token_from_env

    def sync(self, *, feed: LinkedFeed, cursor: str) -> SyncPage:
        if not self.client_id or not self.secret:
            raise ProviderError("Plaid credentials are not configured", retryable=False)
        body: dict = {
            "client_id": self.client_id,
            "secret": self.secret,
            "access_token": self.access_token_for(feed),
            "count": PLAID_PAGE_SIZE,
        }
        if cursor:
            body["cursor"] = cursor
        answer = self.transport(f"{self.base_url}/transactions/sync", body)
        if not isinstance(answer, dict):
            raise ProviderError("Plaid answered with something that is not a JSON object")
        if answer.get("error_code"):
            retryable = answer.get("error_type") in {"RATE_LIMIT_EXCEEDED", "API_ERROR"} or (
                answer.get("error_code") == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
            )
            raise ProviderError(
                f"Plaid {answer.get('error_code')}: {answer.get('error_message', '')}".strip(),
                retryable=retryable,
            )
        page = parse_sync_page(answer)
        # One Plaid item can hold several accounts; this feed is one of them.
        page.items = [
            item
            for item in page.items
            if not isinstance(getattr(item, "raw", None), dict)
            or item.raw.get("account_id") in (None, feed.account_ref)
        ]
        return page


def _access_token_from_env(feed: LinkedFeed) -> str:
    name = "CANOPY_PLAID_ACCESS_TOKEN_" + "".join(
        ch if ch.isalnum() else "_" for ch in feed.account_ref.upper()
    )
    token = os.environ.get(name, "")
    if not token:
        raise ProviderError(f"no Plaid access token for this feed ({name})", retryable=False)
    return token


def provider_for(feed: LinkedFeed) -> FeedProvider:
    """The pull adapter of a feed's provider; ``ProviderError`` for feeds fed by files."""
    if feed.provider == Provider.SANDBOX:
        return SandboxProvider()
    if feed.provider == Provider.PLAID:
        return PlaidProvider()
    raise ProviderError(f"{feed.provider} feeds are not pulled", retryable=False)


PULLED_PROVIDERS = (Provider.SANDBOX, Provider.PLAID)
