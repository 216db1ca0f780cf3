"""The accounts app's demo hook (run by the demo app's `seed_demo`): the consumer's sandbox bank."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from accounts.integrations.providers import SANDBOX_HISTORY_DAYS
from accounts.models import Consent, LinkedFeed, Provider, Transaction
from accounts.services.feed_sync import feed_sync
from accounts.services.feeds import consent_renew, feed_link
from accounts.services.importing import FeedNotImportable, feed_import_check

DEMO_SANDBOX_ACCOUNT = "sandbox-demo-sanne"


def seed_demo(*, users: dict, **context) -> Iterator[str]:
    """Yield progress lines while linking the demo consumer's sandbox bank feed."""
    yield from _seed_demo_feed(users["consumer"])


def _seed_demo_feed(consumer) -> Iterator[str]:
    """Sanne's sandbox bank account: six weeks of Dutch transactions, live consent.

    Idempotent: a second run finds the feed, renews a lapsed consent and pulls from the stored
    cursor, which has nothing new.
    """
    consent: dict = {"scopes": [Consent.Scope.TRANSACTIONS], "purpose_accepted": True}
    feed = LinkedFeed.objects.filter(
        user=consumer, provider=Provider.SANDBOX, account_ref=DEMO_SANDBOX_ACCOUNT
    ).first()
    if feed is None:
        feed = feed_link(
            user=consumer,
            provider=Provider.SANDBOX,
            account_ref=DEMO_SANDBOX_ACCOUNT,
            display_name="ING Betaalrekening (sandbox)",
            **consent,
        )
        yield f"Linked {consumer.email} to the sandbox bank (feed {feed.pk}, live consent)."
    else:
        try:
            feed_import_check(feed=feed)
        except FeedNotImportable:
            consent_renew(feed=feed, **consent)
            feed.refresh_from_db()
            yield f"Renewed the consent of demo feed {feed.pk}."
    batches = feed_sync(feed=feed)
    new = sum(batch.count_new for batch in batches)
    counts = Transaction.objects.filter(feed=feed).aggregate(
        visible=Count("id", filter=Q(removed_at__isnull=True)),
        pending=Count("id", filter=Q(removed_at__isnull=True, status="pending")),
    )
    start = timezone.localdate(feed.created_at) - timedelta(days=SANDBOX_HISTORY_DAYS - 1)
    yield (
        f"Sandbox bank: {new} new transactions in {len(batches)} page(s); the feed holds "
        f"{counts['visible']} ({counts['pending']} pending) from {start} on "
        "(NS, GVB, OV-fiets, Vinted, kringloop, Albert Heijn, Jumbo, Shell, KLM, ...)."
    )
