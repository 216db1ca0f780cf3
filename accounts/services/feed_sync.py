"""Aggregator syncs (page by page, cursor stored with the rows) and webhook deliveries."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from accounts.integrations.providers import (
    PULLED_PROVIDERS,
    FeedProvider,
    ProviderError,
    provider_for,
)
from accounts.integrations.sources.base import SourceError
from accounts.models import ImportBatch, LinkedFeed, Trust, WebhookDelivery, sandbox_enabled
from accounts.services.crypto import digest
from accounts.services.importing import feed_import_check, transactions_import

logger = logging.getLogger(__name__)

# Pages one sync may import before it stops and leaves the rest for the next run; Plaid
# pages hold up to 500 items, so this is 50,000 transactions per run.
SYNC_MAX_PAGES = 100


class DeliveryReplayed(Exception):
    """A webhook delivery id that was accepted before."""


# --------------------------------------------------------------------------------------------
# Aggregator syncs and webhooks
# --------------------------------------------------------------------------------------------


def _enqueue_sync(feed_id: int, *, source: str, delivery_id: str = "") -> None:
    # cycle: accounts.tasks imports the services
    from accounts.tasks import feed_sync_task

    transaction.on_commit(
        lambda: feed_sync_task.delay(feed_id, source=source, delivery_id=delivery_id)
    )


def _raising(exc: Exception) -> Iterator:
    raise exc
    yield  # pragma: no cover  (makes this a generator)


def feed_sync(
    *,
    feed: LinkedFeed,
    source: str = ImportBatch.Source.PULL,
    delivery_id: str = "",
    provider: FeedProvider | None = None,
    max_pages: int = SYNC_MAX_PAGES,
) -> list[ImportBatch]:
    """Pull the feed's new pages from its aggregator, one import (and cursor) per page.

    Raises ``FeedNotImportable`` for a revoked or expired feed and ``ProviderError`` when the
    aggregator fails (recorded on the feed, worth a retry). A malformed page is recorded as a
    rejected import and ends the sync. Returns the page imports.
    """
    feed_import_check(feed=feed)
    provider = provider or provider_for(feed)
    batches: list[ImportBatch] = []
    cursor = feed.cursor
    for _ in range(max_pages):
        # The delivery and the cursor together name the page, so a retried delivery that
        # re-reads a page it already committed imports nothing twice.
        page_delivery = (
            f"{delivery_id[:100]}@{hashlib.sha256(cursor.encode()).hexdigest()[:16]}"
            if delivery_id
            else ""
        )
        try:
            page = provider.sync(feed=feed, cursor=cursor)
        except SourceError as exc:
            batches.append(
                transactions_import(
                    feed=feed,
                    items=_raising(exc),
                    source=source,
                    format="plaid",
                    delivery_id=page_delivery,
                )
            )
            break
        except ProviderError as exc:
            LinkedFeed.objects.filter(pk=feed.pk).update(
                last_error=f"Sync failed: {exc}"[:2000], updated_at=timezone.now()
            )
            raise
        if not page.items and page.next_cursor == cursor:
            LinkedFeed.objects.filter(pk=feed.pk).update(
                last_synced_at=timezone.now(), last_error=""
            )
            break
        batch = transactions_import(
            feed=feed,
            items=page.items,
            source=source,
            format="plaid",
            delivery_id=page_delivery,
            next_cursor=page.next_cursor,
        )
        batches.append(batch)
        if batch.status != ImportBatch.Status.DONE or not page.has_more:
            break
        cursor = page.next_cursor
    return batches


def feeds_due_for_pull() -> list[int]:
    """Ids of the active feeds an aggregator serves, for the nightly pull (sandbox feeds only
    where the sandbox is enabled)."""
    feeds = LinkedFeed.objects.importable().filter(provider__in=PULLED_PROVIDERS)
    if not sandbox_enabled():
        feeds = feeds.exclude(trust=Trust.SANDBOX)
    return list(feeds.order_by("id").values_list("id", flat=True))


@transaction.atomic
def webhook_delivery_accept(
    *, provider: str, delivery_id: str, body: bytes, account_refs: list[str]
) -> list[LinkedFeed]:
    """Record a verified delivery once and sync the feeds it names (after commit).

    Raises ``DeliveryReplayed`` for a delivery id seen before and ``LookupError`` when it names
    no active feed; in both cases nothing is written.
    """
    # Plaid's webhooks name the item; feeds linked through Plaid Link keep its digest.
    names = Q(account_ref__in=account_refs) | Q(
        plaid_item__item_id_sha256__in=[digest(ref) for ref in account_refs]
    )
    feeds = list(LinkedFeed.objects.importable().filter(names, provider=provider).order_by("id"))
    if WebhookDelivery.objects.filter(provider=provider, delivery_id=delivery_id).exists():
        raise DeliveryReplayed(delivery_id)
    if not feeds:
        raise LookupError(gettext("No active feed matches this account."))
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(
                provider=provider,
                delivery_id=delivery_id,
                payload_sha256=hashlib.sha256(body).hexdigest(),
            )
    except IntegrityError as exc:  # the same delivery twice at once
        raise DeliveryReplayed(delivery_id) from exc
    for feed in feeds:
        _enqueue_sync(feed.pk, source=ImportBatch.Source.WEBHOOK, delivery_id=delivery_id)
    return feeds
