"""Assertions and shortcuts shared by the forest tests."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db.models import F, Sum

from forest.models import EnergyBalance, EnergyDrop, EnergyLedgerEntry, GreenAction
from forest.scoring.jobs import scoring_run_create, scoring_run_inline


def score_all(**kwargs):
    run = scoring_run_create(triggered_by="test", **kwargs)
    return scoring_run_inline(run)


def assert_ledger_consistent() -> None:
    """Balances equal the sum of entries; the drops account equals what open drops hold."""
    sums = defaultdict(int)
    for row in EnergyLedgerEntry.objects.values("user_id", "account").annotate(total=Sum("grams")):
        sums[(row["user_id"], row["account"])] = row["total"]
    cached = {(b.user_id, b.account): b.grams for b in EnergyBalance.objects.all()}
    for key in set(sums) | set(cached):
        assert sums.get(key, 0) == cached.get(key, 0), f"drift at {key}"
    open_drops = defaultdict(int)
    for row in (
        EnergyDrop.objects.filter(status="open").values("user_id").annotate(total=Sum("remaining"))
    ):
        open_drops[row["user_id"]] = row["total"]
    for (user_id, account), total in sums.items():
        if account == "drops":
            assert total == open_drops.get(user_id, 0), f"drops account of {user_id}"


def assert_drops_match_actions() -> None:
    """Every drop scoring wrote holds exactly the grams of the green actions written with it,
    and no action with grams points nowhere (refund claw-backs carry negative grams, no drop;
    a re-scored action points at its old drop, settled there by a later chunk)."""
    held = defaultdict(int)
    for drop_id, grams in GreenAction.objects.filter(
        drop__isnull=False, chunk_id=F("drop__chunk_id")
    ).values_list("drop_id", "grams"):
        held[drop_id] += grams
    for drop in EnergyDrop.objects.filter(chunk__isnull=False):
        assert drop.grams == held.get(drop.id, 0) > 0, f"drop {drop.id}"
    assert not GreenAction.objects.filter(drop__isnull=True, grams__gt=0).exists()


def balance(user, account: str = "balance") -> int:
    row = EnergyBalance.objects.filter(user=user, account=account).first()
    return row.grams if row else 0


def two_rides_scored(user):
    """A feed of ``user`` with a GVB and an NS ride, scored: two drops. Returns the feed."""
    from tests.accounts.factories import LinkedFeedFactory, TransactionFactory

    feed = LinkedFeedFactory(user=user)
    TransactionFactory(feed=feed, merchant_name="GVB", amount=Decimal("-3.20"))
    TransactionFactory(feed=feed, merchant_name="NS", amount=Decimal("-12.40"))
    score_all()
    return feed


def ripe_time():
    """A minute after the first open drop ripens."""
    return EnergyDrop.objects.order_by("ripe_at").first().ripe_at + timedelta(minutes=1)
