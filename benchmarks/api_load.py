"""The API under load: requests/s, p50 and p99 per endpoint next to a bare Django JSON view.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python benchmarks/api_load.py

Needs ``wrk`` (Debian: ``apt-get install -y wrk``) and PostgreSQL; Redis serves as the cache
(``CACHE_URL``, default ``redis://127.0.0.1:6379/1``). Creates a scratch database
(``<name>_api_load``), fills it (``--users`` users with a month of scored bank transactions,
and for the ``--tested`` users whose tokens the load uses a year of them: green actions, drops
and ledger entries made by the real nightly scoring; friends; a growing tree each), starts
gunicorn on loopback with DEBUG off (``config/gunicorn.conf.py``; ``--workers`` overrides)
and runs wrk at 1, 10 and 50 connections against each endpoint. Each request carries the
token of the next tested user, so the load is spread over ``--tested`` users.

The yardstick is ``/bench/bare``: Django's middleware stack answering a small JSON body, no
database and no authentication (``benchmarks/bench_urls.py``, served only by the
benchmark's settings). Every line prints the ratio of its requests/s to the bare view's at
the same concurrency, measured right before it in the same run. ``--src DIR`` serves another
checkout of the project (say the main branch) from the same database, for a before/after.

Reads are answered from each user's cached document (core/readcache.py) once it is built; the
warm-up reads each page once per tested user, so the figures are those of returning users
whose documents nothing has changed since (a write drops them: the reads after "collect"
start cold, hence the warm-up per endpoint). ``--no-read-cache`` serves with the cache off:
every read is built, the cost of a miss.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from scoring_bench import recreate_database, setup_django  # noqa: E402

ENDPOINTS = [
    # (label, method, path); {friend} is a friend of the requesting user
    ("bare view", "GET", "/bench/bare"),
    ("/healthz", "GET", "/healthz"),
    ("home", "GET", "/api/v1/forest"),
    ("collect (POST)", "POST", "/api/v1/drops/collect-all"),
    ("transactions", "GET", "/api/v1/transactions"),
    ("ledger", "GET", "/api/v1/ledger"),
    ("friends", "GET", "/api/v1/friends"),
    ("leaderboard", "GET", "/api/v1/friends/leaderboard"),
]


def scratch_url(base_url: str) -> str:
    head, _, name = base_url.rpartition("/")
    return f"{head}/{name}_api_load"


def fill(*, users: int, tested: int, months: int, friends: int) -> None:
    """Users and a month of scored transactions; a year for the tested users; friends; trees."""
    from django.db import connection
    from scoring_bench import NEW_ROWS, load

    from accounts.models import ChangedTransaction, Friendship, LinkedFeed, Transaction
    from catalogue.models import Sponsor
    from core.sql import table
    from forest.models import EnergyBalance, EnergyDrop, EnergyLedgerEntry
    from forest.scoring.engine import score_chunk
    from forest.scoring.jobs import scoring_run_create
    from forest.services.trees import tree_start
    from partners.demo import seed_demo_forests

    load(users * 20, users, campaign=True, raw_payload=True)
    txn = table(Transaction)
    cols = [f.column for f in Transaction._meta.concrete_fields if f.column not in ("id",)]
    shifted = {
        "provider_txn_id": "provider_txn_id || ':m' || k",
        "booking_date": "booking_date - (k * 30)",
        "transaction_date": "transaction_date - (k * 30)",
    }
    select = ", ".join(shifted.get(c, c) for c in cols)
    with connection.cursor() as cur:
        # A year for the tested users: their month, repeated eleven times further back.
        cur.execute(
            f"INSERT INTO {txn} ({', '.join(cols)}) SELECT {select} FROM {txn}, "
            f"generate_series(1, %s) AS k WHERE user_id <= %s",
            [months - 1, tested],
        )
        cur.execute(f"UPDATE {table(LinkedFeed)} SET consented_on = '2025-01-01'")
        cur.execute(
            f"INSERT INTO {table(ChangedTransaction)} (transaction_id, user_id, reason, "
            f"queued_at) SELECT id, user_id, 'new', now() FROM {txn} WHERE {NEW_ROWS}"
        )
        cur.execute("ANALYZE")
    run = scoring_run_create(triggered_by="bench", target=20_000)
    for chunk_id in run.chunks.order_by("id").values_list("id", flat=True):
        score_chunk(chunk_id)
    # Ripe drops to collect, for the tested users.
    EnergyDrop.objects.filter(user_id__lte=tested).update(
        ripe_at=_now() - timedelta(hours=1),
        expires_at=_now() + timedelta(days=2),
    )
    # A year of collected energy on the tested users' statements: each day a drop earned,
    # collected and moved to the balance (three entries), with the balances moved to match,
    # so the ledger stays consistent.
    ledger, balances = table(EnergyLedgerEntry), table(EnergyBalance)
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {ledger} (user_id, account, kind, grams, idempotency_key, memo, "
            "created_at) SELECT u, v.account, v.kind, v.grams, "
            "'bench:' || u || ':' || d || ':' || v.n, 'bench history', "
            "now() - d * interval '1 day' FROM generate_series(1, %s) AS u, "
            "generate_series(1, 365) AS d, (VALUES (1, 'drops', 'earn', 40), "
            "(2, 'drops', 'collect', -40), (3, 'balance', 'collect', 40)) "
            "AS v (n, account, kind, grams)",
            [tested],
        )
        cur.execute(
            f"INSERT INTO {balances} (user_id, account, grams) SELECT u, 'balance', 365 * 40 "
            "FROM generate_series(1, %s) AS u ON CONFLICT (user_id, account) "
            f"DO UPDATE SET grams = {balances}.grams + EXCLUDED.grams",
            [tested],
        )
    pairs = set()
    for uid in range(1, tested + 1):
        for step in range(1, friends + 1):
            other = (uid + step * 7 - 1) % users + 1
            if other != uid:
                pairs.add((min(uid, other), max(uid, other)))
    Friendship.objects.bulk_create(
        [
            Friendship(user_low_id=a, user_high_id=b, requested_by_id=a, status="accepted")
            for a, b in sorted(pairs)
        ]
    )
    sponsor = Sponsor.objects.get(slug="bench")
    for _line in seed_demo_forests(sponsor=sponsor):
        pass
    forest = sponsor.forests.get()
    species = forest.species.order_by("energy_cost_grams").first()
    for uid in range(1, tested + 1):
        tree_start(user_id=uid, species_id=species.id, forest_id=forest.id)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")


def _now():
    from django.utils import timezone

    return timezone.now()


def tokens(tested: int) -> list[str]:
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User

    return [str(AccessToken.for_user(u)) for u in User.objects.filter(id__lte=tested)]


LUA = """
local tokens = {%(tokens)s}
local i = 0
wrk.method = "%(method)s"
request = function()
  i = i + 1
  local t = tokens[(i %% #tokens) + 1]
  return wrk.format(nil, nil, {["Authorization"] = "Bearer " .. t,
                               ["Content-Type"] = "application/json"}, %(body)s)
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(
    src: Path, db_url: str, port: int, workers: int | None, *, read_cache: bool = True
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-" + "x" * 60),
        "PYTHONPATH": f"{src}{os.pathsep}{ROOT / 'benchmarks'}",
        "CELERY_BROKER_URL": "",
        "CANOPY_READ_CACHE": "true" if read_cache else "false",
    }
    cmd = [sys.executable, "-m", "gunicorn", "config.wsgi:application",
           "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]  # fmt: skip
    conf = src / "config" / "gunicorn.conf.py"
    if conf.exists():
        cmd += ["-c", str(conf)]
    if workers:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, cwd=src, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            if proc.poll() is not None:
                sys.exit("gunicorn did not start")
            time.sleep(0.2)
    sys.exit("gunicorn did not answer in 30 s")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def _percentile(out: str, which: str) -> float:
    found = re.search(rf"^\s+{which}%\s+([\d.]+(?:us|ms|s|m))\s*$", out, re.M)
    return _ms(found.group(1)) if found else float("nan")


def run_wrk(url: str, script: Path, connections: int, seconds: int) -> dict:
    threads = min(2, connections)
    out = subprocess.run(
        ["wrk", "--latency", "--timeout", "10s", f"-t{threads}", f"-c{connections}",
         f"-d{seconds}s", "-s",
         str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50, p99 = (_percentile(out, p) for p in ("50", "99"))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps, "p50": p50, "p99": p99, "non2xx": int(bad.group(1)) if bad else 0,
        "errors": errors.group(1) if errors else "",
    }  # fmt: skip


def fetch(port: int, method: str, path: str, token: str) -> int:
    """One request; its status."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method,
        data=b"{}" if method == "POST" else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def check(port: int, token: str, *, quiet: bool = False) -> bool:
    """One request per endpoint; prints each status. True when any answered other than 2xx."""
    failed = False
    for label, method, path in ENDPOINTS:
        status = fetch(port, method, path, token)
        failed |= not 200 <= status < 300
        if not quiet:
            print(f"check: {label} {status}")
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--tested", type=int, default=100, help="users whose tokens load it")
    parser.add_argument("--months", type=int, default=12, help="history of the tested users")
    parser.add_argument("--friends", type=int, default=20, help="friends per tested user")
    parser.add_argument("--seconds", type=int, default=5, help="per endpoint and concurrency")
    parser.add_argument("--concurrency", default="1,10,50")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: conf)")
    parser.add_argument("--only", default="", help="comma-separated labels to run")
    parser.add_argument("--src", default=str(ROOT), help="the project checkout to serve")
    parser.add_argument("--reuse", action="store_true", help="keep the filled database")
    parser.add_argument(
        "--no-read-cache", action="store_true",
        help="serve with CANOPY_READ_CACHE off: every read is built (the cache miss's cost)",
    )  # fmt: skip
    parser.add_argument(
        "--check", action="store_true",
        help="no load: one request per endpoint through gunicorn, each must answer 2xx (no wrk)",
    )  # fmt: skip
    args = parser.parse_args()
    if not args.check and shutil.which("wrk") is None:
        sys.exit("api_load needs wrk: apt-get install -y wrk (Debian/Ubuntu)")
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    if not base_url.startswith("postgres"):
        sys.exit("api_load needs DATABASE_URL=postgres://…")
    url = scratch_url(base_url)
    if not args.reuse:
        recreate_database(base_url, url)
    setup_django(url)
    if not args.reuse:
        started = time.perf_counter()
        fill(users=args.users, tested=args.tested, months=args.months, friends=args.friends)
        from forest.models import EnergyLedgerEntry, GreenAction
        from forest.services.energy import ledger_audit

        print(
            f"filled: {args.users:,} users, {GreenAction.objects.count():,} green actions, "
            f"{EnergyLedgerEntry.objects.count():,} ledger entries in "
            f"{time.perf_counter() - started:.0f} s; drift: {ledger_audit().drift_count}"
        )
    from django.db import connection

    token_list = tokens(args.tested)
    connection.close()

    port = free_port()
    server = start_gunicorn(
        Path(args.src).resolve(), url, port, args.workers or None,
        read_cache=not args.no_read_cache,
    )  # fmt: skip
    levels = [int(c) for c in args.concurrency.split(",")]
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    results: dict[str, dict[int, dict]] = {}
    for _ in range(2 * (args.workers or 4)):  # the first requests load Django's URLs
        check(port, token_list[0], quiet=True)
    if args.check:
        try:
            failed = check(port, token_list[0])
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        sys.exit(1 if failed else 0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            quoted = ", ".join(f'"{t}"' for t in token_list)
            bare_lua = Path(tmp) / "bare.lua"  # written first: "bare view" leads ENDPOINTS
            for label, method, path in ENDPOINTS:
                if only and label not in only and label != "bare view":
                    continue
                script = Path(tmp) / f"{label.split()[0].strip('/')}.lua"
                body = '"{}"' if method == "POST" else "nil"
                script.write_text(LUA % {"tokens": quoted, "method": method, "body": body})
                # Warm up: every worker has loaded its URLs, compiled its queries, connected;
                # and each tested user has read the page once (returning users: their
                # documents are built, core/readcache.py; --no-read-cache measures the build).
                run_wrk(f"http://127.0.0.1:{port}{path}", script, 4, 3)
                if method == "GET":
                    for token in token_list:
                        fetch(port, method, path, token)
                results[label] = {}
                for c in levels:
                    # The yardstick right before each figure: on a shared machine the load
                    # changes within a run, and the ratio should compare like with like.
                    if label != "bare view":
                        bare = run_wrk(f"http://127.0.0.1:{port}/bench/bare", bare_lua, c,
                                       args.seconds)  # fmt: skip
                    result = run_wrk(f"http://127.0.0.1:{port}{path}", script, c, args.seconds)
                    result["bare_rps"] = result["rps"] if label == "bare view" else bare["rps"]
                    results[label][c] = result

    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    if any(r["non2xx"] for r in results["bare view"].values()):  # the first yardstick
        sys.exit("the bare view answered errors: the figures mean nothing")
    print("ratio: requests/s over the bare view's, measured right before at the same concurrency")
    print(f"{'endpoint':<16}{'conc':>5}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}")
    for label, by_c in results.items():
        for c, r in by_c.items():
            ratio = r["rps"] / r["bare_rps"] if r["bare_rps"] else float("nan")
            flag = f"  ({r['non2xx']} non-2xx)" if r["non2xx"] else ""
            flag += f"  (socket errors: {r['errors']})" if r["errors"] else ""
            print(f"{label:<16}{c:>5}{r['rps']:>10,.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}"
                  f"{ratio:>8.3f}{flag}")  # fmt: skip


if __name__ == "__main__":
    main()
