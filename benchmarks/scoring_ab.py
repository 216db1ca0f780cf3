"""Two checkouts' nightly scoring, chunk by chunk on the same rows: is B faster than A?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/canopy \
        .venv/bin/python benchmarks/scoring_ab.py --a ../canopy-main --b . [--n 1000000]

``scoring_bench.py``'s two-worker figures move by several per cent from run to run on a
shared two-core machine (its ceiling as much), more than most single changes to a chunk save.
This loads N transactions once, with A's code and migrations, into a scratch database
(``<name>_scoring_ab``), then scores the night's chunks one at a time, alternately by a process
running A's code and one running B's (A B, B A, A B, …: drift in the machine's speed falls on
both), each with its own database session kept from chunk to chunk as a Celery worker's is.
It prints each one's median milliseconds per chunk and B / A; the first pair warms up and is
not counted. Both checkouts must share the schema (B's migrations are not run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def _worker(root: str, url: str) -> None:
    """Score the chunk ids read from stdin with the code of checkout ``root``; print the ms."""
    sys.path[:1] = [root, f"{root}/benchmarks"]  # that checkout's code, not this file's
    import scoring_bench

    scoring_bench.setup_django(url)
    from django.db import connection

    from forest.scoring import engine

    connection.ensure_connection()
    print("ready", flush=True)
    for line in sys.stdin:
        started = time.perf_counter()
        engine.score_chunk(int(line))
        print(f"{(time.perf_counter() - started) * 1000:.3f}", flush=True)


def _load(root: str, base_url: str, n: int, chunk: int) -> tuple[str, list[int]]:
    """The scratch database with N queued transactions and a scoring run's chunk ids."""
    sys.path[:0] = [root, f"{root}/benchmarks"]
    import scoring_bench

    head, _, name = base_url.rpartition("/")
    url = f"{head}/{name}_scoring_ab"
    scoring_bench.recreate_database(base_url, url)
    scoring_bench.setup_django(url)
    scoring_bench.load(n, max(1, n // 100))
    from django.db import connection

    from accounts.models import ChangedTransaction, Transaction
    from core.sql import table
    from forest.scoring.jobs import TARGET_TRANSACTIONS_PER_CHUNK, scoring_run_create

    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table(ChangedTransaction)} (transaction_id, user_id, reason, queued_at) "
            f"SELECT id, user_id, 'new', now() FROM {table(Transaction)} "
            f"WHERE {scoring_bench.NEW_ROWS}"
        )
        cur.execute("ANALYZE")
        cur.execute("CHECKPOINT")  # the load's dirty pages are neither side's to write
    run = scoring_run_create(triggered_by="bench", target=chunk or TARGET_TRANSACTIONS_PER_CHUNK)
    chunk_ids = list(run.chunks.order_by("id").values_list("id", flat=True))
    connection.close()
    return url, chunk_ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", required=True, help="checkout A (the baseline)")
    parser.add_argument("--b", required=True, help="checkout B (the change)")
    parser.add_argument("--n", type=int, default=1_000_000, help="transactions")
    parser.add_argument("--chunk", type=int, default=0, help="transactions per chunk")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--worker", nargs=2, metavar=("ROOT", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(*args.worker)
        return
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    if not base_url.startswith("postgres"):
        sys.exit("scoring_ab needs DATABASE_URL=postgres://…")
    roots = {"A": str(Path(args.a).resolve()), "B": str(Path(args.b).resolve())}
    url, chunk_ids = _load(roots["A"], base_url, args.n, args.chunk)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    workers = {
        side: subprocess.Popen(
            [sys.executable, str(HERE), "--a", root, "--b", root, "--worker", root, url],
            cwd=root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for side, root in roots.items()
    }
    for side, worker in workers.items():
        assert worker.stdout is not None
        if worker.stdout.readline().strip() != "ready":
            sys.exit(f"the worker of {side} did not start")
    times: dict[str, list[float]] = {"A": [], "B": []}
    for i, chunk_id in enumerate(chunk_ids):
        side = "AB"[(i % 2) ^ (i // 2 % 2)]  # A B B A A B B A …
        worker = workers[side]
        assert worker.stdin is not None and worker.stdout is not None
        worker.stdin.write(f"{chunk_id}\n")
        worker.stdin.flush()
        reply = worker.stdout.readline()
        if not reply:
            sys.exit(f"the worker of {side} stopped at chunk {chunk_id}")
        if i >= 2:
            times[side].append(float(reply))
    for worker in workers.values():
        assert worker.stdin is not None
        worker.stdin.close()
        worker.wait()
    if not args.keep:
        import scoring_bench  # A's, as loaded by _load

        scoring_bench.drop_database(base_url, url)
    print(f"chunks: {len(chunk_ids)} ({len(times['A'])} timed each side after the first pair)")
    for side in "AB":
        if times[side]:
            print(f"{side} ({roots[side]}): median {statistics.median(times[side]):.1f} ms a chunk")
    if times["A"] and times["B"]:
        ratio = statistics.median(times["B"]) / statistics.median(times["A"])
        print(f"B / A: {ratio:.3f}")


if __name__ == "__main__":
    main()
