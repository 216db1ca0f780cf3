"""Nightly scoring: classification, caps, refunds, removals, skips, crashes and reruns."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from accounts.models import ChangedTransaction as ScoringQueue
from forest.models import (
    CurrencyRate,
    EnergyDrop,
    EnergyLedgerEntry,
    GreenAction,
    GreenActionRule,
)
from forest.rule_catalogue import CATALOGUE_BY_CODE, estimate_grams
from forest.scoring.engine import SimulatedCrash, score_chunk
from forest.scoring.jobs import chunk_bounds, scoring_run_create
from forest.services.rules import rule_save
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.forest.helpers import assert_ledger_consistent, balance, score_all

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 20)


def pay(feed, merchant: str, amount: str, *, mcc: str = "", **kwargs):
    return TransactionFactory(
        feed=feed, merchant_name=merchant, amount=Decimal(amount), mcc=mcc, **kwargs
    )


def remove(txn) -> None:
    """What the importer does when the bank removes a transaction."""
    from django.utils import timezone

    from accounts.models import Transaction
    from accounts.services.outbox import outbox_add as transactions_enqueue

    Transaction.objects.filter(pk=txn.pk).update(removed_at=timezone.now())
    transactions_enqueue(Transaction.objects.filter(pk=txn.pk), reason="removed")


def test_each_transaction_gets_its_highest_priority_rule_and_the_catalogue_grams():
    feed = LinkedFeedFactory()
    gvb = pay(feed, "GVB", "-3.20", mcc="4111")
    ns = pay(feed, "NS", "-12.40", mcc="4112")
    shell = pay(feed, "Shell", "-60.00", mcc="5541")
    groceries = pay(feed, "Albert Heijn", "-31.15", mcc="5411")
    recharge = pay(feed, "Shell Recharge", "-10.00", mcc="5541")

    result = score_all()

    assert result.transactions_scored == 5
    actions = {a.transaction_id: a for a in GreenAction.objects.select_related("rule")}
    assert actions[gvb.id].rule.code == "metro-tram"
    assert actions[gvb.id].grams == 52
    assert actions[ns.id].rule.code == "rail"
    # The estimate stays honest; the rule's daily cap sets the pace (docs/economy.md).
    rail = CATALOGUE_BY_CODE["rail"]
    assert actions[ns.id].estimated_grams == estimate_grams(rail, Decimal("12.40")) == 4185
    assert actions[ns.id].grams == rail["daily_cap_grams"]
    assert actions[shell.id].action_type == "negative_signal"
    assert actions[shell.id].grams == 0
    assert actions[recharge.id].rule.code == "ev-charging"
    assert groceries.id not in actions
    # one drop per action type that earned, ripe tomorrow morning, 72 hours to collect
    drops = {d.action_type: d for d in EnergyDrop.objects.all()}
    assert set(drops) == {"public_transport", "rail", "ev_charging"}
    assert all(d.expires_at - d.ripe_at == timedelta(hours=72) for d in drops.values())
    assert_ledger_consistent()


def test_running_the_job_twice_awards_each_transaction_once():
    feed = LinkedFeedFactory()
    pay(feed, "GVB", "-3.20")
    pay(feed, "NS", "-8.00")
    score_all()
    entries = EnergyLedgerEntry.objects.count()
    second = score_all()
    assert second.transactions_scored == 0
    assert EnergyLedgerEntry.objects.count() == entries
    assert GreenAction.objects.count() == 2
    assert_ledger_consistent()


def test_a_chunk_scored_twice_does_nothing_the_second_time():
    feed = LinkedFeedFactory()
    pay(feed, "GVB", "-3.20")
    run = scoring_run_create()
    chunk = run.chunks.get()
    assert score_chunk(chunk.id).green_actions == 1
    assert score_chunk(chunk.id) is None
    assert GreenAction.objects.count() == 1


def test_pending_transactions_and_revoked_feeds_are_not_scored():
    feed = LinkedFeedFactory()
    pay(feed, "GVB", "-3.20", status="pending")
    revoked = LinkedFeedFactory(user=feed.user, status="revoked")
    pay(revoked, "NS", "-8.00")
    assert score_all().transactions_scored == 0
    assert not GreenAction.objects.exists()


def test_daily_cap_applies_per_user_action_type_and_day_across_runs():
    feed = LinkedFeedFactory()
    cap = CATALOGUE_BY_CODE["second-hand-marketplace"]["daily_cap_grams"]
    pay(feed, "Vinted", "-12.00")
    pay(feed, "Vinted", "-12.00")
    score_all()
    pay(feed, "Vinted", "-12.00")  # arrives a night later, same booking day
    pay(feed, "Vinted", "-12.00", booking_date=DAY + timedelta(days=1))
    score_all()

    same_day = GreenAction.objects.filter(booking_date=DAY, action_type="second_hand")
    assert sum(a.base_grams for a in same_day) == cap
    assert same_day.order_by("id").last().base_grams == 0
    next_day = GreenAction.objects.get(booking_date=DAY + timedelta(days=1))
    assert next_day.base_grams == cap < next_day.estimated_grams
    assert_ledger_consistent()


def test_unknown_currency_is_skipped_and_reported_then_scored_once_a_rate_exists():
    feed = LinkedFeedFactory()
    pay(feed, "GVB", "-3.20")
    odd = pay(feed, "GVB", "-300.00", currency="ISK")
    result = score_all()
    assert result.skipped == 1
    assert "ISK" in result.skipped_examples[0]["reason"]
    assert GreenAction.objects.count() == 1
    assert ScoringQueue.objects.filter(transaction=odd).exists()  # waits for a later night

    CurrencyRate.objects.create(currency="ISK", eur_per_unit=Decimal("0.0066"))
    assert score_all().green_actions == 1
    assert GreenAction.objects.filter(transaction=odd).exists()


def test_a_refund_claws_back_at_most_what_the_rule_awarded():
    feed = LinkedFeedFactory()
    pay(feed, "Vinted", "-10.00")
    score_all()
    earned = GreenAction.objects.get().grams
    pay(feed, "Vinted", "25.00")  # refund larger than the purchase
    score_all()
    refund = GreenAction.objects.get(grams__lt=0)
    assert refund.grams == -earned
    # The purchase's drop is still uncollected: the claw-back nets inside it, not in the balance.
    assert (balance(feed.user), balance(feed.user, "drops")) == (0, 0)
    assert EnergyDrop.objects.get().remaining == 0
    assert_ledger_consistent()


def test_removed_transaction_gives_back_from_the_open_drop(django_assert_max_num_queries):
    feed = LinkedFeedFactory()
    gvb = pay(feed, "GVB", "-3.20")
    pay(feed, "GVB", "-3.20")
    score_all()
    drop = EnergyDrop.objects.get()
    assert drop.remaining == 104

    remove(gvb)
    result = score_all()

    assert result.reversals == 1
    drop.refresh_from_db()
    assert drop.remaining == 52
    reversal = EnergyLedgerEntry.objects.get(kind="reversal")
    assert (reversal.account, reversal.grams) == ("drops", -52)
    assert GreenAction.objects.get(transaction=gvb).reversed_at is not None
    assert score_all().reversals == 0  # once only
    assert_ledger_consistent()


def test_removed_after_collecting_gives_back_from_the_balance():
    from django.utils import timezone

    from forest.services.energy import drops_collect_all

    feed = LinkedFeedFactory()
    ns = pay(feed, "NS", "-8.00")
    score_all()
    drops_collect_all(user_id=feed.user_id, now=timezone.now() + timedelta(days=1))
    collected = balance(feed.user)
    remove(ns)
    score_all()
    assert balance(feed.user) == 0
    assert collected > 0
    assert_ledger_consistent()


@pytest.mark.parametrize(
    "step", ["reversals", "claim", "classify", "cap", "campaigns", "grants", "awards"]
)
def test_a_worker_killed_mid_chunk_leaves_nothing_and_the_retry_does_everything(step):
    feed = LinkedFeedFactory()
    pay(feed, "GVB", "-3.20")
    pay(feed, "Vinted", "-20.00")
    run = scoring_run_create()
    chunk = run.chunks.get()

    with pytest.raises(SimulatedCrash):
        score_chunk(chunk.id, fail_after_step=step)

    assert not GreenAction.objects.exists()
    assert not EnergyLedgerEntry.objects.exists()
    assert ScoringQueue.objects.count() == 2  # the rollback put the claimed rows back
    chunk.refresh_from_db()
    assert chunk.status == "pending"

    assert score_chunk(chunk.id).green_actions == 2
    assert EnergyLedgerEntry.objects.filter(kind="earn").count() == 2
    assert_ledger_consistent()


def test_dry_run_command_prints_awards_and_changes_nothing(capsys):
    feed = LinkedFeedFactory()
    pay(feed, "GVB", "-3.20")
    call_command("score_transactions", "--dry-run")
    out = capsys.readouterr().out
    assert "metro-tram" in out
    assert "Dry run" in out
    assert not GreenAction.objects.exists()
    assert ScoringQueue.objects.count() == 1


def test_command_scores_with_since_and_user_filters(capsys):
    feed = LinkedFeedFactory()
    other = LinkedFeedFactory()
    pay(feed, "GVB", "-3.20")
    pay(feed, "GVB", "-3.20", booking_date=DAY - timedelta(days=10))
    pay(other, "GVB", "-3.20")
    call_command("score_transactions", "--user", str(feed.user_id), "--since", DAY.isoformat())
    assert "Scored 1 transactions" in capsys.readouterr().out
    assert GreenAction.objects.get().user_id == feed.user_id


def test_editing_a_rule_makes_a_version_and_never_changes_awarded_energy():
    feed = LinkedFeedFactory()
    pay(feed, "GVB", "-3.20")
    score_all()
    rule = GreenActionRule.objects.get(code="metro-tram")
    seeded = rule.version  # the seed and its data migrations' versions
    rule.fixed_grams = 60
    rule_save(rule=rule)
    assert rule.version == seeded + 1
    action = GreenAction.objects.get()
    assert (action.grams, action.rule_version) == (52, seeded)
    rule.name_en = "Metro and tram rides"  # cosmetic: no new version
    rule_save(rule=rule)
    assert rule.version == seeded + 1


def test_rescoring_after_a_rule_fix_is_ledger_entries():
    from forest.scoring.jobs import scoring_run_inline
    from forest.services.rescoring import rescore_request

    feed = LinkedFeedFactory()
    pay(feed, "GVB", "-3.20")
    score_all()
    rule = GreenActionRule.objects.get(code="metro-tram")
    rule.fixed_grams = 60
    rule_save(rule=rule)

    marked, run = rescore_request(date_from=DAY, date_to=DAY)
    assert marked == 1
    scoring_run_inline(run)

    old, new = GreenAction.objects.order_by("id")
    assert (old.reversal_reason, new.grams, new.rule_version) == ("rescored", 60, rule.version)
    kinds = list(EnergyLedgerEntry.objects.order_by("id").values_list("kind", "grams"))
    assert kinds == [("earn", 52), ("reversal", -52), ("earn", 60)]
    assert balance(feed.user, "drops") == 60
    assert_ledger_consistent()


def test_a_rule_with_an_invalid_regex_or_no_matcher_cannot_be_saved():
    rule = GreenActionRule.objects.get(code="paperless")
    rule.match_description_regex = "e-ticket("
    with pytest.raises(ValidationError, match="regular expression"):
        rule_save(rule=rule)
    bare = GreenActionRule(
        code="nothing", name_en="x", name_nl="x", action_type="rail", estimate_kind="fixed",
        method="m", source="s",
    )  # fmt: skip
    with pytest.raises(ValidationError, match="at least one matcher"):
        rule_save(rule=bare)
    rule.refresh_from_db()
    assert rule.match_description_regex != "e-ticket("


def test_chunk_bounds_split_users_by_transaction_count():
    counts = [(1, 5), (2, 5), (3, 5), (7, 1), (9, 30)]
    assert chunk_bounds(counts, target=10) == [(1, 2), (3, 9)]
    assert chunk_bounds([], target=10) == []


def test_rescore_command_for_a_date_range(capsys):
    feed = LinkedFeedFactory()
    pay(feed, "GVB", "-3.20", booking_date=DAY - timedelta(days=40))
    score_all()  # nights apart: a first night earns only its newest day (EnergyLimits)
    pay(feed, "GVB", "-3.20")
    score_all()
    rule = GreenActionRule.objects.get(code="metro-tram")
    rule.fixed_grams = 60
    rule_save(rule=rule)

    call_command("rescore_transactions", "--from", DAY.isoformat(), "--to", DAY.isoformat())

    assert "Re-scored 1 actions: 1 reversed, 1 new actions, 60 g" in capsys.readouterr().out
    live = GreenAction.objects.filter(reversed_at__isnull=True).order_by("booking_date")
    assert [a.grams for a in live] == [52, 60]  # outside the range: untouched
    assert_ledger_consistent()


def test_rescore_command_rejects_unknown_rules():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="unknown rule"):
        call_command("rescore_transactions", "--from", "2026-01-01", "--to", "2026-02-01",
                     "--rule", "nope")  # fmt: skip
