"""Moving energy: collecting drops, expiring them, and auditing balances against the ledger.

Every movement is ledger entries with idempotency keys plus an upsert of the cached balance, in
one transaction. The state change that authorises it (a drop going from open to collected) is a
conditional UPDATE, so two concurrent requests can never both win.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from core import readcache
from core.sql import adapt_params, table
from core.timezones import DEFAULT_TIME_ZONE
from forest.metrics import drops_expired_counted
from forest.models import EnergyBalance, EnergyDrop, EnergyLedgerEntry, LedgerAudit
from forest.models.energy import Account, EntryKind
from forest.scoring.engine import COLLECT_WINDOW, ripe_time
from forest.services.holds import energy_hold_refuse
from forest.services.ledger import ledger_append


class DropNotCollectable(Exception):
    """The drop exists but is not ripe yet, already collected, or expired."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Collected:
    drops: int
    grams: int


def drop_grant(
    *,
    user_id: int,
    grams: int,
    action_type: str,
    idempotency_key: str,
    tz_name: str | None,
    now: datetime,
    memo: str = "",
) -> EnergyDrop:
    """Give the user a drop of ``grams`` from outside scoring (a sponsor's claim code).

    It ripens the next 07:00 in the user's zone and can be collected for the scoring's window;
    its ``earn`` entry goes through the one ledger writer (``forest.services.ledger``) with
    ``idempotency_key``, so a second grant under the same key fails on the key's unique
    constraint (and rolls back).
    """
    ripe_at = ripe_time(now, tz_name or DEFAULT_TIME_ZONE)
    drop = EnergyDrop.objects.create(
        user_id=user_id,
        action_type=action_type,
        grams=grams,
        remaining=grams,
        ripe_at=ripe_at,
        expires_at=ripe_at + COLLECT_WINDOW,
        chunk=None,  # not from scoring
        created_at=now,
    )
    ledger_append(
        rows=[(user_id, Account.DROPS, EntryKind.EARN, grams, idempotency_key, drop.pk)],
        now=now,
        memo=memo,
    )
    return drop


def _collect_open(user_id: int, drop_ids: list[int] | None, now: datetime) -> list[tuple[int, int]]:
    """Flip ripe open drops to collected; returns (drop id, grams) of the ones this call won.

    One conditional UPDATE: of two concurrent calls only one sees a row still open, and the
    grams credited are the row's ``remaining`` as locked by that UPDATE.
    """
    params: list = [now, user_id, now, now]
    only = ""
    if drop_ids is not None:
        only = f" AND id IN ({', '.join(['%s'] * len(drop_ids))})"
        params.extend(drop_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {table(EnergyDrop)} SET status = 'collected', collected_at = %s
                WHERE user_id = %s AND status = 'open' AND ripe_at <= %s AND expires_at > %s
                  AND remaining > 0{only}
                RETURNING id, remaining""",
            adapt_params(params),
        )
        return sorted(cursor.fetchall())


@transaction.atomic
def drop_collect(*, user_id: int, drop_id: int, now: datetime | None = None) -> Collected:
    now = now or timezone.now()
    energy_hold_refuse(user_id, action="collect")
    drop = EnergyDrop.objects.filter(id=drop_id, user_id=user_id).first()
    if drop is None:
        raise EnergyDrop.DoesNotExist
    won = _collect_open(user_id, [drop_id], now)
    if not won:
        state = drop.state_at(now)
        messages = {
            "ripening": gettext("This drop is not ripe yet."),
            "collected": gettext("This drop has been collected already."),
            "expired": gettext("This drop has expired."),
        }
        raise DropNotCollectable(
            messages.get(state, gettext("This drop cannot be collected.")), code=state
        )
    return _credit(user_id, won, now)


@transaction.atomic
def drops_collect_all(*, user_id: int, now: datetime | None = None) -> Collected:
    now = now or timezone.now()
    energy_hold_refuse(user_id, action="collect")
    return _credit(user_id, _collect_open(user_id, None, now), now)


def _credit(user_id: int, won: list[tuple[int, int]], now: datetime) -> Collected:
    rows = []
    for drop_id, grams in won:
        if grams <= 0:
            continue
        rows.append(
            (
                user_id,
                Account.DROPS,
                EntryKind.COLLECT,
                -grams,
                f"collect:drop:{drop_id}:out",
                drop_id,
            )
        )
        rows.append(
            (
                user_id,
                Account.BALANCE,
                EntryKind.COLLECT,
                grams,
                f"collect:drop:{drop_id}:in",
                drop_id,
            )
        )
    ledger_append(rows=rows, now=now)
    return Collected(drops=len(won), grams=sum(g for _, g in won))


@transaction.atomic
def drops_expire(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Expire open drops past their 72 hours, set-based: their grams leave the drops account."""
    now = now or timezone.now()
    expired = grams = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"""UPDATE {table(EnergyDrop)} SET status = 'expired'
                    WHERE id IN (SELECT id FROM {table(EnergyDrop)}
                                 WHERE status = 'open' AND expires_at <= %s
                                 ORDER BY id LIMIT {int(batch_size)})
                      AND status = 'open'
                    RETURNING id, user_id, remaining""",
                adapt_params([now]),
            )
            rows = cursor.fetchall()
            if not rows:
                break
            expired += len(rows)
            readcache.users_changed(user_id for _id, user_id, _remaining in rows)
            grams += sum(remaining for _id, _user, remaining in rows)
            ledger_append(
                rows=[
                    (
                        user_id,
                        Account.DROPS,
                        EntryKind.EXPIRE,
                        -remaining,
                        f"expire:drop:{drop_id}",
                        drop_id,
                    )
                    for drop_id, user_id, remaining in rows
                    if remaining > 0
                ],
                now=now,
            )
    drops_expired_counted(drops=expired, grams=grams)
    return expired


def ledger_audit() -> LedgerAudit:
    """Compare every cached balance with the sum of its entries, and every user's drops account
    with what their open drops hold; record any drift.

    The second check sees what the first cannot: an entry written against the wrong drop, or a
    drop changed without its entry (a claw-back lost to a racing collect leaves balances and
    entries in step, but the drops account no longer equals the open drops' grams). Each open
    drop is also checked against the entries that name it.
    """
    sums = {
        (row["user_id"], row["account"]): row["total"]
        for row in EnergyLedgerEntry.objects.values("user_id", "account").annotate(
            total=Sum("grams")
        )
    }
    cached = {(b.user_id, b.account): b.grams for b in EnergyBalance.objects.all()}
    drifts: list[dict] = []
    for key in sorted(set(sums) | set(cached)):
        expected, actual = sums.get(key, 0), cached.get(key, 0)
        if expected != actual:
            drifts.append({"user": key[0], "account": key[1], "ledger": expected, "cached": actual})
    drifts.extend(_open_drops_drift(sums))
    return LedgerAudit.objects.create(
        balances_checked=len(cached), drift_count=len(drifts), drifts=drifts[:1000]
    )


def _open_drops_drift(sums: dict[tuple[int, str], int]) -> list[dict]:
    """Users whose drops account differs from their open drops' remaining grams, and open drops
    whose remaining grams differ from the drops-account entries that name them."""
    held = {
        row["user_id"]: row["total"]
        for row in EnergyDrop.objects.filter(status=EnergyDrop.Status.OPEN)
        .values("user_id")
        .annotate(total=Sum("remaining"))
    }
    accounts = {user: grams for (user, account), grams in sums.items() if account == Account.DROPS}
    drifts: list[dict] = [
        {"user": user, "account": "open drops", "ledger": accounts.get(user, 0),
         "open_drops": held.get(user, 0)}
        for user in sorted(set(held) | set(accounts))
        if accounts.get(user, 0) != held.get(user, 0)
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT d.id, d.user_id, d.remaining, COALESCE(SUM(e.grams), 0)
                FROM {table(EnergyDrop)} d
                LEFT JOIN {table(EnergyLedgerEntry)} e
                       ON e.drop_id = d.id AND e.account = %s
                WHERE d.status = 'open'
                GROUP BY d.id, d.user_id, d.remaining
                HAVING COALESCE(SUM(e.grams), 0) <> d.remaining
                ORDER BY d.id""",
            [Account.DROPS],
        )
        drifts.extend(
            {"user": user_id, "account": "drop", "drop": drop_id, "ledger": int(ledger),
             "remaining": remaining}
            for drop_id, user_id, remaining, ledger in cursor.fetchall()
        )  # fmt: skip
    return drifts
