"""Score one chunk of users in one database transaction, with a fixed number of SQL statements.

The steps, each one set-based statement over a temporary table of the chunk's rows:

1. claim: the chunk's rows leave the scoring queue by ``DELETE … RETURNING`` (its row locks keep
   two workers on overlapping users from scoring a transaction twice); removed and re-scored
   transactions have their old action reversed, booked ones without a live action go on;
2. match: every rule matcher that fits (MCC, merchant, merchant id, category, regex);
3. best: the highest-priority valid rule per transaction;
4. estimate: grams from the rule's formula, in euros through ``forest_currencyrate``;
5. cap: the per-user daily cap per action type, counting what earlier chunks awarded;
6. campaigns: sponsor bonuses, granted from each campaign's budget under its row lock;
7. drops, green actions, ledger ``earn`` entries and cached balances;
8. claw-backs: refunds and reversals at a scored merchant.

Nothing here loops over transactions in Python; the chunk either commits whole or not at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from time import perf_counter
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from forest.models import ScoringChunk
from forest.scoring.sql import Dialect, adapt_params, current_dialect

logger = logging.getLogger(__name__)

RIPE_HOUR = 7  # drops ripen at 07:00 local time, the morning after scoring (T+1)
COLLECT_WINDOW = timedelta(hours=72)
REFUND_LOOKBACK_DAYS = 90  # a refund claws back what the same rule awarded in this window
DORMANT_DAYS = 30
NEW_USER_DAYS = 30
DEFAULT_TZ = "Europe/Amsterdam"


@dataclass
class ChunkResult:
    transactions_scored: int = 0
    green_actions: int = 0
    grams_awarded: int = 0
    reversals: int = 0
    skipped: int = 0
    skipped_examples: list = field(default_factory=list)
    awards: list = field(default_factory=list)  # filled only on dry runs


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


# The benchmark sets this to a dict to see where a chunk's time goes.
STATEMENT_TIMINGS: dict[str, float] | None = None


class _Sql:
    """Runs the chunk's statements on one cursor, with the dialect's spelling."""

    def __init__(self, cursor, dialect: Dialect):
        self.cursor = cursor
        self.d = dialect

    def run(self, sql: str, params: dict | None = None) -> int:
        self._execute(sql, params)
        return self.cursor.rowcount

    def rows(self, sql: str, params: dict | None = None) -> list[tuple]:
        self._execute(sql, params)
        return self.cursor.fetchall()

    def _execute(self, sql: str, params: dict | None) -> None:
        started = perf_counter()
        self.cursor.execute(sql, adapt_params(params or {}))
        if STATEMENT_TIMINGS is not None:
            key = " ".join(sql.split())[:70]
            STATEMENT_TIMINGS[key] = STATEMENT_TIMINGS.get(key, 0.0) + perf_counter() - started

    def temp(self, name: str, columns: str) -> None:
        for statement in self.d.temp_table(name, columns):
            self._execute(statement, None)


# A rule's estimate for stage row ``s`` joined to rule ``r`` and exchange rate ``fx``: the three
# formulas of PRODUCT.md section 3, on the absolute euro amount (as forest.catalogue computes it).
ESTIMATED_GRAMS = """CASE
    WHEN NOT r.awards_energy THEN 0
    WHEN r.estimate_kind = 'fixed' THEN r.fixed_grams
    WHEN r.estimate_kind = 'per_currency_unit' THEN CAST(ROUND(
        ABS(s.amount) * fx.eur_per_unit * r.grams_per_unit * r.substitution_share) AS INTEGER)
    ELSE CAST(ROUND(
        ABS(s.amount) * fx.eur_per_unit / r.fare_per_km * r.grams_per_km * r.substitution_share
    ) AS INTEGER)
END"""

TEMP_TABLES = [
    "score_claimed",
    "score_stage",
    "score_best",
    "score_award",
    "score_tz",
    "score_cmatch",
    "score_campaign",
    "score_refund",
    "score_removed",
]


def score_chunk(
    chunk_id: int, *, dry_run: bool = False, fail_after_step: str | None = None
) -> ChunkResult | None:
    """Score the chunk, or do nothing if another worker already did. Idempotent.

    ``dry_run`` computes everything and rolls back, returning the awards it would make.
    ``fail_after_step`` raises after that step: the tests' stand-in for a killed worker.
    """
    dialect = current_dialect()
    result = ChunkResult()
    try:
        with transaction.atomic():
            # The row lock serialises workers on this chunk; the status makes reruns no-ops.
            chunk = ScoringChunk.objects.select_for_update().select_related("run").get(pk=chunk_id)
            if chunk.status == ScoringChunk.Status.DONE:
                return None
            now = timezone.now()
            with connection.cursor() as cursor:
                if dialect.postgres:
                    # The default 4.0 assumes spinning disks and makes the planner hash-join the
                    # whole transactions table for a chunk that needs 2 % of it; on SSDs, index
                    # lookups are the cheap path. Scoped to this transaction only.
                    cursor.execute("SET LOCAL random_page_cost = 1.1")
                    # A chunk lost in a server crash after its commit comes back whole: its
                    # queue rows come back with it and the next run scores them again. So the
                    # commit need not wait for the WAL flush (nothing is half-kept either way,
                    # and any later synchronous commit, a collect say, flushes this one first).
                    cursor.execute("SET LOCAL synchronous_commit = off")
                sql = _Sql(cursor, dialect)
                _score(sql, chunk=chunk, now=now, result=result, fail_after_step=fail_after_step)
                if dry_run:
                    result.awards = _awards_preview(sql)
                for name in TEMP_TABLES:
                    for statement in dialect.drop_temp(name):
                        cursor.execute(statement)
            if dry_run:
                raise _DryRunRollback
            chunk.status = ScoringChunk.Status.DONE
            chunk.attempts += 1
            chunk.transactions_scored = result.transactions_scored
            chunk.green_actions = result.green_actions
            chunk.grams_awarded = result.grams_awarded
            chunk.reversals = result.reversals
            chunk.skipped = result.skipped
            chunk.skipped_examples = result.skipped_examples
            chunk.finished_at = now
            chunk.save(
                update_fields=[
                    "status", "attempts", "transactions_scored", "green_actions",
                    "grams_awarded", "reversals", "skipped", "skipped_examples", "finished_at",
                ]
            )  # fmt: skip
    except _DryRunRollback:
        pass
    return result


class _DryRunRollback(Exception):
    pass


class ScoringIntegrityError(RuntimeError):
    """The chunk would award grams twice; it is rolled back and the operators are told."""


class SimulatedCrash(RuntimeError):
    """Raised by ``fail_after_step`` in tests: a worker dying between two statements."""


def _score(sql: _Sql, *, chunk: ScoringChunk, now: datetime, result: ChunkResult, fail_after_step):
    def checkpoint(step: str) -> None:
        if fail_after_step == step:
            raise SimulatedCrash(step)

    p = {"lo": chunk.user_id_from, "hi": chunk.user_id_to, "now": now, "chunk": chunk.id}
    run = chunk.run
    extra = ""
    if run.since:
        extra += " AND COALESCE(t.booking_date, t.transaction_date) >= %(since)s"
        p["since"] = run.since
    if run.only_user_id:
        extra += " AND q.user_id = %(only_user)s"
        p["only_user"] = run.only_user_id

    _claim(sql, p, extra)
    checkpoint("claim")
    # Reversals first: a re-scored transaction's old action must be gone before its new one.
    result.reversals = _reverse(sql, p)
    checkpoint("reversals")
    result.transactions_scored = _stage(sql)
    if result.transactions_scored:
        _classify(sql, p)
        checkpoint("classify")
        _skip_unknown_currency(sql, p, result)
        _estimate_and_cap(sql, p)
        checkpoint("cap")
        _apply_campaigns(sql, p, now)
        checkpoint("campaigns")
        _write_awards(sql, p, now, result)
        checkpoint("awards")
        if sql.rows("SELECT COUNT(*) FROM score_stage WHERE amount > 0 OR is_reversal")[0][0]:
            _refunds(sql, p)


STAGE_COLUMNS = (
    "txn_id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, amount NUMERIC NOT NULL, "
    "currency VARCHAR(3) NOT NULL, booking_date DATE NOT NULL, mcc VARCHAR(4) NOT NULL, "
    "merchant_norm VARCHAR(200) NOT NULL, merchant_id VARCHAR(128) NOT NULL, "
    "category VARCHAR(128) NOT NULL, description TEXT NOT NULL, is_reversal BOOLEAN NOT NULL"
)
STAGE_SELECT = (
    "t.id AS txn_id, t.user_id, t.amount, t.currency, "
    "COALESCE(t.booking_date, t.transaction_date) AS booking_date, t.mcc, t.merchant_norm, "
    "t.merchant_id, t.provider_category AS category, t.description, t.is_reversal"
)
# Newly booked rows go straight to the stage; the rest may have an action to reverse first.
NEW_AND_SCORABLE = (
    "q.reason = 'new' AND t.status = 'booked' AND t.removed_at IS NULL "
    "AND COALESCE(t.booking_date, t.transaction_date) IS NOT NULL"
)
NOT_NEW = "(q.reason <> 'new' OR t.removed_at IS NOT NULL)"


def _claim(sql: _Sql, p: dict, extra: str) -> None:
    """Take this chunk's rows off the scoring queue (active feeds only; others wait)."""
    sql.temp("score_stage", STAGE_COLUMNS)
    sql.temp(
        "score_claimed",
        "txn_id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, status VARCHAR(8) NOT NULL, "
        "removed BOOLEAN NOT NULL",
    )
    where = (
        "q.user_id BETWEEN %(lo)s AND %(hi)s AND t.id = q.transaction_id "
        "AND f.id = t.feed_id AND f.status = 'active' AND f.user_id BETWEEN %(lo)s AND %(hi)s"
        + extra
    )
    if sql.d.postgres:
        # DELETE ... RETURNING takes the row locks: a concurrent claim of the same rows waits,
        # then finds them gone. A rollback puts them back.
        sql.run(
            f"""WITH claimed AS (
                    DELETE FROM forest_scoringqueue q
                    USING accounts_transaction t, accounts_linkedfeed f
                    WHERE {where}
                    RETURNING {STAGE_SELECT}, q.reason, t.status,
                              t.removed_at IS NOT NULL AS removed
                ), staged AS (
                    INSERT INTO score_stage
                    SELECT txn_id, user_id, amount, currency, booking_date, mcc, merchant_norm,
                           merchant_id, category, description, is_reversal
                    FROM claimed
                    WHERE reason = 'new' AND status = 'booked' AND NOT removed
                      AND booking_date IS NOT NULL
                )
                INSERT INTO score_claimed
                SELECT txn_id, user_id, status, removed FROM claimed
                WHERE reason <> 'new' OR removed""",
            p,
        )
    else:
        # SQLite runs one writer at a time (BEGIN IMMEDIATE), so select-then-delete is safe.
        tables = "forest_scoringqueue q, accounts_transaction t, accounts_linkedfeed f"
        sql.run(
            f"INSERT INTO score_stage SELECT {STAGE_SELECT} FROM {tables} "
            f"WHERE {where} AND {NEW_AND_SCORABLE}",
            p,
        )
        sql.run(
            f"INSERT INTO score_claimed SELECT t.id, t.user_id, t.status, "
            f"t.removed_at IS NOT NULL FROM {tables} WHERE {where} AND {NOT_NEW}",
            p,
        )
        sql.run(
            f"DELETE FROM forest_scoringqueue WHERE transaction_id IN "
            f"(SELECT q.transaction_id FROM {tables} WHERE {where})",
            p,
        )


def _stage(sql: _Sql) -> int:
    """Add the changed, re-scored rows whose old action is reversed by now; count the stage."""
    sql.run(
        f"""INSERT INTO score_stage
            SELECT {STAGE_SELECT} FROM score_claimed c
            JOIN accounts_transaction t ON t.id = c.txn_id
            WHERE c.status = 'booked' AND NOT c.removed
              AND COALESCE(t.booking_date, t.transaction_date) IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM forest_greenaction g
                              WHERE g.transaction_id = c.txn_id AND g.reversed_at IS NULL)"""
    )
    return sql.rows("SELECT COUNT(*) FROM score_stage")[0][0]


def _classify(sql: _Sql, p: dict) -> None:
    """Every matcher that fits, then the highest-priority valid rule, in one statement."""
    # Only the kinds of matcher that some active rule uses: each is a join over the chunk.
    kinds = {row[0] for row in sql.rows("SELECT DISTINCT kind FROM forest_rulematcher")}
    joins = [
        f"""SELECT s.txn_id, m.rule_id FROM score_stage s
            JOIN forest_rulematcher m ON m.kind = '{kind}' AND m.value = s.{column}
            WHERE s.{column} <> ''"""
        for kind, column in (
            ("mcc", "mcc"),
            ("merchant", "merchant_norm"),
            ("merchant_id", "merchant_id"),
            ("category", "category"),
        )
        if kind in kinds
    ]
    # A never-true branch keeps the statement valid when no rule has an equality matcher.
    equality = " UNION ALL ".join(joins) or "SELECT txn_id, NULL FROM score_stage WHERE 1=0"
    regex = sql.d.regex_match("s.description", "r.match_description_regex")
    sql.temp("score_best", "txn_id BIGINT PRIMARY KEY, rule_id BIGINT NOT NULL")
    # Regexes are the costly matchers: a regex rule is tried only where no equality matcher
    # of a higher-priority rule already decided the transaction (CASE fixes that order).
    sql.run(
        f"""INSERT INTO score_best (txn_id, rule_id)
            WITH equal AS (
                {equality}
            ), decided AS (
                SELECT e.txn_id, MAX(r2.priority) AS priority FROM equal e
                JOIN forest_greenactionrule r2 ON r2.id = e.rule_id
                GROUP BY e.txn_id
            ), matched AS (
                SELECT txn_id, rule_id FROM equal
                UNION ALL
                SELECT s.txn_id, r.id FROM score_stage s
                JOIN forest_greenactionrule r ON r.match_description_regex <> '' AND r.is_active
                LEFT JOIN decided d ON d.txn_id = s.txn_id
                WHERE s.description <> ''
                  AND CASE WHEN d.priority > r.priority THEN 0
                           WHEN {regex} THEN 1 ELSE 0 END = 1
            )
            SELECT txn_id, rule_id FROM (
                SELECT m.txn_id, m.rule_id,
                       ROW_NUMBER() OVER (PARTITION BY m.txn_id ORDER BY r.priority DESC, r.id)
                           AS rn
                FROM matched m
                JOIN forest_greenactionrule r ON r.id = m.rule_id
                JOIN score_stage s ON s.txn_id = m.txn_id
                WHERE r.is_active
                  AND (r.valid_from IS NULL OR r.valid_from <= s.booking_date)
                  AND (r.valid_to IS NULL OR s.booking_date < r.valid_to)
            ) ranked WHERE rn = 1"""
    )


def _skip_unknown_currency(sql: _Sql, p: dict, result: ChunkResult) -> None:
    """Transactions in a currency without a rate are reported and left for a later night."""
    rows = sql.rows(
        """SELECT s.txn_id, s.currency FROM score_stage s
           LEFT JOIN forest_currencyrate fx ON fx.currency = s.currency
           WHERE fx.currency IS NULL ORDER BY s.txn_id"""
    )
    if not rows:
        return
    result.skipped = len(rows)
    result.skipped_examples = [
        {"transaction": txn_id, "reason": f"no exchange rate for {currency}"}
        for txn_id, currency in rows[:20]
    ]
    logger.warning("scoring skipped %d transactions with unknown currencies", len(rows))
    sql.run(
        """INSERT INTO forest_scoringqueue (transaction_id, user_id, reason, queued_at)
           SELECT s.txn_id, s.user_id, 'new', %(now)s FROM score_stage s
           LEFT JOIN forest_currencyrate fx ON fx.currency = s.currency
           WHERE fx.currency IS NULL""",
        p,
    )
    sql.run(
        "DELETE FROM score_stage WHERE currency NOT IN (SELECT currency FROM forest_currencyrate)"
    )


def _estimate_and_cap(sql: _Sql, p: dict) -> None:
    """Grams from each rule's formula, then the daily cap, in one statement (money out only;
    refunds and reversals are handled by _refunds)."""
    least, greatest = sql.d.least, sql.d.greatest
    sql.temp(
        "score_award",
        "txn_id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, rule_id BIGINT, rule_version INTEGER, "
        "action_type VARCHAR(32) NOT NULL, booking_date DATE NOT NULL, amount NUMERIC NOT NULL, "
        "currency VARCHAR(3) NOT NULL, eur_amount NUMERIC NOT NULL, estimated INTEGER NOT NULL, "
        "base INTEGER NOT NULL, campaign_id BIGINT, campaign_grams INTEGER NOT NULL DEFAULT 0",
    )
    # Daily cap per user, action type and day: what earlier chunks awarded that day counts too.
    sql.run(
        f"""INSERT INTO score_award (txn_id, user_id, rule_id, rule_version, action_type,
                                     booking_date, amount, currency, eur_amount, estimated, base)
            WITH raw AS (
                SELECT s.txn_id, s.user_id, r.id AS rule_id, r.version AS rule_version,
                       r.action_type, s.booking_date, s.amount, s.currency,
                       ROUND(ABS(s.amount) * fx.eur_per_unit, 2) AS eur_amount,
                       {ESTIMATED_GRAMS} AS estimated,
                       r.daily_cap_grams AS daily_cap
                FROM score_best b
                JOIN score_stage s ON s.txn_id = b.txn_id
                JOIN forest_greenactionrule r ON r.id = b.rule_id
                JOIN forest_currencyrate fx ON fx.currency = s.currency
                WHERE s.amount < 0 AND NOT s.is_reversal
            ), prior AS (
                SELECT g.user_id, g.action_type, g.booking_date, SUM(g.base_grams) AS grams
                FROM forest_greenaction g
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
                              PARTITION BY a.user_id, a.action_type, a.booking_date
                              ORDER BY a.txn_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                          ) - a.estimated)
                   ))
            FROM raw a
            LEFT JOIN prior ON prior.user_id = a.user_id AND prior.action_type = a.action_type
                   AND prior.booking_date = a.booking_date""",
        p,
    )


def _apply_campaigns(sql: _Sql, p: dict, now: datetime) -> None:
    """Sponsor bonuses: matched per transaction, then granted from each budget under a lock."""
    from partners.models import Campaign

    dates = sql.rows("SELECT MIN(booking_date), MAX(booking_date) FROM score_stage")[0]
    if dates[0] is None:
        return
    campaigns = list(
        Campaign.objects.filter(
            is_active=True, starts_on__lte=dates[1], ends_on__gte=dates[0],
            spent_grams__lt=F("budget_grams"),
        ).order_by("id")
    )  # fmt: skip
    if not campaigns:
        return
    sql.temp(
        "score_cmatch", "campaign_id BIGINT NOT NULL, kind VARCHAR(8) NOT NULL, value TEXT NOT NULL"
    )
    matchers = [
        (c.id, kind, value)
        for c in campaigns
        for kind, values in (
            ("merchant", c.match_merchants),
            ("mcc", c.match_mccs),
            ("regex", [c.match_description_regex] if c.match_description_regex else []),
        )
        for value in values
    ]
    sql.cursor.executemany(
        "INSERT INTO score_cmatch (campaign_id, kind, value) VALUES (%s, %s, %s)", matchers
    )
    regex = sql.d.regex_match("s.description", "m.value")
    p = {**p, "new_since": now - timedelta(days=NEW_USER_DAYS), "dormant_since": None}
    p["dormant_since"] = (now - timedelta(days=DORMANT_DAYS)).date()
    sql.temp(
        "score_campaign",
        "txn_id BIGINT PRIMARY KEY, campaign_id BIGINT NOT NULL, requested INTEGER NOT NULL",
    )
    # One campaign per transaction (the most generous), for money out in the window and segment.
    sql.run(
        f"""INSERT INTO score_campaign (txn_id, campaign_id, requested)
            SELECT txn_id, campaign_id, requested FROM (
                SELECT s.txn_id, c.id AS campaign_id,
                       CAST(c.bonus_grams + ROUND(COALESCE(a.base, 0) * (c.multiplier - 1))
                            AS INTEGER) AS requested,
                       ROW_NUMBER() OVER (
                           PARTITION BY s.txn_id
                           ORDER BY c.bonus_grams + COALESCE(a.base, 0) * (c.multiplier - 1) DESC,
                                    c.id
                       ) AS rn
                FROM score_stage s
                JOIN score_cmatch m ON (
                       (m.kind = 'merchant' AND m.value = s.merchant_norm)
                    OR (m.kind = 'mcc' AND m.value = s.mcc)
                    OR (m.kind = 'regex' AND {regex}))
                JOIN partners_campaign c ON c.id = m.campaign_id
                LEFT JOIN score_award a ON a.txn_id = s.txn_id
                JOIN accounts_user u ON u.id = s.user_id
                LEFT JOIN accounts_profile pr ON pr.user_id = s.user_id
                WHERE s.amount < 0 AND NOT s.is_reversal
                  AND s.booking_date BETWEEN c.starts_on AND c.ends_on
                  AND (a.txn_id IS NULL OR a.action_type <> 'negative_signal')
                  AND (c.segment = 'all'
                       OR (c.segment = 'new_users' AND u.date_joined >= %(new_since)s)
                       OR (c.segment = 'city'
                           AND LOWER(COALESCE(pr.city, '')) = LOWER(c.segment_city))
                       OR (c.segment = 'dormant' AND NOT EXISTS (
                              SELECT 1 FROM forest_greenaction g
                              WHERE g.user_id = s.user_id AND g.grams > 0
                                AND g.booking_date >= %(dormant_since)s)))
            ) ranked WHERE rn = 1 AND requested > 0""",
        p,
    )
    requests = sql.rows(
        "SELECT campaign_id, SUM(requested) FROM score_campaign "
        "GROUP BY campaign_id ORDER BY campaign_id"
    )
    lock = " FOR UPDATE" if sql.d.postgres else ""
    for campaign_id, requested in requests:
        # Locked in id order (no deadlocks); concurrent chunks queue here, so the budget holds.
        left = sql.rows(
            f"SELECT budget_grams - spent_grams FROM partners_campaign WHERE id = %(id)s{lock}",
            {"id": campaign_id},
        )[0][0]
        granted = max(0, min(int(requested), int(left)))
        if granted:
            sql.run(
                "UPDATE partners_campaign SET spent_grams = spent_grams + %(g)s WHERE id = %(id)s",
                {"g": granted, "id": campaign_id},
            )
        # Hand the granted grams out in transaction order; the last ones may get less or none.
        sql.run(
            f"""UPDATE score_campaign SET requested = x.granted
                FROM (SELECT txn_id,
                             {sql.d.greatest}(0, {sql.d.least}(requested, %(granted)s - (
                                 SUM(requested) OVER (
                                     ORDER BY txn_id
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                                 ) - requested))) AS granted
                      FROM score_campaign WHERE campaign_id = %(id)s) x
                WHERE x.txn_id = score_campaign.txn_id""",
            {"granted": granted, "id": campaign_id},
        )
    # Purchases that only a campaign recognises become sponsor-product actions.
    sql.run(
        """INSERT INTO score_award (txn_id, user_id, rule_id, rule_version, action_type,
                                    booking_date, amount, currency, eur_amount, estimated, base)
           SELECT s.txn_id, s.user_id, NULL, NULL, 'sponsor_product', s.booking_date, s.amount,
                  s.currency, ROUND(ABS(s.amount) * fx.eur_per_unit, 2), 0, 0
           FROM score_campaign c
           JOIN score_stage s ON s.txn_id = c.txn_id
           JOIN forest_currencyrate fx ON fx.currency = s.currency
           WHERE c.requested > 0
             AND NOT EXISTS (SELECT 1 FROM score_award a WHERE a.txn_id = c.txn_id)"""
    )
    sql.run(
        """UPDATE score_award SET
               campaign_id = (SELECT c.campaign_id FROM score_campaign c
                              WHERE c.txn_id = score_award.txn_id AND c.requested > 0),
               campaign_grams = COALESCE((SELECT c.requested FROM score_campaign c
                                          WHERE c.txn_id = score_award.txn_id), 0)
           WHERE txn_id IN (SELECT txn_id FROM score_campaign)"""
    )


def _write_awards(sql: _Sql, p: dict, now: datetime, result: ChunkResult) -> None:
    zones = [
        row[0]
        for row in sql.rows(
            """SELECT DISTINCT COALESCE(pr.time_zone, %(tz)s) FROM score_award a
               LEFT JOIN accounts_profile pr ON pr.user_id = a.user_id""",
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
        """INSERT INTO forest_energydrop (user_id, action_type, grams, remaining, status, ripe_at,
                                          expires_at, chunk_id, created_at)
           SELECT a.user_id, a.action_type, SUM(a.base + a.campaign_grams),
                  SUM(a.base + a.campaign_grams), 'open', z.ripe_at, z.expires_at,
                  %(chunk)s, %(now)s
           FROM score_award a
           LEFT JOIN accounts_profile pr ON pr.user_id = a.user_id
           JOIN score_tz z ON z.tz = COALESCE(pr.time_zone, %(tz)s)
           WHERE a.base + a.campaign_grams > 0
           GROUP BY a.user_id, a.action_type, z.ripe_at, z.expires_at""",
        p,
    )
    expected = sql.rows("SELECT COUNT(*) FROM score_award")[0][0]
    result.green_actions = sql.run(
        """INSERT INTO forest_greenaction (transaction_id, user_id, rule_id, rule_version,
                   campaign_id, action_type, booking_date, amount, currency, eur_amount,
                   estimated_grams, base_grams, campaign_grams, grams, drop_id, chunk_id,
                   created_at)
           SELECT a.txn_id, a.user_id, a.rule_id, a.rule_version, a.campaign_id, a.action_type,
                  a.booking_date, a.amount, a.currency, a.eur_amount, a.estimated, a.base,
                  a.campaign_grams, a.base + a.campaign_grams, d.id, %(chunk)s, %(now)s
           FROM score_award a
           LEFT JOIN forest_energydrop d ON d.chunk_id = %(chunk)s AND d.user_id = a.user_id
                AND d.action_type = a.action_type AND a.base + a.campaign_grams > 0
           ON CONFLICT (transaction_id) WHERE reversed_at IS NULL DO NOTHING""",
        p,
    )
    if result.green_actions != expected:
        # A transaction already had a live action (queued as "new" twice): its drop would
        # hold grams no action explains. Refuse the chunk rather than award them.
        raise ScoringIntegrityError(
            f"chunk {p['chunk']}: {expected - result.green_actions} transactions already scored"
        )
    sql.run(
        """INSERT INTO forest_energyledgerentry (user_id, account, kind, grams, idempotency_key,
                                                 drop_id, memo, created_at)
           SELECT d.user_id, 'drops', 'earn', d.grams, 'earn:drop:' || d.id, d.id, d.action_type,
                  %(now)s
           FROM forest_energydrop d WHERE d.chunk_id = %(chunk)s""",
        p,
    )
    _add_to_balances(
        sql,
        "SELECT d.user_id, 'drops', SUM(d.grams) FROM forest_energydrop d "
        "WHERE d.chunk_id = %(chunk)s GROUP BY d.user_id",
        p,
    )
    result.grams_awarded = int(
        sql.rows("SELECT COALESCE(SUM(base + campaign_grams), 0) FROM score_award")[0][0]
    )


def _refunds(sql: _Sql, p: dict) -> None:
    """A credit at a merchant a rule recognises claws back what that rule awarded recently.

    Never more than the user earned there in the last 90 days, net of earlier claw-backs. The
    claw-back leaves the spendable balance, which may go negative: future energy pays it off.
    """
    least, greatest = sql.d.least, sql.d.greatest
    p = {**p}
    sql.temp(
        "score_refund",
        "txn_id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, rule_id BIGINT NOT NULL, "
        "rule_version INTEGER, action_type VARCHAR(32) NOT NULL, booking_date DATE NOT NULL, "
        "amount NUMERIC NOT NULL, currency VARCHAR(3) NOT NULL, eur_amount NUMERIC NOT NULL, "
        "estimated INTEGER NOT NULL, clawback INTEGER NOT NULL",
    )
    lookback = f"{REFUND_LOOKBACK_DAYS}"
    date_floor = (
        f"s.booking_date - INTERVAL '{lookback} days'"
        if sql.d.postgres
        else f"date(s.booking_date, '-{lookback} days')"
    )
    sql.run(
        f"""INSERT INTO score_refund
            SELECT x.txn_id, x.user_id, x.rule_id, x.version, x.action_type, x.booking_date,
                   x.amount, x.currency, x.eur_amount, x.estimated,
                   {greatest}(0, {least}(x.estimated, x.available - (SUM(x.estimated) OVER (
                       PARTITION BY x.user_id, x.rule_id ORDER BY x.txn_id
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - x.estimated)))
            FROM (
                SELECT s.txn_id, s.user_id, r.id AS rule_id, r.version, r.action_type,
                       s.booking_date, s.amount, s.currency,
                       ROUND(ABS(s.amount) * fx.eur_per_unit, 2) AS eur_amount,
                       {ESTIMATED_GRAMS} AS estimated,
                       COALESCE((SELECT SUM(g.grams) FROM forest_greenaction g
                                 WHERE g.user_id = s.user_id AND g.rule_id = r.id
                                   AND g.reversed_at IS NULL
                                   AND g.booking_date >= {date_floor}), 0) AS available
                FROM score_best b
                JOIN score_stage s ON s.txn_id = b.txn_id
                JOIN forest_greenactionrule r ON r.id = b.rule_id
                JOIN forest_currencyrate fx ON fx.currency = s.currency
                WHERE (s.amount > 0 OR s.is_reversal) AND r.awards_energy
            ) x"""
    )
    sql.run(
        """INSERT INTO forest_greenaction (transaction_id, user_id, rule_id, rule_version,
                   campaign_id, action_type, booking_date, amount, currency, eur_amount,
                   estimated_grams, base_grams, campaign_grams, grams, drop_id, chunk_id,
                   created_at)
           SELECT f.txn_id, f.user_id, f.rule_id, f.rule_version, NULL, f.action_type,
                  f.booking_date, f.amount, f.currency, f.eur_amount, -f.estimated, -f.clawback,
                  0, -f.clawback, NULL, %(chunk)s, %(now)s
           FROM score_refund f WHERE f.clawback > 0
           ON CONFLICT (transaction_id) WHERE reversed_at IS NULL DO NOTHING""",
        p,
    )
    sql.run(
        """INSERT INTO forest_energyledgerentry (user_id, account, kind, grams, idempotency_key,
                                                 green_action_id, memo, created_at)
           SELECT g.user_id, 'balance', 'reversal', g.grams, 'refund:txn:' || g.transaction_id,
                  g.id, 'refund', %(now)s
           FROM forest_greenaction g JOIN score_refund f ON f.txn_id = g.transaction_id
           WHERE f.clawback > 0""",
        p,
    )
    _add_to_balances(
        sql,
        "SELECT user_id, 'balance', -SUM(clawback) FROM score_refund WHERE clawback > 0 "
        "GROUP BY user_id",
        p,
    )


def _reverse(sql: _Sql, p: dict) -> int:
    """Green actions whose transaction the bank removed (Plaid ``removed``, a replaced pending
    item), or that an operator asked to re-score, give their grams back: from the drop while it
    is open, else from the balance; nothing when the drop already expired uncollected."""
    if not sql.rows("SELECT COUNT(*) FROM score_claimed")[0][0]:
        return 0  # the common night: nothing but newly booked transactions
    sql.temp(
        "score_removed",
        "ga_id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, grams INTEGER NOT NULL, "
        "drop_id BIGINT, account VARCHAR(16) NOT NULL, reason VARCHAR(16) NOT NULL",
    )
    sql.run(
        """INSERT INTO score_removed (ga_id, user_id, grams, drop_id, account, reason)
           SELECT g.id, g.user_id, g.grams, g.drop_id,
                  CASE WHEN d.status = 'expired' THEN 'none'
                       WHEN d.status = 'open' THEN 'drops'
                       ELSE 'balance' END,
                  CASE WHEN c.removed THEN 'removed' ELSE 'rescored' END
           FROM score_claimed c
           JOIN forest_greenaction g ON g.transaction_id = c.txn_id AND g.reversed_at IS NULL
           LEFT JOIN forest_energydrop d ON d.id = g.drop_id
           WHERE c.removed OR g.rescore_requested_at IS NOT NULL"""
    )
    # A drop that cannot give back all its removed grams gives none: they come off the balance.
    sql.run(
        """UPDATE score_removed SET account = 'balance'
           WHERE account = 'drops' AND drop_id IN (
               SELECT r.drop_id FROM score_removed r
               JOIN forest_energydrop d ON d.id = r.drop_id
               WHERE r.account = 'drops'
               GROUP BY r.drop_id, d.remaining
               HAVING SUM(r.grams) > d.remaining)"""
    )
    count = sql.rows("SELECT COUNT(*) FROM score_removed")[0][0]
    if not count:
        return 0
    sql.run(
        """UPDATE forest_energydrop SET remaining = remaining - (
               SELECT SUM(r.grams) FROM score_removed r
               WHERE r.drop_id = forest_energydrop.id AND r.account = 'drops')
           WHERE id IN (SELECT drop_id FROM score_removed WHERE account = 'drops')"""
    )
    sql.run(
        """INSERT INTO forest_energyledgerentry (user_id, account, kind, grams, idempotency_key,
                                                 drop_id, green_action_id, memo, created_at)
           SELECT r.user_id, r.account, 'reversal', -r.grams, 'reversal:ga:' || r.ga_id,
                  r.drop_id, r.ga_id, r.reason, %(now)s
           FROM score_removed r WHERE r.account <> 'none' AND r.grams <> 0""",
        p,
    )
    _add_to_balances(
        sql,
        "SELECT user_id, account, -SUM(grams) FROM score_removed "
        "WHERE account <> 'none' AND grams <> 0 GROUP BY user_id, account",
        p,
    )
    sql.run(
        "UPDATE forest_greenaction SET reversed_at = %(now)s, reversal_reason = ("
        "SELECT r.reason FROM score_removed r WHERE r.ga_id = forest_greenaction.id) "
        "WHERE id IN (SELECT ga_id FROM score_removed)",
        p,
    )
    return count


def _add_to_balances(sql: _Sql, select: str, p: dict) -> None:
    """Add (user, account, grams) rows to the cached balances in one upsert.

    No read-modify-write: concurrent chunks add to the same row safely."""
    sql.run(sql.d.balance_upsert(f"SELECT * FROM ({select}) delta"), p)


def _awards_preview(sql: _Sql) -> list[dict]:
    rows = sql.rows(
        """SELECT a.txn_id, a.user_id, a.action_type, r.code, a.estimated, a.base,
                  a.campaign_grams, a.base + a.campaign_grams
           FROM score_award a LEFT JOIN forest_greenactionrule r ON r.id = a.rule_id
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


def _db_datetime(sql: _Sql, value: datetime):
    """Temp-table timestamps are naive UTC on both databases."""
    return value.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
