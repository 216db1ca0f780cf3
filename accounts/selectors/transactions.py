"""Reads on transactions, always scoped to their owner."""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, F, OuterRef, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import TRANSACTION_BANK_FIELDS, ChangedTransaction, Transaction, User


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
    return rows.order_by("-booking_date", "-id").only("id", "feed_id", *TRANSACTION_BANK_FIELDS)


def transactions_with_earning_facts(rows: QuerySet[Transaction]) -> QuerySet[Transaction]:
    """``rows`` with what the game's "why" needs, in the same query: the feed's trust
    (``feed_trust``) and first consent day (``feed_consented_on``), and whether the transaction
    still waits in the outbox for scoring (``awaiting_scoring``)."""
    waiting = ChangedTransaction.objects.filter(transaction_id=OuterRef("pk"))
    return rows.annotate(
        feed_trust=F("feed__trust"),
        feed_consented_on=F("feed__consented_on"),
        awaiting_scoring=Exists(waiting),
    )


def transaction_get_for_user(*, user: User, transaction_id: int) -> Transaction:
    """One of the user's visible transactions; 404 for anyone else's."""
    rows = transaction_list_for_user(user=user).filter(pk=transaction_id)
    return get_object_or_404(transactions_with_earning_facts(rows))
