"""Exact reversals: refunds, removed and re-scored transactions settle where the energy is now
(forest.scoring.clawbacks), and the ledger audit sees a drop that drifted from its entries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone
from rest_framework.test import APIClient

from forest.models import EnergyDrop, EnergyLedgerEntry, EnergyLimits, GreenAction, GreenActionRule
from forest.models.energy import Account, EntryKind
from forest.scoring.jobs import scoring_run_inline
from forest.services.energy import drops_collect_all, ledger_audit
from forest.services.ledger import ledger_append
from forest.services.rescoring import rescore_request
from forest.services.rules import rule_save
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.forest.helpers import (
    assert_drops_match_actions,
    assert_ledger_consistent,
    balance,
    score_all,
)

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def only_the_rules_caps():
    """The reversal arithmetic under the rules' own daily caps: the economy's per-user day and
    first-night limits (tests/forest/test_energy_limits.py) would only hide it."""
    EnergyLimits.objects.update_or_create(
        pk=1, defaults={"daily_total_cap_grams": None, "first_night_cap_grams": None}
    )


def vinted_cap() -> int:
    """second-hand-marketplace's daily cap, as seeded (and tuned) in the rule catalogue."""
    return GreenActionRule.objects.get(code="second-hand-marketplace").daily_cap_grams


def pay(feed, merchant: str, amount: str, **kwargs):
    kwargs.setdefault("booking_date", DAY)
    return TransactionFactory(feed=feed, merchant_name=merchant, amount=Decimal(amount), **kwargs)


def collect(user) -> int:
    return drops_collect_all(user_id=user.id, now=timezone.now() + timedelta(days=1)).grams


def home_drops(user) -> list[dict]:
    client = APIClient()
    client.force_authenticate(user=user)
    return client.get("/api/v1/forest").json()["drops"]


def rescore_metro_tram(grams: int) -> None:
    rule = GreenActionRule.objects.get(code="metro-tram")
    rule.fixed_grams = grams
    rule_save(rule=rule)
    marked, run = rescore_request(date_from=DAY, date_to=DAY)
    assert marked >= 1
    scoring_run_inline(run)


# --- refunds ----------------------------------------------------------------------------------


def test_a_refund_never_takes_back_more_than_its_purchase_earned_after_caps():
    feed = LinkedFeedFactory()
    big = pay(feed, "Vinted", "-25.00")  # estimated above the cap: earns 6,000 g
    pay(feed, "Vinted", "-25.00", booking_date=DAY + timedelta(days=1))  # 6,000 g more
    score_all()
    purchase = GreenAction.objects.get(transaction=big)
    assert purchase.estimated_grams > vinted_cap() == purchase.grams
    collect(feed.user)

    pay(feed, "Vinted", "25.00", booking_date=DAY + timedelta(days=2))  # refund of one of them
    score_all()

    refund = GreenAction.objects.get(grams__lt=0)
    assert refund.grams == -vinted_cap()  # not its estimate (the rule's 90 days hold 12,000 g)
    assert balance(feed.user) == 2 * vinted_cap() - vinted_cap()
    assert_ledger_consistent()


def test_a_partial_refund_takes_back_its_share_of_what_the_purchase_earned():
    feed = LinkedFeedFactory()
    pay(feed, "Vinted", "-40.00")  # capped at 6,000 g
    score_all()
    collect(feed.user)
    pay(feed, "Vinted", "10.00", booking_date=DAY + timedelta(days=1))
    score_all()
    assert GreenAction.objects.get(grams__lt=0).grams == -(vinted_cap() // 4)
    assert_ledger_consistent()


def test_a_refund_scored_in_the_same_run_as_its_purchase_nets_inside_the_drop():
    feed = LinkedFeedFactory()
    pay(feed, "Vinted", "-21.12")
    pay(feed, "Vinted", "21.12")
    score_all()

    drop = EnergyDrop.objects.get()
    assert drop.grams > 0 and drop.remaining == 0
    assert (balance(feed.user), balance(feed.user, "drops")) == (0, 0)  # no debt, nothing owed
    refund = EnergyLedgerEntry.objects.get(idempotency_key__startswith="refund:")
    assert (refund.account, refund.drop_id, refund.grams) == ("drops", drop.id, -drop.grams)
    assert home_drops(feed.user) == []  # no 0 g bubble
    assert collect(feed.user) == 0
    assert_ledger_consistent()
    assert ledger_audit().drift_count == 0


def test_a_refund_of_a_collected_purchase_comes_off_the_balance_and_may_go_into_debt():
    feed = LinkedFeedFactory()
    pay(feed, "Vinted", "-10.00")
    score_all()
    earned = collect(feed.user)
    ledger_append(
        rows=[(feed.user_id, Account.BALANCE, EntryKind.ADJUSTMENT, -earned, "test:spent", None)],
        now=timezone.now(),
    )  # spent on a tree, say
    pay(feed, "Vinted", "10.00", booking_date=DAY + timedelta(days=1))
    score_all()
    assert balance(feed.user) == -earned
    assert_ledger_consistent()


# --- re-scoring -------------------------------------------------------------------------------


def test_rescoring_a_collected_action_settles_the_difference_in_the_balance():
    feed = LinkedFeedFactory()
    pay(feed, "GVB", "-3.20")
    score_all()
    assert collect(feed.user) == 52

    rescore_metro_tram(60)

    assert EnergyDrop.objects.count() == 1  # no new unripe drop holding collected energy
    assert (balance(feed.user), balance(feed.user, "drops")) == (60, 0)
    old, new = GreenAction.objects.order_by("id")
    assert (old.reversal_reason, new.grams, new.drop_id) == ("rescored", 60, old.drop_id)
    entries = EnergyLedgerEntry.objects.filter(kind__in=["reversal", "earn"]).order_by("id")
    assert [(e.kind, e.account, e.grams) for e in entries] == [
        ("earn", "drops", 52),
        ("reversal", "balance", -52),
        ("earn", "balance", 60),
    ]
    assert home_drops(feed.user) == []
    assert_ledger_consistent()
    assert_drops_match_actions()
    assert ledger_audit().drift_count == 0


def test_rescoring_down_after_spending_puts_the_balance_in_debt():
    feed = LinkedFeedFactory()
    pay(feed, "GVB", "-3.20")
    score_all()
    collect(feed.user)
    ledger_append(
        rows=[(feed.user_id, Account.BALANCE, EntryKind.ADJUSTMENT, -52, "test:spent", None)],
        now=timezone.now(),
    )
    rescore_metro_tram(30)
    assert (balance(feed.user), balance(feed.user, "drops")) == (-22, 0)
    assert EnergyDrop.objects.count() == 1
    assert_ledger_consistent()


def test_rescoring_an_open_drop_settles_inside_it():
    feed = LinkedFeedFactory()
    gvb = pay(feed, "GVB", "-3.20")
    pay(feed, "GVB", "-3.20")
    score_all()
    drop = EnergyDrop.objects.get()
    # only one is outdated: the other already carries the version the rescore's save will make
    next_version = GreenActionRule.objects.get(code="metro-tram").version + 1
    GreenAction.objects.exclude(transaction=gvb).update(rule_version=next_version)

    rescore_metro_tram(30)

    drop.refresh_from_db()
    assert EnergyDrop.objects.count() == 1
    assert (drop.remaining, balance(feed.user, "drops"), balance(feed.user)) == (82, 82, 0)
    assert [d["grams"] for d in home_drops(feed.user)] == [82]
    assert_ledger_consistent()
    assert_drops_match_actions()


def test_rescoring_to_nothing_leaves_no_empty_drop_on_the_home_screen():
    feed = LinkedFeedFactory()
    pay(feed, "GVB", "-3.20")
    score_all()
    rescore_metro_tram(0)
    assert EnergyDrop.objects.get().remaining == 0
    assert not EnergyDrop.objects.filter(grams=0).exists()  # none created
    assert home_drops(feed.user) == []  # none listed
    assert_ledger_consistent()


def test_a_transaction_new_and_rescored_twice_keeps_one_drop_and_exact_sums():
    feed = LinkedFeedFactory()
    pay(feed, "GVB", "-3.20")
    score_all()
    collect(feed.user)
    rescore_metro_tram(60)
    rescore_metro_tram(70)
    assert (balance(feed.user), EnergyDrop.objects.count()) == (70, 1)
    assert GreenAction.objects.filter(reversed_at__isnull=True).get().grams == 70
    assert_ledger_consistent()


# --- the audit --------------------------------------------------------------------------------


def test_the_audit_reports_drift_for_a_tampered_drop():
    feed = LinkedFeedFactory()
    pay(feed, "GVB", "-3.20")
    pay(feed, "NS", "-12.40")
    score_all()
    assert ledger_audit().drift_count == 0
    drop = EnergyDrop.objects.order_by("id").first()
    EnergyDrop.objects.filter(pk=drop.pk).update(remaining=F("remaining") - 1)  # a bug did this

    audit = ledger_audit()

    assert audit.drift_count == 2
    by_kind = {d["account"]: d for d in audit.drifts}
    assert by_kind["drop"]["drop"] == drop.id
    assert by_kind["drop"]["remaining"] == by_kind["drop"]["ledger"] - 1
    assert by_kind["open drops"]["user"] == feed.user_id


def test_the_audit_sees_a_claw_back_lost_to_a_collect():
    """What the race did on main: the drop was collected, then the claw-back was written to the
    drops account anyway. Balances equal their entries, so only the drops check can see it."""
    feed = LinkedFeedFactory()
    pay(feed, "GVB", "-3.20")
    score_all()
    drop = EnergyDrop.objects.get()
    collect(feed.user)
    ledger_append(
        rows=[(feed.user_id, Account.DROPS, EntryKind.REVERSAL, -52, "test:lost", drop.id)],
        now=timezone.now(),
    )
    audit = ledger_audit()
    assert audit.drift_count == 1
    assert audit.drifts[0] == {
        "user": feed.user_id,
        "account": "open drops",
        "ledger": -52,
        "open_drops": 0,
    }
