"""The scoring benchmark's write ceiling: what the nightly job writes, without its logic.

Issue 13 asks scoring to come near "the same writes without the logic": per chunk, in one
transaction and with the job's workers, its claim (the outbox ``DELETE … RETURNING`` into a
staging table), its green actions, drops, ledger entries, campaign spend and balance upserts,
as plain set-based statements. The rows are the job's own, copied after the job ran into
shadow tables with the same columns, indexes, checks and foreign keys, so the ceiling writes
exactly as many rows, as wide, with the same index and constraint work. Only the deciding
(classification, caps, campaigns' matching, drops' timing, claw-backs) is left out.

``prepare`` runs before the job (it keeps a copy of the queued outbox rows); ``run`` after it.
"""

from __future__ import annotations

import time
from contextlib import ExitStack

SHADOWS = {
    # shadow table: (real table, the column that finds a chunk's rows by user)
    "bench_ga": ("forest_greenaction", "user_id"),
    "bench_drop": ("forest_energydrop", "user_id"),
    "bench_ledger": ("forest_energyledgerentry", "user_id"),
}
OUTBOX = "accounts_changedtransaction"
BALANCES = "forest_energybalance"
CAMPAIGNS = "catalogue_campaign"
# The benchmark sets this to a dict (BENCH_TIMINGS) to see where the ceiling's time goes.
TIMINGS: dict[str, float] | None = None


def _shadow_of(cur, shadow: str, real: str) -> None:
    """``shadow`` like ``real``: columns, defaults, identity, indexes, checks, foreign keys."""
    cur.execute(f"DROP TABLE IF EXISTS {shadow}")
    cur.execute(f"CREATE TABLE {shadow} (LIKE {real} INCLUDING ALL)")
    cur.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'",
        [real],
    )
    for (definition,) in cur.fetchall():
        cur.execute(f"ALTER TABLE {shadow} ADD {definition}")


def prepare() -> None:
    """Before the job claims them: keep the queued outbox rows for the ceiling's own claim."""
    from django.db import connection

    with connection.cursor() as cur:
        _shadow_of(cur, "bench_outbox", OUTBOX)
        cur.execute(f"INSERT INTO bench_outbox SELECT * FROM {OUTBOX}")
        cur.execute("ANALYZE bench_outbox")


def after_job() -> list[tuple[int, int]]:
    """After the job: empty shadow tables to write into, and the chunks' user ranges."""
    from django.db import connection

    with connection.cursor() as cur:
        for shadow, (real, _) in SHADOWS.items():
            _shadow_of(cur, shadow, real)
        _shadow_of(cur, "bench_balance", BALANCES)
        _shadow_of(cur, "bench_campaign", CAMPAIGNS)
        cur.execute(f"INSERT INTO bench_campaign SELECT * FROM {CAMPAIGNS}")
        cur.execute("UPDATE bench_campaign SET spent_grams = 0")
        cur.execute("ANALYZE")
        cur.execute("CHECKPOINT")  # the setup's dirty pages are not the ceiling's to write
        cur.execute(
            "SELECT user_id_from, user_id_to FROM forest_scoringchunk "
            "WHERE run_id = (SELECT MAX(id) FROM forest_scoringrun) ORDER BY id"
        )
        return [(int(lo), int(hi)) for lo, hi in cur.fetchall()]


def write_chunk(bounds: tuple[int, int]) -> None:
    """One chunk's writes, in one transaction, as the job commits them."""
    from django.db import connection

    lo, hi = bounds
    p = {"lo": lo, "hi": hi}
    with ExitStack() as stack:
        if TIMINGS is not None:
            stack.enter_context(connection.execute_wrapper(_timed))
        _write_chunk(p)


def _timed(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        key = " ".join(str(sql).split())[:70]
        TIMINGS[key] = TIMINGS.get(key, 0.0) + time.perf_counter() - started  # type: ignore[index]


def _write_chunk(p: dict) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        # The job's own settings for its transaction (forest/scoring/engine.py).
        cur.execute("SET LOCAL random_page_cost = 1.1")
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute(
            "CREATE TEMP TABLE ceil_stage ON COMMIT DROP AS "
            "SELECT t.id AS txn_id, t.user_id, t.amount, t.currency, t.booking_date, t.mcc, "
            "t.merchant_norm, t.descriptor_norm, t.merchant_id, t.provider_category, "
            "t.description, t.is_reversal, t.status, q.reason FROM accounts_transaction t, "
            "accounts_changedtransaction q WITH NO DATA"
        )
        cur.execute(
            """WITH claimed AS (
                   DELETE FROM bench_outbox q USING accounts_transaction t, accounts_linkedfeed f
                   WHERE q.user_id BETWEEN %(lo)s AND %(hi)s AND t.id = q.transaction_id
                     AND f.id = t.feed_id AND f.user_id BETWEEN %(lo)s AND %(hi)s
                   RETURNING t.id, t.user_id, t.amount, t.currency, t.booking_date, t.mcc,
                             t.merchant_norm, t.descriptor_norm, t.merchant_id,
                             t.provider_category, t.description, t.is_reversal, t.status,
                             q.reason)
               INSERT INTO ceil_stage SELECT * FROM claimed""",
            p,
        )
        for shadow, (real, by) in SHADOWS.items():
            cur.execute(
                f"INSERT INTO {shadow} SELECT * FROM {real} "
                f"WHERE {by} BETWEEN %(lo)s AND %(hi)s ORDER BY id",
                p,
            )
        # Campaign spend: each campaign's row locked and raised once, in id order, as the job.
        cur.execute(
            "SELECT campaign_id, SUM(campaign_grams) FROM bench_ga "
            "WHERE user_id BETWEEN %(lo)s AND %(hi)s AND campaign_id IS NOT NULL "
            "GROUP BY campaign_id ORDER BY campaign_id",
            p,
        )
        for campaign_id, grams in cur.fetchall():
            cur.execute("SELECT spent_grams FROM bench_campaign WHERE id = %s FOR UPDATE",
                        [campaign_id])  # fmt: skip
            cur.execute("UPDATE bench_campaign SET spent_grams = spent_grams + %s WHERE id = %s",
                        [grams, campaign_id])  # fmt: skip
        cur.execute(
            """INSERT INTO bench_balance (user_id, account, grams)
               SELECT user_id, account, SUM(grams) FROM bench_ledger
               WHERE user_id BETWEEN %(lo)s AND %(hi)s GROUP BY user_id, account
               ON CONFLICT (user_id, account)
               DO UPDATE SET grams = bench_balance.grams + EXCLUDED.grams""",
            p,
        )


def timed(pool, chunks: list[tuple[int, int]]) -> float:
    """Seconds for every chunk's writes through ``pool`` (the job's worker processes)."""
    started = time.perf_counter()
    for _ in pool.imap_unordered(write_chunk, chunks, chunksize=1):
        pass
    return time.perf_counter() - started


def cleanup() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        for name in ("bench_outbox", "bench_balance", "bench_campaign", *SHADOWS):
            cur.execute(f"DROP TABLE IF EXISTS {name}")
