"""Reads of a user's energy: balances per account and open drops."""

from __future__ import annotations

from django.db.models import QuerySet

from core.compiled import CompiledQuery
from forest.models import EnergyBalance, EnergyDrop


def balances_for_user(user_id: int) -> dict[str, int]:
    rows = EnergyBalance.objects.filter(user_id=user_id).values_list("account", "grams")
    return {"drops": 0, "balance": 0, "tree": 0, **dict(rows)}


def _open_drops_query(user_id: int, now) -> QuerySet[EnergyDrop]:
    # A drop a claw-back emptied (a refund netted inside it) is no bubble to tap: not listed.
    return EnergyDrop.objects.filter(
        user_id=user_id, status=EnergyDrop.Status.OPEN, expires_at__gt=now, remaining__gt=0
    ).order_by("ripe_at", "id")[:200]


# Compiled once per process (core/compiled.py): the home screen reads it on every request.
_open_drops = CompiledQuery(_open_drops_query, kinds=("id", "datetime"))


def open_drops_for_user(user_id: int, *, now) -> list[EnergyDrop]:
    return _open_drops.models(user_id, now)  # type: ignore[return-value]
