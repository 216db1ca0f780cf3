"""The benchmark scripts keep working: a tiny run of each, as its own process.

Their figures are not asserted (timings belong to benchmarks, not tests); what is asserted is
that they finish and that the checks they print hold: no drift between balances and ledger.
A model change that the scripts' bulk loaders miss (a new NOT NULL column, say) fails here
rather than on the next person who measures.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_bench(script: str, *args: str, **extra_env: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(extra_env)
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


@pytest.mark.postgres
def test_the_scoring_benchmark_runs_and_finds_no_drift():
    out = run_bench(
        "scoring_bench.py", "--n", "3000", "--history", "1500", "--users", "30",
        "--chunk", "1000", "--workers", "2", BENCH_TIMINGS="1",
    )  # fmt: skip
    assert "drift: 0" in out
    # BENCH_TIMINGS: where the job's and the ceiling's time goes, statement by statement.
    assert "(whole chunks, commit included)" in out
    ceiling = out.split("the ceiling's statements:", 1)[1]
    assert "INSERT INTO bench_ga" in ceiling
    assert "transactions/s" in out and "ceiling" in out


@pytest.mark.postgres
def test_the_scoring_ab_benchmark_compares_two_checkouts_chunk_by_chunk():
    out = run_bench(
        "scoring_ab.py", "--a", str(ROOT), "--b", str(ROOT), "--n", "3000", "--chunk", "500",
    )  # fmt: skip
    assert "B / A:" in out
    assert "A (" in out and "B (" in out


@pytest.mark.postgres
def test_the_import_benchmark_runs():
    out = run_bench("import_bench.py", "--n", "2000")
    assert "rows/s" in out
    assert "csv, into that feed" in out  # the everyday case beside the first upload
    # The floor under any import: the finished rows written again, index by index, and queued.
    floor = out.split("write floor", 1)[1]
    for step in ("the table alone", "accounts_txn_unique_per_feed", "accounts_txn_user_date",
                 "the scoring queue", "x COPY of the file"):  # fmt: skip
        assert step in floor


def test_the_certificate_benchmark_runs():
    out = run_bench("certificate_bench.py", "-n", "3")
    assert "per certificate" in out


@pytest.mark.postgres
def test_the_api_load_benchmark_serves_every_endpoint():
    """Its --check mode (no wrk): gunicorn on the filled database answers each endpoint 2xx."""
    base = os.environ["DATABASE_URL"]
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DATABASE_URL"] = base + "_check"  # its own scratch database, not a real run's
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "api_load.py"), "--check", "--users", "40",
         "--tested", "4", "--months", "2", "--friends", "2"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "drift: 0" in result.stdout
    for label in ("bare view", "home", "collect (POST)", "transactions", "ledger", "leaderboard"):
        assert f"check: {label} 200" in result.stdout
