"""accounts' outbox of changed transactions: adding, claiming and putting back, set-based."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from accounts.models import ChangedTransaction, Transaction
from accounts.services.outbox import outbox_add, outbox_claim, outbox_put_back
from core.sql import current_dialect, table
from tests.accounts.factories import TransactionFactory

pytestmark = pytest.mark.django_db


def _temp(name: str, columns: str) -> None:
    with connection.cursor() as cursor:
        for statement in current_dialect().temp_table(name, columns):
            cursor.execute(statement)


def _rows(query: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchall()


def test_adding_twice_keeps_one_row_with_the_newer_reason():
    txn = TransactionFactory(queued=False)

    outbox_add(Transaction.objects.filter(pk=txn.pk))
    outbox_add(Transaction.objects.filter(pk=txn.pk), reason="removed")

    row = ChangedTransaction.objects.get()
    assert (row.transaction_id, row.user_id, row.reason) == (txn.pk, txn.user_id, "removed")


def test_a_claim_moves_the_matching_rows_into_the_consumers_tables():
    mine = TransactionFactory(queued=False)
    other = TransactionFactory(queued=False)
    outbox_add(Transaction.objects.filter(pk=mine.pk))
    outbox_add(Transaction.objects.filter(pk=other.pk), reason="changed")
    with transaction.atomic():
        _temp("outbox_new", "txn_id BIGINT, user_id BIGINT")
        _temp("outbox_other", "txn_id BIGINT, reason VARCHAR(8)")

        outbox_claim(
            using=f"{table(Transaction)} t",
            where="t.id = q.transaction_id AND q.user_id IN (%(a)s, %(b)s)",
            returning="t.id AS txn_id, q.user_id, q.reason",
            into=[
                ("outbox_new", "txn_id, user_id", "reason = 'new'"),
                ("outbox_other", "txn_id, reason", "reason <> 'new'"),
            ],
            params={"a": mine.user_id, "b": other.user_id},
        )

        assert _rows("SELECT txn_id, user_id FROM outbox_new") == [(mine.pk, mine.user_id)]
        assert _rows("SELECT txn_id, reason FROM outbox_other") == [(other.pk, "changed")]
        assert not ChangedTransaction.objects.exists()

        outbox_put_back(
            "SELECT txn_id, user_id, 'new', %(now)s FROM outbox_new",
            {"now": mine.created_at},
        )
        assert list(ChangedTransaction.objects.values_list("transaction_id", flat=True)) == [
            mine.pk
        ]
