"""Reads of a user's energy: balances per account and open drops."""

from __future__ import annotations

from forest.models import EnergyBalance, EnergyDrop


def balances_for_user(user_id: int) -> dict[str, int]:
    rows = EnergyBalance.objects.filter(user_id=user_id).values_list("account", "grams")
    return {"drops": 0, "balance": 0, "tree": 0, **dict(rows)}


def open_drops_for_user(user_id: int, *, now) -> list:
    return list(
        # A drop a claw-back emptied (a refund netted inside it) is no bubble to tap: not listed.
        EnergyDrop.objects.filter(
            user_id=user_id, status=EnergyDrop.Status.OPEN, expires_at__gt=now, remaining__gt=0
        ).order_by("ripe_at", "id")[:200]
    )
