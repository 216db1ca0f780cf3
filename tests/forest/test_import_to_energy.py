"""From an import to energy: the importer queues what scoring must see, and scoring sees it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import ChangedTransaction as ScoringQueue
from forest.models import EnergyLedgerEntry, GreenAction
from forest.scoring.engine import ScoringIntegrityError, score_chunk
from forest.scoring.jobs import scoring_run_create
from tests.accounts.factories import LinkedFeedFactory
from tests.accounts.feed_helpers import removed, txn
from tests.forest.helpers import assert_ledger_consistent, score_all

pytestmark = pytest.mark.django_db


def run_import(feed, items):
    from accounts.services.importing import transactions_import

    return transactions_import(feed=feed, items=iter(items), source="pull", format="plaid")


def test_imported_booked_transactions_are_queued_and_scored_once(user_client, user):
    feed = LinkedFeedFactory(user=user, provider="plaid")
    run_import(feed, [txn("a"), txn("b", merchant_name="GVB", amount=Decimal("-3.20"))])
    run_import(feed, [txn("p", status="pending", merchant_name="GVB")])
    assert set(ScoringQueue.objects.values_list("reason", flat=True)) == {"new"}
    assert ScoringQueue.objects.count() == 2  # the pending one waits for its booking

    assert score_all().green_actions == 2
    assert not ScoringQueue.objects.exists()
    run_import(feed, [txn("a"), txn("b", merchant_name="GVB", amount=Decimal("-3.20"))])
    assert not ScoringQueue.objects.exists()  # the same rows again: nothing to score

    rows = user_client.get("/api/v1/transactions").json()["results"]
    by_merchant = {r["merchant_name"]: r["green_action"] for r in rows}
    assert by_merchant["GVB"]["grams"] == 52
    assert by_merchant["GVB"]["rule"]["code"] == "metro-tram"
    assert by_merchant["NS Groep"]["rule"]["code"] == "rail"


def test_a_pending_item_is_scored_when_it_books():
    feed = LinkedFeedFactory(provider="plaid")
    run_import(feed, [txn("p", status="pending")])
    assert score_all().transactions_scored == 0
    run_import(feed, [txn("p", status="booked")])
    assert ScoringQueue.objects.get().reason == "changed"
    assert score_all().green_actions == 1


def test_a_removed_transaction_gives_its_energy_back():
    feed = LinkedFeedFactory(provider="plaid")
    run_import(feed, [txn("a")])
    score_all()
    earned = GreenAction.objects.get().grams
    run_import(feed, [removed("a")])
    assert ScoringQueue.objects.get().reason == "removed"
    assert score_all().reversals == 1
    reversal = EnergyLedgerEntry.objects.get(kind="reversal")
    assert reversal.grams == -earned
    assert_ledger_consistent()


def test_a_booked_transaction_the_bank_changes_is_scored_again_as_it_is_now(user_client, user):
    """Plaid ``modified``: the old award is reversed (a ledger entry) and the new one earned."""
    feed = LinkedFeedFactory(user=user, provider="plaid")
    run_import(feed, [txn("a", merchant_name="GVB", amount=Decimal("-3.20"))])
    score_all()
    run_import(feed, [txn("a", merchant_name="NS Groep", amount=Decimal("-12.40"))])
    assert ScoringQueue.objects.get().reason == "changed"

    assert score_all().reversals == 1
    old, new = GreenAction.objects.order_by("id")
    assert (old.reversal_reason, old.rule.code) == ("changed", "metro-tram")
    assert (new.reversed_at, new.rule.code) == (None, "rail")
    kinds = list(EnergyLedgerEntry.objects.order_by("id").values_list("kind", "grams"))
    assert kinds == [("earn", old.grams), ("reversal", -old.grams), ("earn", new.grams)]
    row = user_client.get("/api/v1/transactions").json()["results"][0]
    assert row["green_action"]["rule"]["code"] == "rail"
    assert_ledger_consistent()


def test_a_transaction_queued_as_new_twice_is_refused_not_awarded_twice():
    feed = LinkedFeedFactory(provider="plaid")
    run_import(feed, [txn("a")])
    score_all()
    action = GreenAction.objects.get()
    ScoringQueue.objects.create(transaction_id=action.transaction_id, user_id=feed.user_id)
    chunk = scoring_run_create().chunks.get()
    with pytest.raises(ScoringIntegrityError):
        score_chunk(chunk.id)
    assert GreenAction.objects.count() == 1
    assert EnergyLedgerEntry.objects.count() == 1
