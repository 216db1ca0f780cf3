"""Import throughput on PostgreSQL: the real importer against bare COPYs of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/canopy \
        .venv/bin/python benchmarks/import_bench.py [--n 200000] [--keep]

Creates a scratch database next to the one in DATABASE_URL (``<name>_importbench_<pid>``),
migrates it, writes N sandbox transactions
(``accounts.integrations.sandbox_bulk.generate_transactions``) as a
Canopy CSV file and measures, in the same run:

* the importer: ``transactions_import`` of the file into one feed (CSV parsing, normalisation,
  COPY into staging, the set-based merge into the indexed table, commit);
* COPY of the same rows: the file parsed by the same CSV source, its rows COPY'd into a bare
  table (same columns, no index, no constraint) -- what any Python import must at least do;
* COPY of the file: the raw bytes into a bare table, parsed by PostgreSQL itself.

Prints rows/s for each, the importer's ratio to both COPYs (target >= 0.5 x the COPY of the same
rows) and the process's peak RSS before and after the import, which does not grow with N.
Drops the scratch database at the end (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import secrets
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CSV_COLUMNS = (
    "transaction_id",
    "status",
    "booking_date",
    "transaction_date",
    "amount",
    "currency",
    "merchant_name",
    "merchant_id",
    "mcc",
    "category",
    "description",
)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def scratch_url(url: str) -> tuple[str, str, str]:
    """(admin URL, scratch URL, scratch database name) for the server in ``url``."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise SystemExit("import_bench needs DATABASE_URL=postgres://… (it measures COPY)")
    base = parts.path.lstrip("/") or "postgres"
    name = f"{base}_importbench_{os.getpid()}"
    # Created from the server's maintenance database: the one in DATABASE_URL need not exist.
    admin = urlunsplit(parts._replace(path="/postgres"))
    return admin, urlunsplit(parts._replace(path="/" + name)), name


def write_csv(path: Path, n: int) -> None:
    from accounts.integrations.sandbox_bulk import generate_transactions

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for _user, item in generate_transactions(
            n=n, users=1, start=date(2025, 1, 1), days=365, seed=7
        ):
            writer.writerow(
                (
                    item.provider_txn_id,
                    item.status,
                    item.booking_date.isoformat(),
                    item.transaction_date.isoformat() if item.transaction_date else "",
                    str(item.amount),
                    item.currency,
                    item.merchant_name,
                    item.merchant_id,
                    item.mcc,
                    item.provider_category,
                    item.description,
                )
            )


def bench_import(path: Path, n: int) -> tuple[float, dict]:
    import hashlib

    from django.utils import timezone

    from accounts.integrations.sources.registry import get_source
    from accounts.models import Consent, LinkedFeed, User
    from accounts.services.importing import transactions_import

    user = User.objects.create_user(email="bench@example.nl", password=None)
    feed = LinkedFeed.objects.create(user=user, provider="file", account_ref="bench")
    now = timezone.now()
    Consent.objects.create(
        user=user,
        feed=feed,
        scopes=["transactions"],
        purpose="benchmark",
        granted_at=now,
        expires_at=now + timezone.timedelta(days=1),
    )
    sha256 = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            sha256.update(chunk)
    profiler = None
    if os.environ.get("BENCH_PROFILE"):  # where does an import's time go?
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    from contextlib import ExitStack

    from django.db import connection

    timings: dict[str, float] = {}

    def timed(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = " ".join(str(sql).split())[:60]
            timings[key] = timings.get(key, 0.0) + time.perf_counter() - t0

    started = time.perf_counter()
    with ExitStack() as stack, path.open("rb") as stream:
        if os.environ.get("BENCH_TIMINGS"):
            stack.enter_context(connection.execute_wrapper(timed))
        batch = transactions_import(
            feed=feed,
            items=get_source("csv").parse(stream),
            source="command",
            format="csv",
            file_name=path.name,
            file_sha256=sha256.hexdigest(),
        )
    seconds = time.perf_counter() - started
    for key, spent in sorted(timings.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {spent:6.2f} s  {key}")
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(18)
    if batch.status != "done" or batch.count_new != n:
        raise SystemExit(f"import went wrong: {batch.status} {batch.count_new} {batch.errors}")
    return seconds, {"new": batch.count_new, "duration_ms": batch.duration_ms}


_BARE_COLUMNS = (
    "transaction_id text, status text, booking_date date, transaction_date date,"
    " amount numeric(14, 2), currency text, merchant_name text, merchant_id text, mcc text,"
    " category text, description text"
)


def bench_copy_rows(path: Path, *, stored: bool) -> float:
    """Parse with the importer's CSV source, COPY the rows into a bare table (no index, no
    constraint). ``stored``: every column the importer stores, the raw payload (jsonb), the
    normalised merchant and the fingerprint too: the COPY of the same rows. Otherwise only
    the 11 parsed fields."""
    import json

    from django.db import connection

    from accounts.integrations.sources.registry import get_source
    from accounts.normalise import normalise_merchant

    table = "bench_stored" if stored else "bench_rows"
    extra = (
        ", fingerprint text, pending_txn_id text, merchant_norm text, raw jsonb,"
        " is_reversal boolean"
        if stored
        else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {table} ({_BARE_COLUMNS}{extra})")
    raw = connection.connection
    norms: dict[str, str] = {}
    started = time.perf_counter()
    with (
        raw.transaction(),
        raw.cursor() as cursor,
        path.open("rb") as stream,
        cursor.copy(f"COPY {table} FROM STDIN") as copy,
    ):
        for item in get_source("csv").parse(stream):
            row = (
                item.provider_txn_id,
                item.status,
                item.booking_date,
                item.transaction_date,
                item.amount,
                item.currency,
                item.merchant_name,
                item.merchant_id,
                item.mcc,
                item.provider_category,
                item.description,
            )
            if stored:
                norm = norms.get(item.merchant_name)
                if norm is None:
                    norm = norms[item.merchant_name] = normalise_merchant(item.merchant_name)
                row += (
                    item.fingerprint,
                    item.pending_txn_id,
                    norm,
                    json.dumps(item.raw),
                    item.is_reversal,
                )
            copy.write_row(row)
    return time.perf_counter() - started


def bench_copy_file(path: Path) -> float:
    """The file's bytes into a bare table; PostgreSQL parses the CSV."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_file ({_BARE_COLUMNS})")
    raw = connection.connection
    started = time.perf_counter()
    with (
        raw.transaction(),
        raw.cursor() as cursor,
        path.open("rb") as stream,
        cursor.copy("COPY bench_file FROM STDIN (FORMAT csv, HEADER true)") as copy,
    ):
        while chunk := stream.read(1 << 20):
            copy.write(chunk)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=200_000, help="transactions (default 200,000)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    admin_url, bench_url, bench_name = scratch_url(os.environ.get("DATABASE_URL", ""))
    import psycopg

    admin_parts = urlsplit(admin_url)
    admin_dsn = urlunsplit(admin_parts._replace(scheme="postgresql"))
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{bench_name}"')
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DJANGO_DEBUG"] = "0"  # DEBUG would keep every query in memory
    # Local settings refuse their public key without DEBUG: a throwaway key for this process.
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "bench.csv"
            started = time.perf_counter()
            write_csv(path, args.n)
            size_mb = path.stat().st_size / 1e6
            print(
                f"generated {args.n:,} transactions as CSV ({size_mb:.1f} MB) "
                f"in {time.perf_counter() - started:.1f} s"
            )
            rss_before = peak_rss_mb()
            import_s, counts = bench_import(path, args.n)
            rss_after = peak_rss_mb()
            rows_s = bench_copy_rows(path, stored=False)
            stored_s = bench_copy_rows(path, stored=True)
            file_s = bench_copy_file(path)

        rate = args.n / import_s
        rows_rate = args.n / rows_s
        stored_rate = args.n / stored_s
        file_rate = args.n / file_s
        print(f"importer          : {import_s:6.2f} s {rate:10,.0f} rows/s  {counts}")
        print(
            f"COPY of the rows  : {stored_s:6.2f} s {stored_rate:10,.0f} rows/s  "
            "(same parser, every stored column incl. raw jsonb)"
        )
        print(
            f"COPY of the fields: {rows_s:6.2f} s {rows_rate:10,.0f} rows/s  "
            "(same parser, 11 parsed fields, no raw payload)"
        )
        print(f"COPY of the file  : {file_s:6.2f} s {file_rate:10,.0f} rows/s  (PostgreSQL parses)")
        print(
            f"ratio             : {rate / stored_rate:.2f} x COPY of the rows (target >= 0.5), "
            f"{rate / rows_rate:.2f} x COPY of the fields, "
            f"{rate / file_rate:.3f} x COPY of the file"
        )
        print(
            f"peak RSS          : {rss_before:.0f} MB before the import, {rss_after:.0f} MB after"
        )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            with psycopg.connect(admin_dsn, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
