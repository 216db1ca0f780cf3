"""Real concurrency on PostgreSQL: a claw-back and a collect of the same drop at once.

The claw-back decides to take from the open drop, pauses (a worker descheduled), and the owner
collects meanwhile; or the claw-back updates first and the collect arrives while the chunk is
still open. Either way not a gram is created or lost (forest.scoring.clawbacks)."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Transaction
from accounts.services.outbox import outbox_add
from forest.models import EnergyDrop, EnergyLedgerEntry
from forest.scoring import clawbacks
from forest.scoring.engine import score_chunk
from forest.scoring.jobs import scoring_run_create
from forest.services.energy import drop_collect, ledger_audit
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.forest.helpers import assert_ledger_consistent, balance

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalogue"),
]


def _two_rides_and_one_removed():
    """Two 52 g rides in one drop; the bank then removes one of them."""
    feed = LinkedFeedFactory()
    ride = TransactionFactory(feed=feed, merchant_name="GVB", amount=Decimal("-3.20"))
    TransactionFactory(feed=feed, merchant_name="GVB", amount=Decimal("-3.20"))
    score_chunk(scoring_run_create().chunks.get().id)
    drop = EnergyDrop.objects.get()
    assert drop.remaining == 104
    Transaction.objects.filter(pk=ride.pk).update(removed_at=timezone.now())
    outbox_add(Transaction.objects.filter(pk=ride.pk), reason="removed")
    return feed, drop, scoring_run_create().chunks.get()


def _score_in_thread(chunk_id: int, errors: list) -> threading.Thread:
    def run():
        try:
            score_chunk(chunk_id)
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _assert_exact(feed, drop) -> None:
    """52 g earned and kept, 52 g clawed back: whoever won, the books say exactly that."""
    assert balance(feed.user) + balance(feed.user, "drops") == 52
    assert balance(feed.user, "drops") == 0
    assert EnergyDrop.objects.get(pk=drop.pk).status == "collected"
    assert EnergyLedgerEntry.objects.filter(kind="reversal").count() == 1
    assert_ledger_consistent()
    assert ledger_audit().drift_count == 0


def test_a_collect_between_the_claw_backs_decision_and_its_update_wins_and_the_balance_pays(
    monkeypatch,
):
    feed, drop, chunk = _two_rides_and_one_removed()
    decided, collected = threading.Event(), threading.Event()
    take = clawbacks.clawbacks_take_from_drops

    def paused_take(sql):
        decided.set()  # the claw-back has decided: from the open drop
        assert collected.wait(timeout=20)
        take(sql)

    monkeypatch.setattr(clawbacks, "clawbacks_take_from_drops", paused_take)
    errors: list = []
    scoring = _score_in_thread(chunk.id, errors)
    assert decided.wait(timeout=20)
    # The drop is not locked yet: the owner's collect goes through and commits, 104 g.
    got = drop_collect(user_id=feed.user_id, drop_id=drop.id, now=drop.ripe_at + timedelta(1))
    assert got.grams == 104
    collected.set()
    scoring.join(timeout=30)
    assert not errors

    # The drop no longer held the grams: the claw-back came off the balance instead.
    reversal = EnergyLedgerEntry.objects.get(kind="reversal")
    assert (reversal.account, reversal.grams) == ("balance", -52)
    assert balance(feed.user) == 52
    _assert_exact(feed, drop)


def test_a_collect_after_the_claw_back_waits_for_it_and_credits_what_is_left(monkeypatch):
    feed, drop, chunk = _two_rides_and_one_removed()
    updated, go_on = threading.Event(), threading.Event()
    take = clawbacks.clawbacks_take_from_drops

    def pausing_after_update(sql):
        take(sql)
        updated.set()  # the drop row is updated and locked until the chunk commits
        assert go_on.wait(timeout=20)

    monkeypatch.setattr(clawbacks, "clawbacks_take_from_drops", pausing_after_update)
    errors: list = []
    scoring = _score_in_thread(chunk.id, errors)
    assert updated.wait(timeout=20)

    results: list = []

    def owner_collects():
        try:
            at = drop.ripe_at + timedelta(1)
            results.append(drop_collect(user_id=feed.user_id, drop_id=drop.id, now=at))
        finally:
            connection.close()

    collector = threading.Thread(target=owner_collects)
    collector.start()
    collector.join(timeout=1)
    assert collector.is_alive()  # waiting for the drop's row lock
    go_on.set()
    scoring.join(timeout=30)
    collector.join(timeout=30)
    assert not errors
    assert [r.grams for r in results] == [52]

    reversal = EnergyLedgerEntry.objects.get(kind="reversal")
    assert (reversal.account, reversal.grams) == ("drops", -52)
    _assert_exact(feed, drop)
