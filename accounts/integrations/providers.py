"""Aggregator adapters: how a feed's new transactions are pulled, one sync page at a time.

Every adapter answers ``sync(feed=…, cursor=…)`` with a ``SyncPage`` (items, the cursor that
asks for the next page, and whether there is one), the shape of Plaid's
``/transactions/sync``. The importer stores a page's rows and its ``next_cursor`` in one
transaction, so a crash between pages re-reads at most the page that was not committed.
Plaid's adapters are in ``accounts.integrations.plaid``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

from django.utils import timezone

from accounts.integrations.sandbox import generate_plaid_sync_pages
from accounts.integrations.sources.plaid import SyncPage, parse_sync_page
from accounts.models import LinkedFeed, PlaidItem, Provider

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


def provider_for(feed: LinkedFeed) -> FeedProvider:
    """The pull adapter of a feed's provider; ``ProviderError`` for feeds fed by files."""
    if feed.provider == Provider.SANDBOX:
        return SandboxProvider()
    if feed.provider == Provider.PLAID:
        # cycle: accounts.integrations.plaid imports this module
        from accounts.integrations.plaid import plaid_link_adapter

        # A feed linked through the offline sandbox stays with it, so its tokens never go to
        # Plaid, and a real token never goes to the stand-in.
        adapter = PlaidItem.objects.filter(feed_id=feed.pk).values_list("adapter", flat=True)
        return plaid_link_adapter(adapter.first() or "plaid")
    raise ProviderError(f"{feed.provider} feeds are not pulled", retryable=False)


PULLED_PROVIDERS = (Provider.SANDBOX, Provider.PLAID)
