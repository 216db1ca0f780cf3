"""Real concurrency on PostgreSQL: workers racing on chunks, collects and campaign budgets."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from catalogue.models import Campaign
from forest.models import EnergyDrop, EnergyLedgerEntry, GreenAction
from forest.scoring.engine import score_chunk
from forest.scoring.jobs import scoring_run_create
from forest.services.energy import DropNotCollectable, drop_collect
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.concurrency import race
from tests.forest.helpers import assert_drops_match_actions, assert_ledger_consistent, balance
from tests.partners.factories import CampaignFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalogue"),
]


def make_transactions(n_users=5, per_user=20):
    for _ in range(n_users):
        feed = LinkedFeedFactory()
        for i in range(per_user):
            TransactionFactory(
                feed=feed, merchant_name=["GVB", "NS", "Vinted"][i % 3], amount=Decimal("-4.00")
            )


def test_two_workers_on_the_same_chunk_award_once():
    make_transactions()
    chunk = scoring_run_create().chunks.get()
    results, errors = race(score_chunk, [(chunk.id,), (chunk.id,), (chunk.id,)])
    assert not errors
    assert sum(1 for r in results if r is not None) == 1
    assert GreenAction.objects.count() == 100
    assert_ledger_consistent()


def test_the_chunks_of_one_run_are_scored_side_by_side(mocker):
    """A chunk locks its own row only. (It once locked its run's row too, which made every
    worker of a nightly run wait for the one before: one core's worth of scoring.)"""
    from forest.scoring import engine

    make_transactions(n_users=2, per_user=3)
    first, second = scoring_run_create(target=3).chunks.order_by("id").values_list("id", flat=True)
    second_done = threading.Event()
    waited = []
    write_ledger = engine._write_ledger

    def hold_the_first_chunk_open(sql, p, result):
        if p["chunk"] == first:
            waited.append(second_done.wait(timeout=15))
        return write_ledger(sql, p, result)

    def score_then_signal(chunk_id):
        result = score_chunk(chunk_id)
        if chunk_id == second:
            second_done.set()
        return result

    mocker.patch.object(engine, "_write_ledger", hold_the_first_chunk_open)
    results, errors = race(score_then_signal, [(first,), (second,)])
    assert not errors
    assert waited == [True]  # the second chunk finished while the first was still open
    assert all(r.green_actions == 3 for r in results)
    assert_ledger_consistent()


def test_two_runs_at_once_award_each_transaction_once():
    make_transactions()
    run_a = scoring_run_create(target=30)
    run_b = scoring_run_create(target=45)
    chunk_ids = list(run_a.chunks.values_list("id", flat=True)) + list(
        run_b.chunks.values_list("id", flat=True)
    )
    _, errors = race(score_chunk, [(cid,) for cid in chunk_ids])
    assert not errors
    assert GreenAction.objects.count() == 100
    assert GreenAction.objects.values("transaction").distinct().count() == 100
    earned = sum(EnergyLedgerEntry.objects.filter(kind="earn").values_list("grams", flat=True))
    assert earned == sum(GreenAction.objects.values_list("grams", flat=True))
    assert_ledger_consistent()


def test_concurrent_collects_of_one_drop_credit_it_once():
    feed = LinkedFeedFactory()
    TransactionFactory(feed=feed, merchant_name="NS", amount=Decimal("-12.40"))
    chunk = scoring_run_create().chunks.get()
    score_chunk(chunk.id)
    drop = EnergyDrop.objects.get()
    at = drop.ripe_at + timedelta(minutes=1)

    results, errors = race(
        lambda: drop_collect(user_id=feed.user_id, drop_id=drop.id, now=at), [()] * 6
    )
    assert len(results) == 1
    assert len(errors) == 5
    assert all(isinstance(e, DropNotCollectable) for e in errors)
    assert balance(feed.user) == drop.grams
    assert EnergyLedgerEntry.objects.filter(kind="collect", account="balance").count() == 1
    assert_ledger_consistent()


def test_a_campaign_never_spends_more_than_its_budget_under_concurrent_scoring():
    CampaignFactory(match_merchants=["gvb"], bonus_grams=100, budget_grams=1_050)
    for _ in range(6):
        feed = LinkedFeedFactory()
        for _ in range(5):
            TransactionFactory(feed=feed, merchant_name="GVB")
    run = scoring_run_create(target=5)  # one chunk per user, raced on six threads
    _, errors = race(score_chunk, [(cid,) for cid in run.chunks.values_list("id", flat=True)])
    assert not errors
    campaign = Campaign.objects.get()
    granted = sum(GreenAction.objects.values_list("campaign_grams", flat=True))
    assert campaign.spent_grams == granted == 1_050
    assert_drops_match_actions()
    assert_ledger_consistent()
