"""Reads on transactions, always scoped to their owner."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from accounts.models import TRANSACTION_BANK_FIELDS, Transaction, User


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
