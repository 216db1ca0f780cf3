"""Which transactions may earn energy: the trust of their feed, and the feed's consent window.

Only transactions of a *verified* feed earn by default; *sandbox* ones earn where the sandbox
is enabled (the demo, tests), *self-reported* ones (the user's own files) only in a pilot
(``CANOPY_SELF_REPORTED_EARNS``) and then within a monthly cap per user. A transaction booked
more than ``CANOPY_CONSENT_GRACE_DAYS`` before its feed's first consent never earns.

Scoring asks this once per row, set-based: ``eligible_sql`` is a column of the claim's
``DELETE … RETURNING``, and an ineligible transaction is claimed (it leaves the outbox) but
never staged, so it gets no green action, no drop and no campaign bonus and costs the chunk
nothing more. The API's "why" (``ineligible_reason``) asks the same question of the same
columns, so it says in the same terms why such a transaction earned nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings

from accounts.models import Trust, sandbox_enabled
from core.sql import Dialect
from forest.scoring.sql import FEEDS, GREEN_ACTIONS, TRANSACTIONS, ChunkSql

# Reason codes of the API's ``earning_reason`` for transactions no green action explains.
SANDBOX_SOURCE = "sandbox_source"
SELF_REPORTED_SOURCE = "self_reported_source"
BEFORE_CONSENT_WINDOW = "before_consent_window"


def self_reported_earns() -> bool:
    return bool(getattr(settings, "CANOPY_SELF_REPORTED_EARNS", False))


def self_reported_monthly_cap() -> int:
    return int(getattr(settings, "CANOPY_SELF_REPORTED_MONTHLY_CAP_GRAMS", 0))


def consent_grace_days() -> int:
    return int(getattr(settings, "CANOPY_CONSENT_GRACE_DAYS", 7))


def earning_trusts() -> list[str]:
    """The trust levels whose transactions earn under the current settings."""
    trusts = [Trust.VERIFIED.value]
    if sandbox_enabled():
        trusts.append(Trust.SANDBOX.value)
    if self_reported_earns():
        trusts.append(Trust.SELF_REPORTED.value)
    return trusts


def window_start(consented_on: date) -> date:
    """The first booking day that earns on a feed first consented to on ``consented_on``."""
    return consented_on - timedelta(days=consent_grace_days())


def eligible_sql(dialect: Dialect, *, feed: str = "f", day: str) -> str:
    """1 when the row of feed alias ``feed``, booked on ``day``, may earn, else 0.

    The trust levels are our own enum values, written into the text (no user input), so the
    test is a plain ``IN`` on the feed row the claim joins anyway.
    """
    trusts = ", ".join(f"'{trust}'" for trust in earning_trusts())
    floor = dialect.days_before(f"{feed}.consented_on", consent_grace_days())
    return f"CASE WHEN {feed}.trust IN ({trusts}) AND {day} >= {floor} THEN 1 ELSE 0 END"


def ineligible_reason(*, trust: str, day: date | None, consented_on: date) -> str | None:
    """Why a transaction of such a feed, booked on ``day``, may not earn; None if it may."""
    if trust not in earning_trusts():
        return SANDBOX_SOURCE if trust == Trust.SANDBOX else SELF_REPORTED_SOURCE
    if day is not None and day < window_start(consented_on):
        return BEFORE_CONSENT_WINDOW
    return None


def self_reported_cap(sql: ChunkSql, p: dict, now: datetime) -> None:
    """The pilot's cap: a user's self-reported transactions earn at most
    ``CANOPY_SELF_REPORTED_MONTHLY_CAP_GRAMS`` per calendar month of scoring (UTC), counting
    what earlier chunks awarded this month; and no sponsor campaign pays a bonus on them.

    Three set-based statements over the staged self-reported rows: list them (campaigns skip
    them, see ``forest.scoring.campaigns``), work out each award's capped grams in a running
    sum per user, and shrink the awards. Runs after the daily cap, before drops are written.
    """
    greatest, least = sql.d.greatest, sql.d.least
    sql.temp("score_selfrep", "txn_id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL")
    sql.temp("score_selfcap", "txn_id BIGINT PRIMARY KEY, base INTEGER NOT NULL")
    sql.self_reported = True
    sql.run(
        f"""INSERT INTO score_selfrep (txn_id, user_id)
            SELECT s.txn_id, s.user_id FROM score_stage s
            JOIN {TRANSACTIONS} t ON t.id = s.txn_id
            JOIN {FEEDS} f ON f.id = t.feed_id
            WHERE f.trust = %(self_reported)s""",
        {"self_reported": Trust.SELF_REPORTED.value},
    )
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    sql.run(
        f"""INSERT INTO score_selfcap (txn_id, base)
            SELECT a.txn_id, {greatest}(0, {least}(a.base,
                       %(cap)s - COALESCE(prior.grams, 0)
                       - (SUM(a.base) OVER (
                              PARTITION BY a.user_id ORDER BY a.booking_date, a.txn_id
                              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - a.base)))
            FROM score_award a
            JOIN score_selfrep x ON x.txn_id = a.txn_id
            LEFT JOIN (
                SELECT g.user_id, SUM(g.base_grams) AS grams
                FROM {GREEN_ACTIONS} g
                JOIN {TRANSACTIONS} t ON t.id = g.transaction_id
                JOIN {FEEDS} f ON f.id = t.feed_id
                WHERE g.user_id IN (SELECT user_id FROM score_selfrep)
                  AND f.trust = %(self_reported)s AND g.reversed_at IS NULL
                  AND g.base_grams > 0 AND g.created_at >= %(month)s
                GROUP BY g.user_id
            ) prior ON prior.user_id = a.user_id
            WHERE a.base > 0""",
        {
            "cap": self_reported_monthly_cap(),
            "month": month,
            "self_reported": Trust.SELF_REPORTED.value,
        },
    )
    sql.run(
        """UPDATE score_award SET base = (
               SELECT c.base FROM score_selfcap c WHERE c.txn_id = score_award.txn_id)
           WHERE txn_id IN (SELECT txn_id FROM score_selfcap)"""
    )
