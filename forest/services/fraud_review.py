"""What operators do about fraud signals: dismiss them, or confirm them and freeze the user's
energy (a hold) and reverse their open drops.

Review actions never edit energy: a reversal is ledger entries with idempotency keys, and every
action is a conditional UPDATE or an insert that ignores conflicts, so clicking twice or two
operators at once changes things once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from core import readcache
from core.sql import adapt_params, table
from forest.models import EnergyDrop, EnergyHold, FraudSignal
from forest.models.energy import Account, EntryKind
from forest.services.ledger import ledger_append

DROPS = table(EnergyDrop)
HOLDS = table(EnergyHold)


@dataclass(frozen=True)
class ReviewResult:
    """What one review call changed; a repeated call reports zeros."""

    signals: int = 0  # signals this call moved to the new status
    skipped: int = 0  # selected signals in a status the action does not apply to
    holds: int = 0  # holds placed or released
    drops: int = 0  # open drops reversed
    grams: int = 0  # grams those drops held


def _review(signal_ids: list[int], *, to: str, reviewer, now: datetime) -> int:
    return FraudSignal.objects.filter(id__in=signal_ids, status=FraudSignal.Status.OPEN).update(
        status=to, reviewed_by=reviewer, reviewed_at=now
    )


@transaction.atomic
def fraud_signals_dismiss(*, signal_ids: Iterable[int], reviewer=None) -> ReviewResult:
    """Open signals become dismissed; reviewed ones are left as they are."""
    ids = sorted(set(signal_ids))
    moved = _review(ids, to=FraudSignal.Status.DISMISSED, reviewer=reviewer, now=timezone.now())
    return ReviewResult(signals=moved, skipped=len(ids) - moved)


def _confirm(signal_ids: Iterable[int], reviewer, now: datetime) -> tuple[int, list[FraudSignal]]:
    """Confirm the open ones; returns how many this call confirmed and every confirmed signal
    of the selection (confirmed now or before: freezing or reversing again is harmless)."""
    ids = sorted(set(signal_ids))
    moved = _review(ids, to=FraudSignal.Status.CONFIRMED, reviewer=reviewer, now=now)
    confirmed = list(
        FraudSignal.objects.filter(id__in=ids, status=FraudSignal.Status.CONFIRMED).order_by("id")
    )
    return moved, confirmed


@transaction.atomic
def fraud_signals_confirm_and_freeze(*, signal_ids: Iterable[int], reviewer=None) -> ReviewResult:
    """Confirm the signals and put a hold on their users: they can no longer collect."""
    now = timezone.now()
    ids = sorted(set(signal_ids))
    moved, confirmed = _confirm(ids, reviewer, now)
    holds = energy_holds_place(
        holds={s.user_id: (s.id, f"fraud signal {s.id}: {s.kind}") for s in confirmed},
        created_by=reviewer,
        now=now,
    )
    return ReviewResult(signals=moved, skipped=len(ids) - len(confirmed), holds=holds)


@transaction.atomic
def fraud_signals_confirm_and_reverse(*, signal_ids: Iterable[int], reviewer=None) -> ReviewResult:
    """Confirm the signals and reverse their users' open drops (ledger entries, no edits)."""
    now = timezone.now()
    ids = sorted(set(signal_ids))
    moved, confirmed = _confirm(ids, reviewer, now)
    drops, grams = drops_reverse_open(user_ids=[s.user_id for s in confirmed], now=now)
    return ReviewResult(signals=moved, skipped=len(ids) - len(confirmed), drops=drops, grams=grams)


def energy_holds_place(
    *, holds: dict[int, tuple[int | None, str]], created_by=None, now: datetime | None = None
) -> int:
    """Place a hold on each user of ``holds`` ({user id: (signal id, reason)}) that has no
    active one; returns how many were placed. A user already on hold is left as they are."""
    if not holds:
        return 0
    now = now or timezone.now()
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(holds))
    params: list = []
    for user_id, (signal_id, reason) in sorted(holds.items()):
        params.extend([user_id, reason[:200], signal_id, getattr(created_by, "pk", None), now])
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {HOLDS} (user_id, reason, signal_id, created_by_id,
                                               created_at)
                VALUES {values}
                ON CONFLICT (user_id) WHERE released_at IS NULL DO NOTHING""",
            adapt_params(params),
        )
        readcache.users_changed(holds)
        return max(cursor.rowcount, 0)


@transaction.atomic
def energy_holds_release(*, user_ids: Iterable[int], released_by=None) -> int:
    """Release the users' active holds; returns how many this call released."""
    ids = sorted(set(user_ids))
    readcache.users_changed(ids)
    return EnergyHold.objects.filter(user_id__in=ids, released_at__isnull=True).update(
        released_at=timezone.now(), released_by=released_by
    )


def drops_reverse_open(*, user_ids: Iterable[int], now: datetime) -> tuple[int, int]:
    """Take back what the users' open drops (ripe or not) still hold: the drops become expired
    through one conditional UPDATE, and their remaining grams leave the drops account as
    reversal entries keyed ``fraud:drop:<id>``. Returns (drops, grams) this call reversed."""
    ids = sorted(set(user_ids))
    if not ids:
        return 0, 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {DROPS} SET status = 'expired'
                WHERE user_id IN ({", ".join(["%s"] * len(ids))}) AND status = 'open'
                RETURNING id, user_id, remaining""",
            ids,
        )
        won = sorted(cursor.fetchall())
    readcache.users_changed(ids)
    rows = [
        (user_id, Account.DROPS, EntryKind.REVERSAL, -remaining, f"fraud:drop:{drop_id}", drop_id)
        for drop_id, user_id, remaining in won
        if remaining > 0
    ]
    ledger_append(rows=rows, now=now, memo="fraud review")
    return len(won), -sum(row[3] for row in rows)
