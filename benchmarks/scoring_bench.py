"""Nightly scoring end to end on PostgreSQL: transactions/s and peak memory, next to a ceiling.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
        python benchmarks/scoring_bench.py --n 1000000

Creates a scratch database (``<name>_scoring_bench``, dropped at the end unless ``--keep``),
migrates it, loads users, feeds and N
booked transactions with COPY (a realistic merchant mix from
``accounts.integrations.sandbox_bulk``), then runs
the real nightly job (classification, caps, campaigns, drops, ledger) chunk by chunk, in one
process or in ``--workers`` processes as Celery workers would. The ceiling is a plain
``INSERT … SELECT`` copy of the same rows into a bare table, in the same run.

Each row carries the provider payload the importer stores with every transaction (``raw``,
jsonb), here in the shape the sandbox bank's Plaid items have (~450 bytes; real Plaid items are
larger). Two ceilings are printed: a copy of the whole rows, and a copy without ``raw``.
``--raw none`` loads rows without a payload (the figures of earlier runs).

``--history H`` also loads H older transactions that are already scored, so the night's N
new ones sit among a longer history, as they do in production.

Besides wall-clock rates it prints the CPU seconds the scoring and the ceiling took (the worker
processes and their PostgreSQL server processes): on a machine shared with other work, their
ratio is what the two cores would give quiet.

``BENCH_TIMINGS=1`` prints where the chunks' time goes, statement by statement;
``BENCH_EXPLAIN=1`` logs every statement over 15 ms with its plan to the server log
(``auto_explain``; needs a superuser connection).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import secrets
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def setup_django(db_url: str) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DJANGO_DEBUG"] = "false"
    # Local settings refuse their public key without DEBUG: a throwaway key for this process.
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()


def scratch_url(base_url: str) -> str:
    head, _, name = base_url.rpartition("/")
    return f"{head}/{name}_scoring_bench"


def recreate_database(base_url: str, url: str) -> None:
    drop_database(base_url, url)
    with _admin_connection(base_url) as conn:
        conn.execute(f'CREATE DATABASE "{url.rpartition("/")[2]}"')


def drop_database(base_url: str, url: str) -> None:
    """The scratch database ``url`` goes (once its figures are printed; a run makes it anew)."""
    with _admin_connection(base_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}"')


def _admin_connection(base_url: str):
    """The server's maintenance database: the one named in DATABASE_URL need not exist."""
    import psycopg

    admin = base_url.replace("postgres://", "postgresql://").rpartition("/")[0] + "/postgres"
    return psycopg.connect(admin, autocommit=True)


def sandbox_raw(t, account_id: str) -> str:
    """The payload the importer stores for a sandbox (Plaid-shaped) item, as JSON text."""
    return json.dumps(
        {
            "transaction_id": t.provider_txn_id,
            "account_id": account_id,
            "amount": float(-t.amount),  # Plaid: positive is money out
            "iso_currency_code": t.currency,
            "unofficial_currency_code": None,
            "date": t.booking_date.isoformat(),
            "authorized_date": t.transaction_date.isoformat(),
            "name": t.description or t.merchant_name,
            "merchant_name": t.merchant_name or None,
            "merchant_entity_id": t.merchant_id or None,
            "pending": False,
            "pending_transaction_id": None,
            "payment_channel": "in store" if t.mcc else "other",
            "personal_finance_category": {
                "primary": t.provider_category.rsplit("_", 1)[0] if t.provider_category else None,
                "detailed": t.provider_category or None,
                "confidence_level": "VERY_HIGH",
            },
        }
    )


NEW_ROWS = "created_at = '2026-11-01 00:00+00'"  # the night's rows; older history is not queued


def load(
    n: int, users: int, *, campaign: bool = True, raw_payload: bool = True, history: int = 0
) -> None:
    from django.core.management import call_command
    from django.db import connection

    from accounts.integrations.sandbox_bulk import generate_transactions
    from accounts.models import LinkedFeed, Profile, Transaction, User
    from core.sql import table

    call_command("migrate", verbosity=0)
    start = date(2026, 10, 1)
    raw = connection.connection  # psycopg 3 connection
    with raw.cursor() as cur:
        with cur.copy(
            f"COPY {table(User)} (id, password, is_superuser, email, first_name, last_name, "
            "is_staff, is_active, date_joined) FROM STDIN"
        ) as copy:
            for i in range(1, users + 1):
                copy.write_row(
                    (
                        i,
                        "!",
                        False,
                        f"u{i}@bench.example",
                        "",
                        "",
                        False,
                        True,
                        "2026-01-01 00:00+00",
                    )
                )
        # Every profile column, the model's defaults for those the benchmark does not care about.
        at = "2026-01-01 00:00+00"
        given = {"display_name": "", "locale": "nl", "city": "Amsterdam", "created_at": at,
                 "updated_at": at}  # fmt: skip
        fields = [f for f in Profile._meta.concrete_fields if f.column not in ("id", "user_id")]
        defaults = [given.get(f.column, f.get_default()) for f in fields]
        tz_at = [f.column for f in fields].index("time_zone")
        with cur.copy(
            f"COPY {table(Profile)} (user_id, {', '.join(f.column for f in fields)}) FROM STDIN"
        ) as copy:
            for i in range(1, users + 1):
                row = [i, *defaults]
                row[1 + tz_at] = "Europe/Amsterdam" if i % 5 else "Europe/London"
                copy.write_row(row)
        with cur.copy(
            f"COPY {table(LinkedFeed)} (id, user_id, provider, account_ref, display_name, status, "
            "unstable_ids, cursor, last_error, trust, consented_on, created_at, updated_at) "
            "FROM STDIN"
        ) as copy:
            # Verified feeds consented to before the history starts: every row may earn, so
            # the eligibility test runs on each and lets each through (the costly case).
            for i in range(1, users + 1):
                copy.write_row((i, i, "plaid", f"acc-{i}", "", "active", False, "", "",
                                "verified", "2026-01-01", "2026-01-01 00:00+00",
                                "2026-01-01 00:00+00"))  # fmt: skip
        from accounts.normalise import transaction_names

        norm_cache: dict[tuple[str, str], tuple[str, str]] = {}
        with cur.copy(
            f"COPY {table(Transaction)} (user_id, feed_id, provider, provider_txn_id, fingerprint, "
            "pending_txn_id, status, amount, currency, booking_date, transaction_date, "
            "merchant_name, merchant_norm, descriptor_norm, merchant_id, mcc, provider_category, "
            "description, "
            "is_reversal, created_at, updated_at, raw) FROM STDIN"
        ) as copy:
            # Rows arrive per feed, as imports write them (a feed's sync or file at a time),
            # so a user's transactions sit together: the k-th generated row goes to user
            # k // (n / users). The generator's own user index is ignored.
            # With ``history``, the first rows of each user's block are older, already scored
            # transactions (booked two months earlier, not queued): an ordinary night.
            per_user = max(1, (n + history) // users)
            old_per_user = per_user * history // (n + history)
            for k, (_, t) in enumerate(
                generate_transactions(n=n + history, users=users, start=start, days=30)
            ):
                uid = min(users, k // per_user + 1)
                old = k % per_user < old_per_user
                shift = timedelta(days=60 if old else 0)
                # As the importer names them: the description where the merchant names no shop.
                key = (t.merchant_name, t.description)
                names = norm_cache.get(key)
                if names is None:
                    names = norm_cache[key] = transaction_names(t.merchant_name, t.description)
                raw = sandbox_raw(t, f"acc-{uid}") if raw_payload else None
                created = "2026-09-01 00:00+00" if old else "2026-11-01 00:00+00"
                copy.write_row((uid, uid, "sandbox", t.provider_txn_id, "", "", "booked",
                                t.amount, t.currency, t.booking_date - shift,
                                t.transaction_date - shift, t.merchant_name, *names,
                                t.merchant_id, t.mcc, t.provider_category, t.description,
                                t.is_reversal, created, created, raw))  # fmt: skip
        for model in (User, LinkedFeed):
            cur.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [model._meta.db_table, users]
            )
    from catalogue.models import Campaign, Sponsor

    sponsor = Sponsor.objects.create(name="Bench", slug="bench")
    if campaign:
        Campaign.objects.create(
            sponsor=sponsor, name="Vinted week", match_merchants=["vinted"], bonus_grams=50,
            starts_on=start, ends_on=start + timedelta(days=60), budget_grams=n * 10,
        )  # fmt: skip
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def ceiling(*, with_raw: bool, among_history: bool) -> float:
    """Rows/s of a plain INSERT … SELECT of the night's transactions into a bare table: the
    whole rows, or every column but the stored provider payload. Among older history they are
    found through the outbox of changed transactions, by primary key, as scoring finds them."""
    from django.db import connection

    from accounts.models import ChangedTransaction, Transaction
    from core.sql import table

    transactions = table(Transaction)
    with connection.cursor() as cur:
        cur.execute(f"CREATE TABLE bench_copy (LIKE {transactions})")
        cur.execute(
            "SELECT string_agg('t.' || quote_ident(attname), ', ' ORDER BY attnum) "
            "FROM pg_attribute WHERE attrelid = %s::regclass "
            "AND attnum > 0 AND NOT attisdropped AND (%s OR attname <> 'raw')",
            [transactions, with_raw],
        )
        selected = cur.fetchone()[0]
        columns = selected.replace("t.", "")
        source = (
            f"{transactions} t JOIN {table(ChangedTransaction)} q ON q.transaction_id = t.id"
            if among_history
            else f"{transactions} t"
        )
        started = time.perf_counter()
        cur.execute(f"INSERT INTO bench_copy ({columns}) SELECT {selected} FROM {source}")
        rows = cur.rowcount
        copy_seconds = time.perf_counter() - started
        cur.execute("DROP TABLE bench_copy")
        cur.execute("CHECKPOINT")  # the copy's dirty pages are not the scoring's to write
    return rows / copy_seconds


def _worker_init(db_url: str) -> None:
    """A pool process is a Celery worker stand-in: Django is set up before the clock starts."""
    setup_django(db_url)
    from forest.scoring import sql

    sql.STATEMENT_TIMINGS = {} if os.environ.get("BENCH_TIMINGS") else None
    import scoring_ceiling

    scoring_ceiling.TIMINGS = {} if os.environ.get("BENCH_TIMINGS") else None
    from django.db import connection

    connection.ensure_connection()  # its server process is counted from the start (cpu_seconds)
    if os.environ.get("BENCH_EXPLAIN"):
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("LOAD 'auto_explain'")
            cur.execute("SET auto_explain.log_min_duration = 15")
            cur.execute("SET auto_explain.log_analyze = on")
            cur.execute("SET auto_explain.log_buffers = on")


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) used so far by the processes ``pids`` (Linux ``/proc``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def server_pids(url: str) -> list[int]:
    """The server processes of the other sessions on the scratch database (the workers')."""
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(pid) for (pid,) in rows]


def _score_one(chunk_id: int) -> int:
    from forest.scoring import engine, sql

    started = time.perf_counter()
    engine.score_chunk(chunk_id)
    if sql.STATEMENT_TIMINGS is not None:
        whole = "(whole chunks, commit included)"
        sql.STATEMENT_TIMINGS[whole] = (
            sql.STATEMENT_TIMINGS.get(whole, 0.0) + time.perf_counter() - started
        )
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _timings(_: int) -> dict:
    from forest.scoring import sql

    return dict(sql.STATEMENT_TIMINGS or {})


def _ceiling_timings(_: int) -> dict:
    import scoring_ceiling

    return dict(scoring_ceiling.TIMINGS or {})


def _summed(parts: list[dict[str, float]]) -> dict[str, float]:
    """The workers' statement timings added up, statement by statement."""
    total: dict[str, float] = {}
    for part in parts:
        for key, seconds in part.items():
            total[key] = total.get(key, 0.0) + seconds
    return total


def _print_slowest(timings: dict[str, float], count: int) -> None:
    for key, seconds in sorted(timings.items(), key=lambda kv: -kv[1])[:count]:
        print(f"  {seconds:7.2f} s  {key}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="transactions")
    parser.add_argument("--users", type=int, default=0, help="default: n / 100")
    parser.add_argument(
        "--workers", type=int, default=2, help="scoring processes, as Celery workers (2 cores)"
    )
    parser.add_argument("--chunk", type=int, default=0, help="transactions per chunk")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--no-campaign", action="store_true", help="load no sponsor campaign")
    parser.add_argument(
        "--history", type=int, default=0,
        help="older, already scored transactions to load besides the N new ones (a normal night)",
    )  # fmt: skip
    parser.add_argument(
        "--raw", choices=["sandbox", "none"], default="sandbox",
        help="the stored provider payload per row: the sandbox's Plaid-shaped item, or none",
    )  # fmt: skip
    args = parser.parse_args()
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    if not base_url.startswith("postgres"):
        sys.exit("scoring_bench needs DATABASE_URL=postgres://…")
    url = scratch_url(base_url)
    users = args.users or max(1, args.n // 100)

    recreate_database(base_url, url)
    setup_django(url)
    t0 = time.perf_counter()
    load(
        args.n, users, campaign=not args.no_campaign, raw_payload=args.raw == "sandbox",
        history=args.history,
    )  # fmt: skip
    print(f"loaded {args.n:,} new and {args.history:,} older transactions for {users:,} users "
          f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip

    from django.db import connection

    from accounts.models import ChangedTransaction, Transaction
    from core.sql import table
    from forest.models import EnergyLedgerEntry, GreenAction
    from forest.scoring.jobs import scoring_run_create, scoring_run_finish_if_done
    from forest.services.energy import ledger_audit

    # The importer queues what it imports, in the same statement batch; timed apart here.
    with connection.cursor() as cur:
        t_queue = time.perf_counter()
        cur.execute(
            f"INSERT INTO {table(ChangedTransaction)} (transaction_id, user_id, reason, queued_at) "
            f"SELECT id, user_id, 'new', now() FROM {table(Transaction)} WHERE {NEW_ROWS}"
        )
        queue_seconds = time.perf_counter() - t_queue
        cur.execute(f"ANALYZE {table(ChangedTransaction)}")
        if os.environ.get("BENCH_DROP_FKS"):  # experiment: what do deferred FK checks cost?
            cur.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
                [GreenAction._meta.db_table],
            )
            for (name,) in cur.fetchall():
                cur.execute(f'ALTER TABLE {table(GreenAction)} DROP CONSTRAINT "{name}"')
    import scoring_ceiling

    scoring_ceiling.prepare()
    ceiling_rate = ceiling(with_raw=True, among_history=args.history > 0)
    slim_ceiling_rate = ceiling(with_raw=False, among_history=args.history > 0)
    loader_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    from forest.scoring.jobs import TARGET_TRANSACTIONS_PER_CHUNK

    run = scoring_run_create(
        triggered_by="bench", target=args.chunk or TARGET_TRANSACTIONS_PER_CHUNK
    )
    chunk_ids = list(run.chunks.order_by("id").values_list("id", flat=True))
    connection.close()

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(args.workers, initializer=_worker_init, initargs=(url,)) as pool:
        pool.map(_timings, range(args.workers))  # every worker is set up before the clock
        # CPU of the workers and their server processes: the machine is shared, and the
        # ratio of CPU seconds is what the same two cores would give on a quiet machine.
        # A worker still in its initializer has not connected yet: wait for every session.
        servers = server_pids(url)
        for _ in range(300):
            if len(servers) >= args.workers:
                break
            time.sleep(0.1)
            servers = server_pids(url)
        pids = [p.pid for p in pool._pool] + servers  # type: ignore[attr-defined]
        cpu_started = cpu_seconds(pids)
        started = time.perf_counter()
        peak_rss = max(pool.imap_unordered(_score_one, chunk_ids, chunksize=1))
        elapsed = time.perf_counter() - started
        job_cpu = cpu_seconds(pids) - cpu_started
        timings = _summed(pool.map(_timings, range(args.workers)))
        scoring_run_finish_if_done(run.id)
        # The same writes without the logic, by the same workers (benchmarks/scoring_ceiling.py).
        chunk_bounds = scoring_ceiling.after_job()
        cpu_started = cpu_seconds(pids)
        writes_seconds = scoring_ceiling.timed(pool, chunk_bounds)
        writes_cpu = cpu_seconds(pids) - cpu_started
        ceiling_timings = _summed(pool.map(_ceiling_timings, range(args.workers)))
    scoring_ceiling.cleanup()
    _print_slowest(timings, 40)
    if ceiling_timings:
        print("  the ceiling's statements:")
        _print_slowest(ceiling_timings, 12)

    actions = GreenAction.objects.count()
    entries = EnergyLedgerEntry.objects.count()
    audit = ledger_audit()
    rate = args.n / elapsed
    print(f"chunks: {len(chunk_ids)}, workers: {args.workers}")
    print(f"green actions: {actions:,}, ledger entries: {entries:,}, drift: {audit.drift_count}")
    print(f"scoring: {elapsed:.2f} s, {rate:,.0f} transactions/s")
    writes_rate = args.n / writes_seconds
    print(f"same-writes ceiling (claim, green actions, drops, ledger, campaign spend, balances; "
          f"no logic): {writes_seconds:.2f} s, {writes_rate:,.0f} transactions/s "
          f"-> ratio {rate / writes_rate:.2f} x")  # fmt: skip
    print(f"CPU seconds (the workers and their server processes): scoring {job_cpu:.2f} s, "
          f"ceiling {writes_cpu:.2f} s -> ratio {writes_cpu / job_cpu:.2f} x")  # fmt: skip
    print(f"queueing at import (not in the figure above): {queue_seconds:.2f} s, "
          f"{args.n / queue_seconds:,.0f} rows/s")  # fmt: skip
    payload = "with their stored payload" if args.raw == "sandbox" else "(no payload loaded)"
    print(f"ceiling (INSERT … SELECT of the same rows, {payload}): {ceiling_rate:,.0f} rows/s"
          f" -> ratio {rate / ceiling_rate:.2f} x")  # fmt: skip
    print(f"ceiling (the same rows without the raw column): {slim_ceiling_rate:,.0f} rows/s"
          f" -> ratio {rate / slim_ceiling_rate:.2f} x")  # fmt: skip
    print(f"peak RSS: {peak_rss / 1024:.0f} MiB per scoring worker, {loader_rss / 1024:.0f} MiB "
          "in the loader")  # fmt: skip
    if not args.keep:
        connection.close()
        drop_database(base_url, url)


if __name__ == "__main__":
    main()
