"""Import throughput on PostgreSQL: the real importer against bare COPYs of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/canopy \
        .venv/bin/python benchmarks/import_bench.py [--n 200000] [--keep]

Creates a scratch database next to the one in DATABASE_URL (``<name>_importbench_<pid>``),
migrates it, writes N sandbox transactions
(``accounts.integrations.sandbox_bulk.generate_transactions``) as a Canopy CSV file, and measures
in the same run:

* the yardstick, COPY of the file: its bytes into a bare table, parsed by PostgreSQL itself;
* ``feed_file_import`` of the CSV (on PostgreSQL the COPY path, ``accounts/services/
  import_copy.py``), and of the same transactions as one camt.053 statement and one OFX
  statement (``--formats``), each into its own feed; ``--python-path`` also imports the CSV
  through the Python parser;
* the write floor: the CSV import's finished rows inserted again into an empty table like the
  transactions table, index by index, then with the scoring queue (``write_floor``): what any
  import into this schema costs at least;
* with ``--yardsticks``, the older ones: the rows the Python CSV parser makes, COPY'd into a
  bare table (with and without the stored columns).

Prints rows/s for each, its ratio to COPY of the file and whether the CSV import meets issue
13's goal (>= 100,000 rows/s and >= 0.2 x COPY of the file), and the process's peak RSS before
and after each import, which does not grow with N. ``BENCH_TIMINGS=1`` lists the slowest
statements of each import, ``BENCH_EXPLAIN=<statement prefix>`` prints a statement's plan.
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


BENCH_IBAN = "NL91ABNA0417164300"


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


def write_csv(path: Path, n: int, *, seed: int = 7, start: date = date(2025, 1, 1)) -> None:
    from accounts.integrations.sandbox_bulk import generate_transactions

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for _user, item in generate_transactions(n=n, users=1, start=start, days=365, seed=seed):
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


def _items(n: int):
    from accounts.integrations.sandbox_bulk import generate_transactions

    for _user, item in generate_transactions(
        n=n, users=1, start=date(2025, 1, 1), days=365, seed=7
    ):
        yield item


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_camt053(path: Path, n: int) -> None:
    """The same transactions as one camt.053.001.08 statement of account ``BENCH_IBAN``."""
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">\n'
            "<BkToCstmrStmt><GrpHdr><MsgId>BENCH-1</MsgId>"
            "<CreDtTm>2026-01-01T06:00:00+01:00</CreDtTm></GrpHdr>\n<Stmt><Id>BENCH-STMT</Id>"
            "<CreDtTm>2026-01-01T06:00:00+01:00</CreDtTm>"
            f"<Acct><Id><IBAN>{BENCH_IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>\n"
        )
        for item in _items(n):
            side = "DBIT" if item.amount < 0 else "CRDT"
            status = "BOOK" if item.status == "booked" else "PDNG"
            party = "Cdtr" if side == "DBIT" else "Dbtr"
            day = (item.booking_date or item.transaction_date).isoformat()
            out.write(
                f"<Ntry><NtryRef>{item.provider_txn_id}</NtryRef>"
                f'<Amt Ccy="{item.currency}">{abs(item.amount)}</Amt>'
                f"<CdtDbtInd>{side}</CdtDbtInd><Sts><Cd>{status}</Cd></Sts>"
                f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>"
                f"<AcctSvcrRef>{item.provider_txn_id}</AcctSvcrRef><NtryDtls><TxDtls>"
                f"<RltdPties><{party}><Pty><Nm>{_xml(item.merchant_name or 'Onbekend')}</Nm>"
                f"</Pty></{party}></RltdPties><RmtInf><Ustrd>{_xml(item.description)}</Ustrd>"
                "</RmtInf></TxDtls></NtryDtls></Ntry>\n"
            )
        out.write("</Stmt></BkToCstmrStmt></Document>\n")


def write_ofx(path: Path, n: int) -> None:
    """The same transactions as one OFX 1.02 (SGML) bank statement of account ``BENCH_IBAN``."""
    with path.open("w", encoding="ascii", errors="replace") as out:
        out.write(
            "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n"
            "CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
            "<OFX>\n<SIGNONMSGSRSV1>\n<SONRS>\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n</STATUS>\n"
            "<DTSERVER>20260101120000\n<LANGUAGE>DUT\n</SONRS>\n</SIGNONMSGSRSV1>\n"
            "<BANKMSGSRSV1>\n<STMTTRNRS>\n<TRNUID>1\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n"
            "</STATUS>\n<STMTRS>\n<CURDEF>EUR\n<BANKACCTFROM>\n<BANKID>BENCHNL2A\n"
            f"<ACCTID>{BENCH_IBAN}\n<ACCTTYPE>CHECKING\n</BANKACCTFROM>\n<BANKTRANLIST>\n"
            "<DTSTART>20250101\n<DTEND>20251231\n"
        )
        for item in _items(n):
            if item.status != "booked":
                continue  # OFX lists booked transactions only
            day = item.booking_date.strftime("%Y%m%d")
            out.write(
                f"<STMTTRN>\n<TRNTYPE>{'DEBIT' if item.amount < 0 else 'CREDIT'}\n"
                f"<DTPOSTED>{day}\n<TRNAMT>{item.amount}\n<FITID>{item.provider_txn_id}\n"
                f"<NAME>{_xml(item.merchant_name or 'Onbekend')[:32]}\n"
                f"<MEMO>{_xml(item.description)}\n</STMTTRN>\n"
            )
        out.write(
            "</BANKTRANLIST>\n<LEDGERBAL>\n<BALAMT>0.00\n<DTASOF>20251231\n</LEDGERBAL>\n"
            "</STMTRS>\n</STMTTRNRS>\n</BANKMSGSRSV1>\n</OFX>\n"
        )


def bench_import(
    path: Path,
    n: int,
    *,
    format: str = "csv",
    python_path: bool = False,
    email: str = "",
    feed=None,
) -> tuple[float, dict]:
    import hashlib

    from django.utils import timezone

    from accounts.integrations.sources.registry import get_source
    from accounts.models import Consent, LinkedFeed, User
    from accounts.services.importing import feed_file_import, transactions_import

    if feed is None:  # a new feed: the first statement a user uploads
        user = User.objects.create_user(email=email or f"bench-{format}@example.nl", password=None)
        feed = LinkedFeed.objects.create(user=user, provider="file", account_ref=BENCH_IBAN)
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
        explain = os.environ.get("BENCH_EXPLAIN")  # a statement's plan, e.g. "INSERT INTO canopy"
        if explain and str(sql).startswith(explain):
            cursor = context["cursor"]
            cursor.execute("SAVEPOINT bench_explain")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print("\n".join(row[0] for row in cursor.fetchall()))
            cursor.execute("ROLLBACK TO SAVEPOINT bench_explain")
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = " ".join(str(sql).split())[:60]
            timings[key] = timings.get(key, 0.0) + time.perf_counter() - t0

    started = time.perf_counter()
    with ExitStack() as stack, path.open("rb") as stream:
        stack.enter_context(connection.execute_wrapper(timed))
        if python_path:
            batch = transactions_import(
                feed=feed,
                items=get_source(format).parse(stream),
                source="command",
                format=format,
                file_name=path.name,
                file_sha256=sha256.hexdigest(),
            )
        else:  # what uploads and the command run (the COPY path for CSV, on by default)
            batch = feed_file_import(
                feed=feed, file=stream, file_name=path.name, source="command", format=format
            )
    seconds = time.perf_counter() - started
    if os.environ.get("BENCH_TIMINGS"):
        for key, spent in sorted(timings.items(), key=lambda kv: -kv[1])[:10]:
            print(f"  {spent:6.2f} s  {key}")
    # The merge's INSERT of the new rows into the indexed table and the scoring queue: what
    # every path pays after parsing, whatever the parser.
    merge = sum(spent for key, spent in timings.items() if key.startswith("WITH inserted AS"))
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(18)
    if batch.status != "done" or (n and batch.count_new != n):
        raise SystemExit(f"import went wrong: {batch.status} {batch.count_new} {batch.errors}")
    return seconds, {
        "new": batch.count_new,
        "duration_ms": batch.duration_ms,
        "merge_s": merge,
        "feed": feed,
        "batch": batch.pk,
    }


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


def write_floor(batch_id: int, *, repeats: int = 2) -> list[tuple[str, float]]:
    """What writing the import's finished rows costs PostgreSQL, whatever makes them.

    The rows ``batch_id`` imported are copied aside (not timed), then inserted again into an
    empty table with the transactions table's columns: first with no index, then adding the
    table's indexes one at a time, then with the scoring queue's insert too, as the import's
    one statement does (``WITH inserted AS (…) INSERT INTO <queue>``). Nothing is parsed,
    checked or normalised: this is the floor under any import into this schema. Each step is
    the fastest of ``repeats``, after a CHECKPOINT. Returns ``(step, seconds)`` with the
    seconds of everything up to that step.
    """
    from django.db import connection

    from accounts.models import ChangedTransaction, Transaction
    from core.sql import table as table_name

    txn, queue = table_name(Transaction), table_name(ChangedTransaction)
    steps: list[tuple[str, float]] = []
    with connection.cursor() as cur:
        cur.execute("SET jit = off")  # as the import's own statements run
        cur.execute(
            f"CREATE TABLE bench_floor_src AS SELECT * FROM {txn} WHERE import_batch_id = %s",
            [batch_id],
        )
        cur.execute(f"CREATE TABLE bench_floor (LIKE {txn} INCLUDING DEFAULTS)")
        cur.execute(f"CREATE TABLE bench_floor_queue (LIKE {queue} INCLUDING ALL)")
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "ORDER BY indexname LIKE '%%pkey' DESC, indexname",
            [txn.strip('"')],
        )
        indexes = cur.fetchall()

        def timed(statement: str) -> float:
            best = float("inf")
            for _ in range(repeats):
                cur.execute("TRUNCATE bench_floor, bench_floor_queue")
                cur.execute("CHECKPOINT")
                started = time.perf_counter()
                cur.execute(statement)
                best = min(best, time.perf_counter() - started)
            return best

        insert = "INSERT INTO bench_floor SELECT * FROM bench_floor_src"
        steps.append(("the table alone (its heap)", timed(insert)))
        for number, (name, definition) in enumerate(indexes):
            head, _, columns = definition.partition(" USING ")
            unique = "UNIQUE " if head.startswith("CREATE UNIQUE") else ""
            cur.execute(f"CREATE {unique}INDEX bench_floor_{number} ON bench_floor USING {columns}")
            steps.append((f"+ index {name}", timed(insert)))
        steps.append(
            (
                f"+ the scoring queue ({queue.strip(chr(34))}, a row per booked row)",
                timed(
                    f"WITH inserted AS ({insert} RETURNING id, user_id, status)"
                    " INSERT INTO bench_floor_queue (transaction_id, user_id, reason, queued_at)"
                    " SELECT id, user_id, 'new', now() FROM inserted WHERE status = 'booked'"
                ),
            )
        )
        for name in ("bench_floor_src", "bench_floor", "bench_floor_queue"):
            cur.execute(f"DROP TABLE {name}")
        cur.execute("RESET jit")  # the later imports run as they do in production
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=200_000, help="transactions (default 200,000)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--formats", default="csv,camt053,ofx", help="formats to import (default csv,camt053,ofx)"
    )
    parser.add_argument(
        "--python-path", action="store_true", help="also import the CSV through the Python path"
    )
    parser.add_argument(
        "--yardsticks",
        action="store_true",
        help="also time COPY of the rows the Python CSV parser makes (slow)",
    )
    args = parser.parse_args()

    admin_url, bench_url, bench_name = scratch_url(os.environ.get("DATABASE_URL", ""))
    import psycopg

    admin_parts = urlsplit(admin_url)
    admin_dsn = urlunsplit(admin_parts._replace(scheme="postgresql"))
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{bench_name}"')
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("CANOPY_MAX_TRANSACTIONS_PER_FEED", str(10 * max(args.n, 100_000)))
    os.environ.setdefault("CANOPY_IMPORT_COPY", "1")  # the CSV import measures the COPY path
    os.environ["DJANGO_DEBUG"] = "0"  # DEBUG would keep every query in memory
    # Local settings refuse their public key without DEBUG: a throwaway key for this process.
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        formats = [f.strip() for f in args.formats.split(",") if f.strip()]
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "bench.csv"
            started = time.perf_counter()
            write_csv(path, args.n)
            size_mb = path.stat().st_size / 1e6
            print(
                f"generated {args.n:,} transactions as CSV ({size_mb:.1f} MB) "
                f"in {time.perf_counter() - started:.1f} s"
            )
            file_s = bench_copy_file(path)
            file_rate = args.n / file_s
            print(
                f"COPY of the file  : {file_s:6.2f} s {file_rate:10,.0f} rows/s  "
                "(PostgreSQL parses the CSV into a bare table: the yardstick)"
            )
            writers = {"csv": None, "camt053": write_camt053, "ofx": write_ofx}
            runs = [(f, False) for f in formats] + ([("csv", True)] if args.python_path else [])
            for format, python_path in runs:
                target = path
                if writers[format] is not None:
                    target = Path(scratch) / f"bench.{format}"
                    writers[format](target, args.n)
                rss_before = peak_rss_mb()
                seconds, counts = bench_import(
                    target,
                    args.n if format != "ofx" else 0,
                    format=format,
                    python_path=python_path,
                    email=f"bench-{format}-{int(python_path)}@example.nl",
                )
                rss_after = peak_rss_mb()
                rate = counts["new"] / seconds
                label = f"{format}{' (Python path)' if python_path else ''}"
                print(
                    f"import {label:<19}: {seconds:6.2f} s {rate:10,.0f} rows/s  "
                    f"{rate / file_rate:.3f} x COPY of the file  "
                    f"({target.stat().st_size / 1e6:.1f} MB, {counts['new']:,} rows; "
                    f"peak RSS {rss_before:.0f} -> {rss_after:.0f} MB)"
                )
                merge_s = counts["merge_s"]
                print(
                    f"  of which the INSERT of the new rows (indexed table + scoring queue): "
                    f"{merge_s:.2f} s = {merge_s / file_s:.1f} x COPY of the file"
                )
                if format == "csv" and not python_path:
                    goal = rate >= 100_000 and rate >= 0.2 * file_rate
                    print(
                        "goal (CSV)        : >= 100,000 rows/s and >= 0.2 x COPY of the file: "
                        + ("met" if goal else "NOT met")
                    )
                    steps = write_floor(counts["batch"])
                    print(
                        "write floor       : the same finished rows inserted again into an "
                        "empty table like the transactions table (nothing parsed or checked)"
                    )
                    before = 0.0
                    for step, spent in steps:
                        print(f"  {step:<58} {spent - before:+6.2f} s")
                        before = spent
                    floor_s = steps[-1][1]
                    print(
                        f"  all of it: {floor_s:.2f} s = {floor_s / file_s:.1f} x COPY of the "
                        f"file; the goal's 0.2 x leaves {1 / 0.2:.0f} x for the whole import, the "
                        "reading of the file included"
                    )
                    print(
                        f"  the import above took {seconds / floor_s:.2f} x its write floor "
                        f"({floor_s / seconds:.2f} of its time is the floor's writes)"
                    )
                    # The next year's statement into the same feed, which now holds rows: the
                    # everyday case, not only a first upload into an empty feed.
                    second = Path(scratch) / "bench-next-year.csv"
                    write_csv(second, args.n, seed=8, start=date(2026, 1, 1))
                    seconds, more = bench_import(second, args.n, feed=counts["feed"])
                    rate = more["new"] / seconds
                    print(
                        f"import {'csv, into that feed':<19}: {seconds:6.2f} s "
                        f"{rate:10,.0f} rows/s  {rate / file_rate:.3f} x COPY of the file  "
                        f"(the next year's {more['new']:,} rows, the feed holding a year)"
                    )
            if args.yardsticks:
                rows_s = bench_copy_rows(path, stored=False)
                stored_s = bench_copy_rows(path, stored=True)
                print(
                    f"COPY of the rows  : {stored_s:6.2f} s {args.n / stored_s:10,.0f} rows/s  "
                    "(Python CSV parser, every stored column incl. raw jsonb)"
                )
                print(
                    f"COPY of the fields: {rows_s:6.2f} s {args.n / rows_s:10,.0f} rows/s  "
                    "(Python CSV parser, 11 parsed fields, no raw payload)"
                )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            with psycopg.connect(admin_dsn, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
