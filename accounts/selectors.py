"""Reads on linked feeds, imports and transactions, always scoped to their owner."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from accounts.models import Consent, ImportBatch, LinkedFeed, Transaction, User
from forest.selectors.green_actions import green_action_summaries


def _with_consents(feeds: QuerySet[LinkedFeed]) -> QuerySet[LinkedFeed]:
    return feeds.prefetch_related(
        Prefetch(
            "consents",
            queryset=Consent.objects.order_by("-granted_at", "-id"),
            to_attr="consents_newest_first",
        )
    )


def feed_current_consent(feed: LinkedFeed) -> Consent | None:
    """The feed's newest consent (live, expired or revoked), from the prefetch when there is one."""
    consents = getattr(feed, "consents_newest_first", None)
    if consents is not None:
        return consents[0] if consents else None
    return feed.consents.order_by("-granted_at", "-id").first()


def feed_list_for_user(*, user: User) -> QuerySet[LinkedFeed]:
    return _with_consents(LinkedFeed.objects.for_user(user).order_by("id"))


def feed_get_for_user(*, user: User, feed_id: int) -> LinkedFeed:
    """The user's feed ``feed_id``; 404 for anyone else's, so their feeds stay unseen."""
    feed = _with_consents(LinkedFeed.objects.for_user(user)).filter(pk=feed_id).first()
    if feed is None:
        raise Http404("No such feed.")
    return feed


def import_list_for_feed(*, feed: LinkedFeed) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.filter(feed=feed).order_by("-created_at", "-id")


def transaction_list_for_user(
    *,
    user: User,
    booked_from: date | None = None,
    booked_to: date | None = None,
    feed_id: int | None = None,
) -> QuerySet[Transaction]:
    """The user's transactions that still exist, newest first (index accounts_txn_user_date)."""
    rows = Transaction.objects.for_user(user).visible()
    if booked_from is not None:
        rows = rows.filter(booking_date__gte=booked_from)
    if booked_to is not None:
        rows = rows.filter(booking_date__lte=booked_to)
    if feed_id is not None:
        rows = rows.filter(feed_id=feed_id)
    return rows.order_by("-booking_date", "-id").only(
        "id",
        "feed_id",
        "status",
        "amount",
        "currency",
        "booking_date",
        "transaction_date",
        "merchant_name",
        "mcc",
        "provider_category",
        "description",
    )


def transaction_green_actions(transactions: list[Transaction], *, locale: str) -> dict[int, dict]:
    """Each transaction's green action summary (one query, whatever the number of rows)."""
    return green_action_summaries([t.id for t in transactions], locale=locale)
