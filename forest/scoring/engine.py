"""Score one chunk of users in one database transaction, with a fixed number of SQL statements.

The steps, each one set-based statement over a temporary table of the chunk's rows:

1. claim: the chunk's rows leave accounts' outbox of changed transactions by one
   ``DELETE … RETURNING`` (``accounts.services.outbox.outbox_claim``; its row locks keep
   two workers on overlapping users from scoring a transaction twice); removed, changed and
   re-scored transactions have their old action reversed (``clawbacks``), booked ones without a
   live action go on to the stage;
2. classify: the best rule per transaction through the rules' lookup tables (``classify``);
3. estimate and cap: grams from the rule's formula, in euros through ``forest_currencyrate``,
   then the per-user daily cap per action type, counting what earlier chunks awarded;
4. campaigns: sponsor bonuses requested, assuming the budgets have them (``campaigns``);
5. drops and green actions;
6. grants: the bonuses taken from the campaigns' budgets under their row locks, as late as
   possible, shrinking what step 5 wrote if a budget ran out meanwhile;
7. ledger ``earn`` entries and cached balances;
8. claw-backs: refunds and reversals at a scored merchant.

Nothing here loops over transactions in Python; the chunk either commits whole or not at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.services.outbox import outbox_claim, outbox_put_back
from core.sql import current_dialect
from forest.models import ScoringChunk
from forest.scoring.campaigns import campaign_grants, campaign_requests
from forest.scoring.classify import ESTIMATED_GRAMS, best_rule_for, rule_lookup_load
from forest.scoring.clawbacks import refunds_claw_back, removed_reverse
from forest.scoring.sql import (
    DROPS,
    FEEDS,
    GREEN_ACTIONS,
    LEDGER,
    PROFILES,
    RATES,
    RULES,
    TRANSACTIONS,
    ChunkSql,
)

logger = logging.getLogger(__name__)

RIPE_HOUR = 7  # drops ripen at 07:00 local time, the morning after scoring (T+1)
COLLECT_WINDOW = timedelta(hours=72)
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


TEMP_TABLES = [
    "score_claimed",
    "score_dropfix",
    "score_stage",
    "score_lookup",
    "score_rulekey",
    "score_rx",
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
            # Only the chunk's row: locking its run too would serialise every chunk of a run.
            chunk = (
                ScoringChunk.objects.select_for_update(of=("self",))
                .select_related("run")
                .get(pk=chunk_id)
            )
            if chunk.status == ScoringChunk.Status.DONE:
                return None
            now = timezone.now()
            with connection.cursor() as cursor:
                # PostgreSQL only, scoped to this transaction. random_page_cost: the default 4.0
                # assumes spinning disks and makes the planner hash-join the whole transactions
                # table for a chunk that needs 2 % of it; on SSDs, index lookups are the cheap
                # path. synchronous_commit: a chunk lost in a server crash after its commit comes
                # back whole (its outbox rows come back with it and the next run scores them
                # again), so the commit need not wait for the WAL flush (nothing is half-kept
                # either way, and any later synchronous commit, a collect say, flushes it first).
                for statement in [
                    *dialect.set_local("random_page_cost", "1.1"),
                    *dialect.set_local("synchronous_commit", "off"),
                ]:
                    cursor.execute(statement)
                sql = ChunkSql(cursor, dialect)
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


def _score(
    sql: ChunkSql, *, chunk: ScoringChunk, now: datetime, result: ChunkResult, fail_after_step
):
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
    result.reversals = removed_reverse(sql, p)
    checkpoint("reversals")
    stage = _stage(sql)
    result.transactions_scored = stage.count
    if stage.count:
        if stage.unknown_currency:
            _skip_unknown_currency(sql, p, result)
        rule_lookup_load(sql)
        checkpoint("classify")
        _estimate_and_cap(sql, p)
        checkpoint("cap")
        requests = campaign_requests(sql, p, now, days=(stage.first_day, stage.last_day))
        checkpoint("campaigns")
        _write_actions_and_drops(sql, p, now, result)
        campaign_grants(sql, p, requests)
        checkpoint("grants")
        _write_ledger(sql, p, result)
        checkpoint("awards")
        if stage.credits:
            refunds_claw_back(sql, p)


STAGE_COLUMNS = (
    "txn_id BIGINT NOT NULL, user_id BIGINT NOT NULL, amount NUMERIC NOT NULL, "
    "currency VARCHAR(3) NOT NULL, booking_date DATE NOT NULL, mcc VARCHAR(4) NOT NULL, "
    "merchant_norm VARCHAR(200) NOT NULL, merchant_id VARCHAR(128) NOT NULL, "
    "category VARCHAR(128) NOT NULL, description TEXT NOT NULL, is_reversal BOOLEAN NOT NULL"
)
STAGE_SELECT = (
    "t.id AS txn_id, t.user_id, t.amount, t.currency, "
    "COALESCE(t.booking_date, t.transaction_date) AS booking_date, t.mcc, t.merchant_norm, "
    "t.merchant_id, t.provider_category AS category, t.description, t.is_reversal"
)


def _claim(sql: ChunkSql, p: dict, extra: str) -> None:
    """Take this chunk's rows off the outbox (active feeds only; others wait)."""
    sql.temp("score_stage", STAGE_COLUMNS)
    sql.temp(
        "score_claimed",
        "txn_id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, status VARCHAR(8) NOT NULL, "
        "removed BOOLEAN NOT NULL, reason VARCHAR(8) NOT NULL",
    )
    where = (
        "q.user_id BETWEEN %(lo)s AND %(hi)s AND t.id = q.transaction_id "
        "AND f.id = t.feed_id AND f.status = 'active' AND f.user_id BETWEEN %(lo)s AND %(hi)s"
        + extra
    )
    # accounts hands the rows over: one DELETE … RETURNING on PostgreSQL, whose row locks make
    # a concurrent claim of the same rows wait, then find them gone. A rollback puts them back.
    outbox_claim(
        using=f"{TRANSACTIONS} t, {FEEDS} f",
        where=where,
        returning=f"{STAGE_SELECT}, q.reason, t.status, t.removed_at IS NOT NULL AS removed",
        into=[
            (
                "score_stage",
                "txn_id, user_id, amount, currency, booking_date, mcc, merchant_norm, "
                "merchant_id, category, description, is_reversal",
                "reason = 'new' AND status = 'booked' AND NOT removed AND booking_date IS NOT NULL",
            ),
            (
                "score_claimed",
                "txn_id, user_id, status, removed, reason",
                "reason <> 'new' OR removed",
            ),
        ],
        params=p,
        execute=sql.run,
    )


@dataclass(frozen=True)
class StageSummary:
    count: int
    first_day: date | None
    last_day: date | None
    credits: int  # refunds and reversals, for the claw-back step
    unknown_currency: int  # transactions in a currency without an exchange rate


def _stage(sql: ChunkSql) -> StageSummary:
    """Add the changed, re-scored rows whose old action is reversed by now; sum the stage up
    in one pass."""
    sql.run(
        f"""INSERT INTO score_stage
            SELECT {STAGE_SELECT} FROM score_claimed c
            JOIN {TRANSACTIONS} t ON t.id = c.txn_id
            WHERE c.status = 'booked' AND NOT c.removed
              AND COALESCE(t.booking_date, t.transaction_date) IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM {GREEN_ACTIONS} g
                              WHERE g.transaction_id = c.txn_id AND g.reversed_at IS NULL)"""
    )
    # The planner's guess for an unanalysed temp table is off by 50x here (it assumes wide
    # rows), which turns the later joins into nested loops. (PostgreSQL only.)
    sql.analyze("score_stage", "is_reversal")
    count, first, last, credits, unknown = sql.rows(
        f"""SELECT COUNT(*), MIN(s.booking_date), MAX(s.booking_date),
                  SUM(CASE WHEN s.amount > 0 OR s.is_reversal THEN 1 ELSE 0 END),
                  SUM(CASE WHEN fx.currency IS NULL THEN 1 ELSE 0 END)
           FROM score_stage s LEFT JOIN {RATES} fx ON fx.currency = s.currency"""
    )[0]
    return StageSummary(count, _as_date(first), _as_date(last), credits or 0, unknown or 0)


def _as_date(value) -> date | None:
    """SQLite hands dates back as text."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _skip_unknown_currency(sql: ChunkSql, p: dict, result: ChunkResult) -> None:
    """Transactions in a currency without a rate are reported and left for a later night."""
    rows = sql.rows(
        f"""SELECT s.txn_id, s.currency FROM score_stage s
           LEFT JOIN {RATES} fx ON fx.currency = s.currency
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
    outbox_put_back(
        f"""SELECT s.txn_id, s.user_id, 'new', %(now)s FROM score_stage s
            LEFT JOIN {RATES} fx ON fx.currency = s.currency
            WHERE fx.currency IS NULL""",
        p,
        execute=sql.run,
    )
    sql.run(f"DELETE FROM score_stage WHERE currency NOT IN (SELECT currency FROM {RATES})")


def _estimate_and_cap(sql: ChunkSql, p: dict) -> None:
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
    best, best_params = best_rule_for(sql, "s.amount < 0 AND NOT s.is_reversal")
    # Daily cap per user, action type and day: what earlier chunks awarded that day counts too.
    sql.run(
        f"""INSERT INTO score_award (txn_id, user_id, rule_id, rule_version, action_type,
                                     booking_date, amount, currency, eur_amount, estimated, base)
            WITH raw AS (
                SELECT s.txn_id, s.user_id, r.id AS rule_id, r.version AS rule_version,
                       r.action_type, s.action_no, s.booking_date, s.amount, s.currency,
                       ROUND(ABS(s.amount) * fx.eur_per_unit, 2) AS eur_amount,
                       {ESTIMATED_GRAMS} AS estimated,
                       r.daily_cap_grams AS daily_cap
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
                   ))
            FROM raw a
            LEFT JOIN prior ON prior.user_id = a.user_id AND prior.action_type = a.action_type
                   AND prior.booking_date = a.booking_date""",
        {**p, **best_params},
    )


def _write_actions_and_drops(sql: ChunkSql, p: dict, now: datetime, result: ChunkResult) -> None:
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
                       created_at)
               SELECT a.txn_id, a.user_id, a.rule_id, a.rule_version, a.campaign_id,
                      a.action_type, a.booking_date, a.amount, a.currency, a.eur_amount,
                      a.estimated, a.base, a.campaign_grams, a.base + a.campaign_grams, d.id,
                      %(chunk)s, %(now)s
               FROM score_award a
               LEFT JOIN {DROPS} d ON d.chunk_id = %(chunk)s AND d.user_id = a.user_id
                    AND d.action_type = a.action_type AND a.base + a.campaign_grams > 0""",
            p,
        )
    except IntegrityError as exc:
        raise ScoringIntegrityError(f"chunk {p['chunk']}: a transaction is already scored") from exc


def _write_ledger(sql: ChunkSql, p: dict, result: ChunkResult) -> None:
    """An ``earn`` entry per drop and the cached balances, after the campaign grants."""
    sql.run(
        f"""INSERT INTO {LEDGER} (user_id, account, kind, grams, idempotency_key,
                                                 drop_id, memo, created_at)
           SELECT d.user_id, 'drops', 'earn', d.grams, 'earn:drop:' || d.id, d.id, d.action_type,
                  %(now)s
           FROM {DROPS} d WHERE d.chunk_id = %(chunk)s""",
        p,
    )
    sql.add_to_balances(
        f"SELECT d.user_id, 'drops', SUM(d.grams) FROM {DROPS} d "
        "WHERE d.chunk_id = %(chunk)s GROUP BY d.user_id",
        p,
    )
    result.grams_awarded = int(
        sql.rows("SELECT COALESCE(SUM(base + campaign_grams), 0) FROM score_award")[0][0]
    )


def _awards_preview(sql: ChunkSql) -> list[dict]:
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
