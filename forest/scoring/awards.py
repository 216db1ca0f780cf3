"""A chunk's awards: grams from the rules and the daily cap, then drops and green actions.

Steps 3 and 5 of ``forest.scoring.engine``; each one set-based statement over the chunk's
temp tables.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db import IntegrityError

from forest.models import EnergyLimits
from forest.scoring.classify import best_rule_for, estimated_grams
from forest.scoring.sql import DROPS, GREEN_ACTIONS, PROFILES, RATES, RULES, USERS, ChunkSql

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
    """Grams from each rule's formula, then three caps, in one statement (money out only;
    refunds and reversals are handled by _refunds).

    1. the rule's daily cap per user, action type and booking day;
    2. the per-user daily total cap over every action of a booking day (``EnergyLimits``);
    3. for a user scored for the first time: only their newest green booking day earns, and
       at most the first-night cap, so weeks of history earn one day's worth, not weeks.

    Each cap counts what earlier chunks awarded and fills in transaction order as a running
    sum of the step before: windows, so the statement stays set-based. The joins come first,
    so the windows need two sorts: (user, day, action type, transaction) for step 1, then
    within each (user, day) by transaction for steps 2 and 3 (an incremental sort of small
    groups). The estimate is kept as it was: the "why" shows it next to the energy granted.
    """
    least, greatest = sql.d.least, sql.d.greatest
    sql.temp(
        "score_award",
        "txn_id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, rule_id BIGINT, rule_version INTEGER, "
        "action_type VARCHAR(32) NOT NULL, booking_date DATE NOT NULL, amount NUMERIC NOT NULL, "
        "currency VARCHAR(3) NOT NULL, eur_amount NUMERIC NOT NULL, estimated INTEGER NOT NULL, "
        "base INTEGER NOT NULL, campaign_id BIGINT, campaign_grams INTEGER NOT NULL DEFAULT 0, "
        "matched_on VARCHAR(16) NOT NULL DEFAULT ''",
    )
    # The rule's columns come along from score_rulekey: no second join to the rules table,
    # whose row estimate after the matching's joins made the planner loop over it.
    best, best_params = best_rule_for(
        sql,
        "s.amount < 0 AND NOT s.is_reversal",
        columns="k.version AS rule_version, k.action_type, k.daily_cap_grams, k.awards_energy, "
        "k.estimate_kind, k.fixed_grams, k.grams_per_unit, k.fare_per_km, k.grams_per_km, "
        "k.substitution_share",
    )
    limits = EnergyLimits.current()
    caps = {
        "total_cap": _cap_or_unlimited(limits.daily_total_cap_grams),
        "first_cap": _cap_or_unlimited(limits.first_night_cap_grams),
    }
    before = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    if caps["first_cap"] >= caps["total_cap"]:
        # A newcomer has no earlier awards, so the day's total cap already keeps their day
        # within a first-night cap at least as large: no third running sum to work out.
        first_night_grams = "c.b2"
    else:
        first_night_grams = f"""{greatest}(0, {least}(
                            c.b2,
                            %(first_cap)s - (SUM(c.b2) OVER (
                                PARTITION BY c.user_id, c.booking_date
                                ORDER BY c.txn_id {before}
                            ) - c.b2)
                        ))"""
    # The chunk's users scored for the first time, as a small table probed by a hashed IN
    # (a join to it was planned as a loop over it per transaction).
    sql.temp("score_newcomer", "user_id BIGINT PRIMARY KEY")
    newcomers = 0
    if limits.first_night_cap_grams is not None:
        newcomers = sql.run(
            f"""INSERT INTO score_newcomer (user_id)
                SELECT u.user_id FROM (SELECT DISTINCT user_id FROM score_stage) u
                WHERE NOT EXISTS (SELECT 1 FROM {GREEN_ACTIONS} g WHERE g.user_id = u.user_id)"""
        )
    if newcomers:
        is_new = "CASE WHEN s.user_id IN (SELECT user_id FROM score_newcomer) THEN 1 ELSE 0 END"
        last_day = "MAX(CASE WHEN b.b1 > 0 THEN b.booking_date END) OVER (PARTITION BY b.user_id)"
        granted = f"""CASE WHEN c.is_new = 0 THEN c.b2
                        WHEN c.last_day IS NULL OR c.booking_date < c.last_day THEN 0
                        ELSE {first_night_grams}
                   END"""
    else:
        # An ordinary night: nobody new in the chunk, so no newest day to work out per user.
        is_new, last_day, granted = "0", "NULL", "c.b2"
    # The estimate is numeric arithmetic: worked out once per row below the windows, not in
    # each window expression that names it (OFFSET 0 keeps the planner from inlining it).
    fence = sql.d.fence
    sql.run(
        f"""INSERT INTO score_award (txn_id, user_id, rule_id, rule_version, action_type,
                                     booking_date, amount, currency, eur_amount, estimated, base,
                                     matched_on)
            WITH prior AS (
                -- An index-only scan of forest_ga_user_day_earned over the chunk's users.
                SELECT g.user_id, g.action_type, g.booking_date, SUM(g.base_grams) AS grams
                FROM {GREEN_ACTIONS} g
                WHERE g.user_id BETWEEN %(lo)s AND %(hi)s AND g.base_grams > 0
                  AND g.reversed_at IS NULL
                  AND g.booking_date BETWEEN %(first_day)s AND %(last_day)s
                GROUP BY g.user_id, g.action_type, g.booking_date
            ), prior_day AS (
                SELECT user_id, booking_date, SUM(grams) AS grams
                FROM prior GROUP BY user_id, booking_date
            ), raw AS (
                SELECT s.txn_id, s.user_id, s.rule_id, s.rule_version, s.action_type,
                       s.action_no, s.booking_date, s.amount, s.currency,
                       ROUND(ABS(s.amount) * fx.eur_per_unit, 2) AS eur_amount,
                       {estimated_grams("s")} AS estimated,
                       s.daily_cap_grams - COALESCE(prior.grams, 0) AS action_left,
                       %(total_cap)s - COALESCE(pd.grams, 0) AS day_left,
                       {is_new} AS is_new,
                       s.matched_on
                FROM ({best}) s
                JOIN {RATES} fx ON fx.currency = s.currency
                LEFT JOIN prior ON prior.user_id = s.user_id
                       AND prior.action_type = s.action_type
                       AND prior.booking_date = s.booking_date
                LEFT JOIN prior_day pd ON pd.user_id = s.user_id
                       AND pd.booking_date = s.booking_date{fence}
            ), per_action AS (
                SELECT a.*, {greatest}(0, {least}(
                           a.estimated,
                           a.action_left - (SUM(a.estimated) OVER (
                               PARTITION BY a.user_id, a.booking_date, a.action_no
                               ORDER BY a.txn_id {before}
                           ) - a.estimated)
                       )) AS b1
                FROM raw a
            ), per_day AS (
                SELECT b.*, {greatest}(0, {least}(
                           b.b1,
                           b.day_left - (SUM(b.b1) OVER (
                               PARTITION BY b.user_id, b.booking_date
                               ORDER BY b.txn_id {before}
                           ) - b.b1)
                       )) AS b2,
                       {last_day} AS last_day
                FROM per_action b
            )
            SELECT c.txn_id, c.user_id, c.rule_id, c.rule_version, c.action_type,
                   c.booking_date, c.amount, c.currency, c.eur_amount, c.estimated,
                   {granted},
                   c.matched_on
            FROM per_day c""",
        {**p, **best_params, **caps},
    )


#: Stands in for "no limit" in the cap arithmetic (fits INTEGER on both databases).
UNLIMITED = 2**31 - 1


def _cap_or_unlimited(value: int | None) -> int:
    return UNLIMITED if value is None else value


def actions_and_drops_write(sql: ChunkSql, p: dict, now: datetime, result: ChunkResult) -> None:
    """One drop per user and action type, then every award as a green action pointing at it."""
    # The time zones of the chunk's users, from their profiles by the chunk's user range (a
    # few hundred rows by index, not a join per award). The drops below join them with a LEFT
    # JOIN: an award of a user outside the range would leave ripe_at empty and fail the chunk
    # (NOT NULL) rather than lose its grams.
    zones = [
        row[0]
        for row in sql.rows(
            f"""SELECT DISTINCT COALESCE(pr.time_zone, %(tz)s) FROM {USERS} u
               LEFT JOIN {PROFILES} pr ON pr.user_id = u.id
               WHERE u.id BETWEEN %(lo)s AND %(hi)s""",
            {"tz": DEFAULT_TZ, "lo": p["lo"], "hi": p["hi"]},
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
           LEFT JOIN score_tz z ON z.tz = COALESCE(pr.time_zone, %(tz)s)
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
