"""Fraud review, part one: the nightly sweep that raises signals (fraud_review.py: the rest).

The sweep is set-based: one ``INSERT … SELECT … ON CONFLICT`` per kind of signal over the last
days of ledger entries, green actions and feeds, so its query count does not grow with the number
of users. Each statement upserts on the "one open signal per user and kind" constraint: a pattern
seen again updates the open signal rather than adding a second one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import LinkedFeed
from core.sql import Dialect, adapt_params, current_dialect, table
from forest.models import EnergyDrop, EnergyLedgerEntry, FraudSignal, GreenAction
from forest.services.social import STEAL_GRACE

DROPS = table(EnergyDrop)
FEEDS = table(LinkedFeed)
GREEN_ACTIONS = table(GreenAction)
LEDGER = table(EnergyLedgerEntry)
SIGNALS = table(FraudSignal)

# --------------------------------------------------------------------------------------------
# Thresholds. Each is deliberately above what a keen human does; a signal is a question for an
# operator, never an automatic sanction.
# --------------------------------------------------------------------------------------------

# Bot-like collecting. Drops ripen at 07:00 local time and keen users set alarms for it, but a
# human opening the app lands tens of seconds to minutes later; auto-collect scripts (Ant
# Forest's Sesame-TK "蹲点" sniping) fire within a second or two, every day.
BOT_WINDOW_DAYS = 7
BOT_SNIPE_SECONDS = 3  # a collect this soon after ripe_at is a "snipe"
BOT_MIN_DAYS = 3  # snipes on at least this many days of the window: a habit, not luck
BOT_MIN_SHARE = 0.5  # and at least half of all the user's collects were snipes
BOT_HIGH_DAYS = 5

# Bot-like stealing. Friends' drops become stealable STEAL_GRACE after ripening
# (forest.services.social); a person checks their friends' forests now and then, a script
# ("one-click steal all friends", Sesame-TK's timed sniping) fires the moment a drop opens.
STEAL_WINDOW_DAYS = 7
STEAL_SNIPE_SECONDS = 3  # a steal this soon after the drop became stealable is a "snipe"
STEAL_MIN_DAYS = 3  # on at least this many days of the window
STEAL_MIN_SHARE = 0.5  # and at least half of the user's steals
STEAL_HIGH_DAYS = 5

# Refund cycling: buy at a rewarded merchant, collect the energy, refund, repeat. A refund
# claws the energy back, so each cycle is a green action with negative grams. Honest users
# return something now and then; four returns a month at green merchants that take back half
# of what was earned there is a pattern.
REFUND_WINDOW_DAYS = 30
REFUND_MIN_CYCLES = 4
REFUND_MIN_CLAWBACK_SHARE = 0.5  # clawed back / earned in the window
REFUND_HIGH_CYCLES = 8

# Cap pressing: hitting an action type's daily cap day after day with many small payments
# looks like card testing or split payments to farm energy. A daily commuter makes 2-4
# payments a day and rarely reaches the cap.
CAP_WINDOW_DAYS = 14
CAP_MIN_DAYS = 8  # most days of the window
CAP_MIN_TXNS_PER_DAY = 5  # "many" payments on a capped day
CAP_MAX_AVG_EUR = 5  # "small": average euros per payment on a capped day
CAP_HIGH_DAYS = 12

# Shared feed account: the same bank account (provider + account_ref) linked by several users,
# one account farming energy for many. Two is a joint account, which is normal; three is not.
# Details keep the user's feed ids, not the account numbers: the admin shows those live.
SHARED_FEED_MIN_USERS = 3
SHARED_FEED_HIGH_USERS = 5
# Shared feeds are state, not events: a dismissed or confirmed one stays quiet this long.
SHARED_FEED_QUIET_DAYS = 30


def _upsert(
    found_cte: str, *, kind: str, quiet_since: datetime, now: datetime, params: dict
) -> int:
    """Insert or refresh the open signal of kind ``kind`` for each row of the ``found`` CTE
    (user_id, score, severity, details); users reviewed for this kind since ``quiet_since``
    are left alone, so a dismissed pattern does not come back with the same evidence."""
    sql = f"""INSERT INTO {SIGNALS} (user_id, kind, score, severity, details, status,
                                              first_seen_at, last_seen_at, review_note)
              {found_cte}
              SELECT f.user_id, %(kind)s, f.score, f.severity, f.details, 'open',
                     %(now)s, %(now)s, ''
              FROM found f
              WHERE NOT EXISTS (
                  SELECT 1 FROM {SIGNALS} r
                  WHERE r.user_id = f.user_id AND r.kind = %(kind)s AND r.status <> 'open'
                    AND r.reviewed_at >= %(quiet_since)s)
              ON CONFLICT (user_id, kind) WHERE status = 'open'
              DO UPDATE SET score = excluded.score, severity = excluded.severity,
                            details = excluded.details, last_seen_at = excluded.last_seen_at"""
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            adapt_params({**params, "kind": kind, "now": now, "quiet_since": quiet_since}),
        )
        return max(cursor.rowcount, 0)


@dataclass(frozen=True)
class _Sniping:
    """A timing detector: ledger entries of ``entry_kinds`` landing within ``snipe_seconds``
    after a drop became takeable (``ripe_at`` plus ``grace_seconds``)."""

    kind: str  # the FraudSignal kind raised
    entry_kinds: tuple[str, ...]
    grace_seconds: int
    window_days: int
    snipe_seconds: int
    min_days: int
    min_share: float
    high_days: int
    noun: str  # how the details name the entries: "collects", "steals"


def _detect_sniping(q: Dialect, now: datetime, spec: _Sniping) -> int:
    since = now - timedelta(days=spec.window_days)
    delay = q.seconds_between("l.created_at", "d.ripe_at")
    if spec.grace_seconds:
        delay = f"({delay} - {int(spec.grace_seconds)})"
    snipe = f"({delay} >= 0 AND {delay} < {int(spec.snipe_seconds)})"
    details = q.json_object(
        window_days=str(int(spec.window_days)),
        snipe_seconds=str(int(spec.snipe_seconds)),
        **{spec.noun: "entries", f"sniped_{spec.noun}": "sniped"},
        days_with_snipes="days",
        fastest_seconds="ROUND(CAST(fastest AS NUMERIC), 2)",
    )
    kinds = ", ".join(f"'{kind}'" for kind in spec.entry_kinds)
    found = f"""WITH taken AS (
                    SELECT l.user_id, {q.day("l.created_at")} AS day, {delay} AS delay,
                           CASE WHEN {snipe} THEN 1 ELSE 0 END AS sniped
                    FROM {LEDGER} l
                    JOIN {DROPS} d ON d.id = l.drop_id
                    WHERE l.kind IN ({kinds}) AND l.account = 'balance'
                      AND l.grams > 0 AND l.created_at >= %(since)s AND l.created_at < %(now)s
                ), per_user AS (
                    SELECT user_id, COUNT(*) AS entries, SUM(sniped) AS sniped,
                           COUNT(DISTINCT CASE WHEN sniped = 1 THEN day END) AS days,
                           MIN(CASE WHEN sniped = 1 THEN delay END) AS fastest
                    FROM taken GROUP BY user_id
                ), found AS (
                    SELECT user_id, (100 * sniped) / entries AS score,
                           CASE WHEN days >= {int(spec.high_days)} THEN 'high'
                                ELSE 'medium' END AS severity,
                           {details} AS details
                    FROM per_user
                    WHERE days >= {int(spec.min_days)}
                      AND sniped >= {float(spec.min_share)} * entries
                )"""
    return _upsert(found, kind=spec.kind, quiet_since=since, now=now, params={"since": since})


def _detect_bot_collect(q: Dialect, now: datetime) -> int:
    # Steals count too: a script collecting its own and its friends' drops is one habit.
    return _detect_sniping(
        q,
        now,
        _Sniping(
            kind=FraudSignal.Kind.BOT_COLLECT,
            entry_kinds=("collect", "steal"),
            grace_seconds=0,
            window_days=BOT_WINDOW_DAYS,
            snipe_seconds=BOT_SNIPE_SECONDS,
            min_days=BOT_MIN_DAYS,
            min_share=BOT_MIN_SHARE,
            high_days=BOT_HIGH_DAYS,
            noun="collects",
        ),
    )


def _detect_steal_sniping(q: Dialect, now: datetime) -> int:
    return _detect_sniping(
        q,
        now,
        _Sniping(
            kind=FraudSignal.Kind.STEAL_SNIPING,
            entry_kinds=("steal",),
            grace_seconds=int(STEAL_GRACE.total_seconds()),
            window_days=STEAL_WINDOW_DAYS,
            snipe_seconds=STEAL_SNIPE_SECONDS,
            min_days=STEAL_MIN_DAYS,
            min_share=STEAL_MIN_SHARE,
            high_days=STEAL_HIGH_DAYS,
            noun="steals",
        ),
    )


def _detect_refund_cycling(q: Dialect, now: datetime) -> int:
    since = now - timedelta(days=REFUND_WINDOW_DAYS)
    details = q.json_object(
        window_days=str(int(REFUND_WINDOW_DAYS)),
        refunds="cycles",
        grams_clawed_back="clawed",
        grams_earned="earned",
        rules="rules",
    )
    found = f"""WITH per_user AS (
                    SELECT g.user_id,
                           SUM(CASE WHEN g.grams < 0 THEN 1 ELSE 0 END) AS cycles,
                           SUM(CASE WHEN g.grams < 0 THEN -g.grams ELSE 0 END) AS clawed,
                           SUM(CASE WHEN g.grams > 0 THEN g.grams ELSE 0 END) AS earned,
                           COUNT(DISTINCT CASE WHEN g.grams < 0 THEN g.rule_id END) AS rules
                    FROM {GREEN_ACTIONS} g
                    WHERE g.booking_date >= %(since_date)s AND g.reversed_at IS NULL
                      AND g.rule_id IS NOT NULL
                    GROUP BY g.user_id
                ), found AS (
                    SELECT user_id,
                           CASE WHEN earned <= 0 THEN 100
                                ELSE {q.smallest("100", "(100 * clawed) / earned")} END AS score,
                           CASE WHEN cycles >= {int(REFUND_HIGH_CYCLES)} THEN 'high'
                                ELSE 'medium' END AS severity,
                           {details} AS details
                    FROM per_user
                    WHERE cycles >= {int(REFUND_MIN_CYCLES)}
                      AND clawed >= {float(REFUND_MIN_CLAWBACK_SHARE)} * earned
                )"""
    return _upsert(
        found,
        kind=FraudSignal.Kind.REFUND_CYCLING,
        quiet_since=since,
        now=now,
        params={"since_date": timezone.localdate(now) - timedelta(days=REFUND_WINDOW_DAYS)},
    )


def _detect_cap_pressing(q: Dialect, now: datetime) -> int:
    since = now - timedelta(days=CAP_WINDOW_DAYS)
    details = q.json_object(
        window_days=str(int(CAP_WINDOW_DAYS)),
        capped_days="days",
        transactions_on_capped_days="txns",
        action_types=q.json_nested("action_types"),
    )
    found = f"""WITH pressed AS (
                    SELECT g.user_id, g.action_type, g.booking_date, COUNT(*) AS txns
                    FROM {GREEN_ACTIONS} g
                    WHERE g.booking_date >= %(since_date)s AND g.reversed_at IS NULL
                      AND g.estimated_grams > 0
                    GROUP BY g.user_id, g.action_type, g.booking_date
                    HAVING SUM(CASE WHEN g.base_grams < g.estimated_grams THEN 1 ELSE 0 END) > 0
                       AND COUNT(*) >= {int(CAP_MIN_TXNS_PER_DAY)}
                       AND AVG(g.eur_amount) <= {int(CAP_MAX_AVG_EUR)}
                ), per_user AS (
                    SELECT user_id, COUNT(DISTINCT booking_date) AS days, SUM(txns) AS txns,
                           {q.json_agg_distinct("action_type")} AS action_types
                    FROM pressed GROUP BY user_id
                ), found AS (
                    SELECT user_id,
                           {q.smallest("100", f"(100 * days) / {int(CAP_WINDOW_DAYS)}")} AS score,
                           CASE WHEN days >= {int(CAP_HIGH_DAYS)} THEN 'high'
                                ELSE 'medium' END AS severity,
                           {details} AS details
                    FROM per_user
                    WHERE days >= {int(CAP_MIN_DAYS)}
                )"""
    return _upsert(
        found,
        kind=FraudSignal.Kind.CAP_PRESSING,
        quiet_since=since,
        now=now,
        params={"since_date": timezone.localdate(now) - timedelta(days=CAP_WINDOW_DAYS)},
    )


def _detect_shared_feed(q: Dialect, now: datetime) -> int:
    details = q.json_object(users_sharing="users", feeds=q.json_nested("feeds"))
    found = f"""WITH shared AS (
                    SELECT provider, account_ref, COUNT(DISTINCT user_id) AS users
                    FROM {FEEDS}
                    GROUP BY provider, account_ref
                    HAVING COUNT(DISTINCT user_id) >= {int(SHARED_FEED_MIN_USERS)}
                ), per_user AS (
                    SELECT f.user_id, MAX(s.users) AS users,
                           {q.json_agg_distinct("f.id")} AS feeds
                    FROM {FEEDS} f
                    JOIN shared s ON s.provider = f.provider AND s.account_ref = f.account_ref
                    GROUP BY f.user_id
                ), found AS (
                    SELECT user_id, {q.smallest("100", "20 * users")} AS score,
                           CASE WHEN users >= {int(SHARED_FEED_HIGH_USERS)} THEN 'high'
                                ELSE 'medium' END AS severity,
                           {details} AS details
                    FROM per_user
                    WHERE users >= {int(SHARED_FEED_MIN_USERS)}
                )"""
    return _upsert(
        found,
        kind=FraudSignal.Kind.SHARED_FEED,
        quiet_since=now - timedelta(days=SHARED_FEED_QUIET_DAYS),
        now=now,
        params={},
    )


DETECTORS: dict[str, Callable[[Dialect, datetime], int]] = {
    FraudSignal.Kind.BOT_COLLECT: _detect_bot_collect,
    FraudSignal.Kind.REFUND_CYCLING: _detect_refund_cycling,
    FraudSignal.Kind.CAP_PRESSING: _detect_cap_pressing,
    FraudSignal.Kind.SHARED_FEED: _detect_shared_feed,
    FraudSignal.Kind.STEAL_SNIPING: _detect_steal_sniping,
}


@transaction.atomic
def fraud_sweep(
    *,
    now: datetime | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Run every detector once; returns, per kind, the open signals raised or refreshed.

    One statement per detector whatever the number of users. Safe to run twice or side by
    side: the second run refreshes the same open signals.
    """
    now = now or timezone.now()
    q = current_dialect()
    counts: dict[str, int] = {}
    for kind, detect in DETECTORS.items():
        counts[kind] = detect(q, now)
        if progress:
            progress(kind, counts[kind])
    return counts
