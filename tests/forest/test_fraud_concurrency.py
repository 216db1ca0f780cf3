"""Real concurrency on PostgreSQL: operators clicking review actions twice or at the same time,
sweeps running side by side, and a freeze racing a collect."""

from __future__ import annotations

import pytest

from forest.models import EnergyDrop, EnergyHold, EnergyLedgerEntry, FraudSignal
from forest.services.energy import drops_collect_all
from forest.services.fraud import BOT_MIN_DAYS, SHARED_FEED_MIN_USERS, fraud_sweep
from forest.services.fraud_review import (
    energy_holds_release,
    fraud_signals_confirm_and_freeze,
    fraud_signals_confirm_and_reverse,
    fraud_signals_dismiss,
)
from forest.services.holds import EnergyOnHold
from tests.accounts.factories import UserFactory
from tests.concurrency import race
from tests.forest.fraud_factories import (
    EnergyDropFactory,
    FraudSignalFactory,
    collect_pattern,
    shared_account_pattern,
)
from tests.forest.helpers import assert_ledger_consistent, balance

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_operators_confirm_and_freeze_at_once_place_one_hold():
    signal = FraudSignalFactory()
    operators = [UserFactory(is_staff=True) for _ in range(3)]
    results, errors = race(
        lambda reviewer: fraud_signals_confirm_and_freeze(
            signal_ids=[signal.id], reviewer=reviewer
        ),
        [(op,) for op in operators],
    )
    assert not errors
    assert sum(r.signals for r in results) == 1
    assert sum(r.holds for r in results) == 1
    assert EnergyHold.objects.filter(user=signal.user, released_at__isnull=True).count() == 1
    assert FraudSignal.objects.get().status == FraudSignal.Status.CONFIRMED


def test_two_signals_of_one_user_frozen_at_once_place_one_hold():
    user = UserFactory()
    bot = FraudSignalFactory(user=user, kind=FraudSignal.Kind.BOT_COLLECT)
    shared = FraudSignalFactory(user=user, kind=FraudSignal.Kind.SHARED_FEED)
    results, errors = race(
        lambda signal_id: fraud_signals_confirm_and_freeze(signal_ids=[signal_id]),
        [(bot.id,), (shared.id,)],
    )
    assert not errors
    assert sum(r.signals for r in results) == 2
    assert sum(r.holds for r in results) == 1
    assert EnergyHold.objects.filter(user=user).count() == 1


def test_reverse_clicked_by_several_operators_reverses_each_drop_once():
    signal = FraudSignalFactory()
    drops = [EnergyDropFactory(user=signal.user, grams=100 + i) for i in range(5)]
    results, errors = race(
        lambda: fraud_signals_confirm_and_reverse(signal_ids=[signal.id]), [(), (), ()]
    )
    assert not errors
    assert sum(r.drops for r in results) == 5
    assert sum(r.grams for r in results) == sum(d.grams for d in drops)
    assert EnergyLedgerEntry.objects.filter(idempotency_key__startswith="fraud:drop:").count() == 5
    assert balance(signal.user, "drops") == 0
    assert not EnergyDrop.objects.filter(status="open").exists()
    assert_ledger_consistent()


def test_reverse_racing_the_users_collect_all_moves_each_drop_once():
    signal = FraudSignalFactory()
    user = signal.user
    drops = [EnergyDropFactory(user=user, grams=50 + i) for i in range(6)]

    def collect():
        try:
            return drops_collect_all(user_id=user.id)
        except EnergyOnHold:
            return None

    _results, errors = race(
        lambda which: (
            collect()
            if which == "user"
            else fraud_signals_confirm_and_reverse(signal_ids=[signal.id])
        ),
        [("user",), ("operator",)],
    )
    assert not errors
    collected = balance(user)
    reversed_grams = -sum(
        EnergyLedgerEntry.objects.filter(kind="reversal").values_list("grams", flat=True)
    )
    assert collected + reversed_grams == sum(d.grams for d in drops)
    assert_ledger_consistent()


def test_dismiss_and_confirm_at_once_one_wins():
    signal = FraudSignalFactory()
    results, errors = race(
        lambda action: action(signal_ids=[signal.id]),
        [(fraud_signals_dismiss,), (fraud_signals_confirm_and_freeze,)],
    )
    assert not errors
    assert sum(r.signals for r in results) == 1
    signal.refresh_from_db()
    holds = EnergyHold.objects.count()
    assert holds == (1 if signal.status == FraudSignal.Status.CONFIRMED else 0)


def test_release_clicked_twice_releases_once():
    signal = FraudSignalFactory()
    fraud_signals_confirm_and_freeze(signal_ids=[signal.id])
    results, errors = race(lambda: energy_holds_release(user_ids=[signal.user_id]), [(), (), ()])
    assert not errors
    assert sorted(results) == [0, 0, 1]


def test_two_sweeps_at_once_keep_one_open_signal_per_user_and_kind():
    collect_pattern(UserFactory(), days=BOT_MIN_DAYS, seconds_after_ripe=1)
    shared_account_pattern(users=SHARED_FEED_MIN_USERS)
    _results, errors = race(lambda: fraud_sweep(), [(), (), ()])
    assert not errors
    assert FraudSignal.objects.filter(kind=FraudSignal.Kind.BOT_COLLECT).count() == 1
    assert (
        FraudSignal.objects.filter(kind=FraudSignal.Kind.SHARED_FEED).count()
        == SHARED_FEED_MIN_USERS
    )
