"""Assertions and shortcuts shared by the forest tests."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Sum

from forest.models import EnergyBalance, EnergyDrop, EnergyLedgerEntry
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


def balance(user, account: str = "balance") -> int:
    row = EnergyBalance.objects.filter(user=user, account=account).first()
    return row.grams if row else 0
