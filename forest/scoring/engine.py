"""Score one chunk of users in one database transaction, with a fixed number of SQL statements.

The steps, each one set-based statement over a temporary table of the chunk's rows:

1. claim: the chunk's rows leave accounts' outbox of changed transactions by one
   ``DELETE … RETURNING`` (``accounts.services.outbox.outbox_claim``; its row locks keep
   two workers on overlapping users from scoring a transaction twice); removed, changed and
   re-scored transactions have their old action reversed (``clawbacks``), booked ones without a
   live action go on to the stage;
2. classify: the best rule per transaction through the rules' lookup tables (``classify``);
3. estimate and cap: grams from the rule's formula, in euros through ``forest_currencyrate``,
   then the per-user daily cap per action type, counting what earlier chunks awarded (``awards``);
4. campaigns: sponsor bonuses requested, assuming the budgets have them (``campaigns``);
5. drops and green actions (``awards``);
6. grants: the bonuses taken from the campaigns' budgets under their row locks, as late as
   possible, shrinking what step 5 wrote if a budget ran out meanwhile;
7. claw-backs (``clawbacks``): reversals, re-scores and refunds settled where the energy is,
   the drops' share by one conditional UPDATE;
8. ledger ``earn`` entries and cached balances.

Nothing here loops over transactions in Python; the chunk either commits whole or not at all.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.services.outbox import outbox_claim, outbox_put_back
from core import readcache
from core.sql import current_dialect
from forest.models import ScoringChunk
from forest.scoring.awards import (
    COLLECT_WINDOW,
    DEFAULT_TZ,
    ScoringIntegrityError,
    actions_and_drops_write,
    awards_estimate_and_cap,
    awards_preview,
    ripe_time,
)
from forest.scoring.campaigns import campaign_grants, campaign_requests
from forest.scoring.classify import rule_lookup_load
from forest.scoring.clawbacks import (
    clawbacks_apply,
    refunds_decide,
    removed_reverse,
    rescored_settle_in_place,
)
from forest.scoring.eligibility import eligible_sql, self_reported_cap, self_reported_earns
from forest.scoring.quarantine import quarantine_refused_regexes
from forest.scoring.sql import DROPS, FEEDS, GREEN_ACTIONS, RATES, TRANSACTIONS, ChunkSql
from forest.services.ledger import ledger_append_select

# Used by other modules through this one (the drops' timing, the integrity error).
__all__ = [
    "COLLECT_WINDOW",
    "DEFAULT_TZ",
    "ChunkResult",
    "ScoringIntegrityError",
    "SimulatedCrash",
    "ripe_time",
    "score_chunk",
]

logger = logging.getLogger(__name__)


@dataclass
class ChunkResult:
    transactions_scored: int = 0
    green_actions: int = 0
    grams_awarded: int = 0
    reversals: int = 0
    skipped: int = 0
    skipped_examples: list = field(default_factory=list)
    awards: list = field(default_factory=list)  # filled only on dry runs


TEMP_TABLES = [
    "score_claimed",
    "score_dropfix",
    "score_stage",
    "score_lookup",
    "score_rulekey",
    "score_rules_loaded",
    "score_rx",
    "score_award",
    "score_newcomer",
    "score_tz",
    "score_cmatch",
    "score_campaign",
    "score_refund",
    "score_removed",
    "score_selfrep",
    "score_selfcap",
    "score_moved",
    "score_settle",
    "score_dropdelta",
    "score_taken",
]


def score_chunk(
    chunk_id: int,
    *,
    dry_run: bool = False,
    fail_after_step: str | None = None,
    worker: str = "",
) -> ChunkResult | None:
    """Score the chunk, or do nothing if another worker already did. Idempotent.

    ``dry_run`` computes everything and rolls back, returning the awards it would make.
    ``fail_after_step`` raises after that step: the tests' stand-in for a killed worker.
    ``worker`` (the Celery node name) is recorded on the chunk with its result.
    A database error caused by a campaign's or rule's regex switches that campaign or rule
    off (``quarantine_refused_regexes``) and scores the chunk again without it, so one bad
    pattern cannot stop the night for everyone.
    """
    try:
        return _score_chunk_once(
            chunk_id, dry_run=dry_run, fail_after_step=fail_after_step, worker=worker
        )
    except DatabaseError:
        if not quarantine_refused_regexes():
            raise
    return _score_chunk_once(
        chunk_id, dry_run=dry_run, fail_after_step=fail_after_step, worker=worker
    )


def _score_chunk_once(
    chunk_id: int, *, dry_run: bool, fail_after_step: str | None, worker: str
) -> ChunkResult | None:
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
                # work_mem: the claim's 20,000 returned rows are read twice (stage, changed rows)
                # and spilled to a temp file at the default 4 MB. jit: a chunk's statements run
                # for milliseconds; compiling them would cost more than it saves, and a larger
                # --chunk size would cross jit_above_cost.
                for statement in [
                    *dialect.set_local("random_page_cost", "1.1"),
                    *dialect.set_local("synchronous_commit", "off"),
                    *dialect.set_local("work_mem", "'32MB'"),
                    *dialect.set_local("jit", "off"),
                ]:
                    cursor.execute(statement)
                sql = ChunkSql(cursor, dialect)
                _score(sql, chunk=chunk, now=now, result=result, fail_after_step=fail_after_step)
                if dry_run:
                    result.awards = awards_preview(sql)
                for name in TEMP_TABLES:
                    if not sql.reused_temp(name):
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
            chunk.worker = worker[:255]
            chunk.save(
                update_fields=[
                    "status", "attempts", "transactions_scored", "green_actions",
                    "grams_awarded", "reversals", "skipped", "skipped_examples", "finished_at",
                    "worker",
                ]
            )  # fmt: skip
            # Drops, green actions, caps and balances moved for the chunk's users.
            if chunk.run.only_user_id:
                readcache.user_changed(chunk.run.only_user_id)
            else:
                readcache.users_changed_range(chunk.user_id_from, chunk.user_id_to)
    except _DryRunRollback:
        pass
    return result


class _DryRunRollback(Exception):
    pass


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

    changed = _claim(sql, p, extra)
    checkpoint("claim")
    # The worker tests' slow chunk: it waits here while the file exists, holding the chunk's
    # row lock and its claimed outbox rows, uncommitted, for the test to SIGKILL its worker
    # (config/settings/test.py; unset anywhere else).
    if hold := getattr(settings, "SCORING_CHUNK_TEST_HOLD_FILE", ""):
        deadline = time.monotonic() + 300
        while os.path.exists(hold) and time.monotonic() < deadline:
            time.sleep(0.1)
    # Reversals first: a re-scored transaction's old action must be gone before its new one.
    # The common night has nothing but newly booked transactions: nothing to reverse.
    result.reversals = removed_reverse(sql, p) if changed else 0
    checkpoint("reversals")
    stage = _stage(sql, changed=changed)
    result.transactions_scored = stage.count
    if stage.count:
        if stage.unknown_currency:
            _skip_unknown_currency(sql, p, result)
        rule_lookup_load(sql)
        checkpoint("classify")
        awards_estimate_and_cap(
            sql, {**p, "first_day": stage.first_day, "last_day": stage.last_day}
        )
        if self_reported_earns():
            self_reported_cap(sql, p, now)
        checkpoint("cap")
        requests = campaign_requests(sql, p, now, days=(stage.first_day, stage.last_day))
        checkpoint("campaigns")
        actions_and_drops_write(sql, p, now, result)
        campaign_grants(sql, p, requests)
        checkpoint("grants")
        if result.reversals:
            rescored_settle_in_place(sql, p)
        if stage.credits:
            refunds_decide(sql, p)
    # Every claw-back after the campaigns' locks, drops before balances (core.locks).
    clawbacks_apply(sql, p, reversals=bool(result.reversals), refunds=bool(stage.credits))
    checkpoint("clawbacks")
    if stage.count:
        _write_ledger(sql, p, result)
        checkpoint("awards")


STAGE_COLUMNS = (
    "txn_id BIGINT NOT NULL, user_id BIGINT NOT NULL, amount NUMERIC NOT NULL, "
    "currency VARCHAR(3) NOT NULL, booking_date DATE NOT NULL, mcc VARCHAR(4) NOT NULL, "
    "merchant_norm VARCHAR(200) NOT NULL, descriptor_norm VARCHAR(200) NOT NULL, "
    "merchant_id VARCHAR(128) NOT NULL, category VARCHAR(128) NOT NULL, "
    "description TEXT NOT NULL, is_reversal BOOLEAN NOT NULL"
)
STAGE_SELECT = (
    "t.id AS txn_id, t.user_id, t.amount, t.currency, "
    "COALESCE(t.booking_date, t.transaction_date) AS booking_date, t.mcc, t.merchant_norm, "
    "t.descriptor_norm, t.merchant_id, t.provider_category AS category, t.description, "
    "t.is_reversal"
)


def _claim(sql: ChunkSql, p: dict, extra: str) -> int:
    """Take this chunk's rows off the outbox (active feeds only; others wait). Returns how many
    were changed or removed (``score_claimed``) rather than newly booked.

    Rows that may not earn (their feed's trust, or booked before its consent window: see
    ``forest.scoring.eligibility``) are claimed too, so they leave the outbox, but never
    staged: no green action, no drop, nothing more to compute for them.
    """
    sql.temp("score_stage", STAGE_COLUMNS)
    sql.temp(
        "score_claimed",
        "txn_id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, status VARCHAR(8) NOT NULL, "
        "removed BOOLEAN NOT NULL, reason VARCHAR(8) NOT NULL, eligible INTEGER NOT NULL",
    )
    where = (
        "q.user_id BETWEEN %(lo)s AND %(hi)s AND t.id = q.transaction_id "
        "AND f.id = t.feed_id AND f.status = 'active' AND f.user_id BETWEEN %(lo)s AND %(hi)s"
        + extra
    )
    eligible = eligible_sql(sql.d, feed="f", day="COALESCE(t.booking_date, t.transaction_date)")
    # accounts hands the rows over: one DELETE … RETURNING on PostgreSQL, whose row locks make
    # a concurrent claim of the same rows wait, then find them gone. A rollback puts them back.
    return outbox_claim(
        using=f"{TRANSACTIONS} t, {FEEDS} f",
        where=where,
        returning=f"{STAGE_SELECT}, q.reason, t.status, t.removed_at IS NOT NULL AS removed, "
        f"{eligible} AS eligible",
        into=[
            (
                "score_stage",
                "txn_id, user_id, amount, currency, booking_date, mcc, merchant_norm, "
                "descriptor_norm, merchant_id, category, description, is_reversal",
                "reason = 'new' AND status = 'booked' AND NOT removed AND booking_date IS NOT NULL "
                "AND eligible = 1",
            ),
            (
                "score_claimed",
                "txn_id, user_id, status, removed, reason, eligible",
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


def _stage(sql: ChunkSql, *, changed: int) -> StageSummary:
    """Add the changed, re-scored rows whose old action is reversed by now (if the claim found
    any); sum the stage up in one pass."""
    if changed:
        sql.run(
            f"""INSERT INTO score_stage
            SELECT {STAGE_SELECT} FROM score_claimed c
            JOIN {TRANSACTIONS} t ON t.id = c.txn_id
            WHERE c.status = 'booked' AND NOT c.removed AND c.eligible = 1
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


def _write_ledger(sql: ChunkSql, p: dict, result: ChunkResult) -> None:
    """An ``earn`` entry per drop and the cached balances, after the campaign grants."""
    ledger_append_select(
        sql,
        columns="user_id, account, kind, grams, idempotency_key, drop_id, memo, created_at",
        select=f"""SELECT d.user_id, 'drops', 'earn', d.grams, 'earn:drop:' || d.id, d.id,
                          d.action_type, %(now)s
                   FROM {DROPS} d WHERE d.chunk_id = %(chunk)s""",
        balances=f"SELECT d.user_id, 'drops', SUM(d.grams) FROM {DROPS} d "
        "WHERE d.chunk_id = %(chunk)s GROUP BY d.user_id",
        params=p,
    )
    result.grams_awarded = int(
        sql.rows("SELECT COALESCE(SUM(base + campaign_grams), 0) FROM score_award")[0][0]
    )
