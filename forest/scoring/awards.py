"""A chunk's awards: grams from the rules and the daily cap, then drops and green actions.

Steps 3 and 5 of ``forest.scoring.engine``; each one set-based statement over the chunk's
temp tables.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db import IntegrityError

from forest.scoring.classify import ESTIMATED_GRAMS, best_rule_for
from forest.scoring.sql import DROPS, GREEN_ACTIONS, PROFILES, RATES, RULES, ChunkSql

if TYPE_CHECKING:
    from forest.scoring.engine import ChunkResult

RIPE_HOUR = 7  # drops ripen at 07:00 local time, the morning after scoring (T+1)
COLLECT_WINDOW = timedelta(hours=72)
DEFAULT_TZ = "Europe/Amsterdam"


class ScoringIntegrityError(RuntimeError):
    """The chunk would award grams twice; it is rolled back and the operators are told."""


def ripe_time(now: datetime, tz_name: str) -> datetime:
    """The next 07:00 in the user's time zone that is at least a few hours away."""
    try:
        tz = ZoneInfo(tz_name)
    except Exception:  # unknown zone in old data: fall back rather than fail the chunk
        tz = ZoneInfo(DEFAULT_TZ)
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), time(RIPE_HOUR), tzinfo=tz)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(ZoneInfo("UTC"))


def awards_estimate_and_cap(sql: ChunkSql, p: dict) -> None:
    """Grams from each rule's formula, then the daily cap, in one statement (money out only;
    refunds and reversals are handled by _refunds)."""
    least, greatest = sql.d.least, sql.d.greatest
    sql.temp(
        "score_award",
        "txn_id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, rule_id BIGINT, rule_version INTEGER, "
        "action_type VARCHAR(32) NOT NULL, booking_date DATE NOT NULL, amount NUMERIC NOT NULL, "
        "currency VARCHAR(3) NOT NULL, eur_amount NUMERIC NOT NULL, estimated INTEGER NOT NULL, "
        "base INTEGER NOT NULL, campaign_id BIGINT, campaign_grams INTEGER NOT NULL DEFAULT 0, "
        "matched_on VARCHAR(16) NOT NULL DEFAULT ''",
    )
    best, best_params = best_rule_for(sql, "s.amount < 0 AND NOT s.is_reversal")
    # Daily cap per user, action type and day: what earlier chunks awarded that day counts too.
    sql.run(
        f"""INSERT INTO score_award (txn_id, user_id, rule_id, rule_version, action_type,
                                     booking_date, amount, currency, eur_amount, estimated, base,
                                     matched_on)
            WITH raw AS (
                SELECT s.txn_id, s.user_id, r.id AS rule_id, r.version AS rule_version,
                       r.action_type, s.action_no, s.booking_date, s.amount, s.currency,
                       ROUND(ABS(s.amount) * fx.eur_per_unit, 2) AS eur_amount,
                       {ESTIMATED_GRAMS} AS estimated,
                       r.daily_cap_grams AS daily_cap, s.matched_on
                FROM ({best}) s
                JOIN {RULES} r ON r.id = s.rule_id
                JOIN {RATES} fx ON fx.currency = s.currency
            ), prior AS (
                SELECT g.user_id, g.action_type, g.booking_date, SUM(g.base_grams) AS grams
                FROM {GREEN_ACTIONS} g
                WHERE g.user_id BETWEEN %(lo)s AND %(hi)s AND g.base_grams > 0
                  AND g.reversed_at IS NULL
                  AND g.booking_date IN (SELECT DISTINCT booking_date FROM score_stage)
                GROUP BY g.user_id, g.action_type, g.booking_date
            )
            SELECT a.txn_id, a.user_id, a.rule_id, a.rule_version, a.action_type, a.booking_date,
                   a.amount, a.currency, a.eur_amount, a.estimated,
                   {greatest}(0, {least}(
                       a.estimated,
                       a.daily_cap - COALESCE(prior.grams, 0)
                       - (SUM(a.estimated) OVER (
                              PARTITION BY a.user_id, a.action_no, a.booking_date
                              ORDER BY a.txn_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                          ) - a.estimated)
                   )), a.matched_on
            FROM raw a
            LEFT JOIN prior ON prior.user_id = a.user_id AND prior.action_type = a.action_type
                   AND prior.booking_date = a.booking_date""",
        {**p, **best_params},
    )


def actions_and_drops_write(sql: ChunkSql, p: dict, now: datetime, result: ChunkResult) -> None:
    """One drop per user and action type, then every award as a green action pointing at it."""
    zones = [
        row[0]
        for row in sql.rows(
            f"""SELECT DISTINCT COALESCE(pr.time_zone, %(tz)s) FROM score_award a
               LEFT JOIN {PROFILES} pr ON pr.user_id = a.user_id""",
            {"tz": DEFAULT_TZ},
        )
    ]
    sql.temp("score_tz", "tz VARCHAR(64) PRIMARY KEY, ripe_at TIMESTAMP, expires_at TIMESTAMP")
    tz_rows = []
    for zone in zones:
        ripe = ripe_time(now, zone)
        tz_rows.append((zone, _db_datetime(sql, ripe), _db_datetime(sql, ripe + COLLECT_WINDOW)))
    sql.cursor.executemany(
        "INSERT INTO score_tz (tz, ripe_at, expires_at) VALUES (%s, %s, %s)", tz_rows
    )
    p = {**p, "tz": DEFAULT_TZ}
    sql.run(
        f"""INSERT INTO {DROPS} (user_id, action_type, grams, remaining, status, ripe_at,
                                          expires_at, chunk_id, created_at)
           SELECT a.user_id, a.action_type, SUM(a.base + a.campaign_grams),
                  SUM(a.base + a.campaign_grams), 'open', z.ripe_at, z.expires_at,
                  %(chunk)s, %(now)s
           FROM score_award a
           LEFT JOIN {PROFILES} pr ON pr.user_id = a.user_id
           JOIN score_tz z ON z.tz = COALESCE(pr.time_zone, %(tz)s)
           WHERE a.base + a.campaign_grams > 0
           GROUP BY a.user_id, a.action_type, z.ripe_at, z.expires_at""",
        p,
    )
    try:
        # A plain INSERT: the one-live-action-per-transaction index refuses a transaction that
        # already has one (queued as "new" twice), whose drop would hold grams no action
        # explains. The chunk is rolled back whole rather than award them.
        result.green_actions = sql.run(
            f"""INSERT INTO {GREEN_ACTIONS} (transaction_id, user_id, rule_id, rule_version,
                       campaign_id, action_type, booking_date, amount, currency, eur_amount,
                       estimated_grams, base_grams, campaign_grams, grams, drop_id, chunk_id,
                       created_at, matched_on)
               SELECT a.txn_id, a.user_id, a.rule_id, a.rule_version, a.campaign_id,
                      a.action_type, a.booking_date, a.amount, a.currency, a.eur_amount,
                      a.estimated, a.base, a.campaign_grams, a.base + a.campaign_grams, d.id,
                      %(chunk)s, %(now)s, a.matched_on
               FROM score_award a
               LEFT JOIN {DROPS} d ON d.chunk_id = %(chunk)s AND d.user_id = a.user_id
                    AND d.action_type = a.action_type AND a.base + a.campaign_grams > 0""",
            p,
        )
    except IntegrityError as exc:
        raise ScoringIntegrityError(f"chunk {p['chunk']}: a transaction is already scored") from exc


def awards_preview(sql: ChunkSql) -> list[dict]:
    rows = sql.rows(
        f"""SELECT a.txn_id, a.user_id, a.action_type, r.code, a.estimated, a.base,
                  a.campaign_grams, a.base + a.campaign_grams
           FROM score_award a LEFT JOIN {RULES} r ON r.id = a.rule_id
           ORDER BY a.user_id, a.txn_id"""
    )
    keys = [
        "transaction",
        "user",
        "action_type",
        "rule",
        "estimated",
        "capped",
        "campaign",
        "grams",
    ]
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _db_datetime(sql: ChunkSql, value: datetime):
    """Temp-table timestamps are naive UTC on both databases."""
    return value.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
