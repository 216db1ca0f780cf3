"""PgBouncer in transaction pooling and the read replica's settings (docs/deploy.md, "PgBouncer";
docs/scale.md). .ci/run also runs the API tests on PostgreSQL through a real PgBouncer."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS

from core.replica import REPLICA, PrimaryReplicaRouter, reporting_database
from tests.test_production_settings import EXAMPLE_ENV, run_manage

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "catalogue", "core", "forest", "partners", "privacy", "demo", "config"]
SHOW = (
    "import json; from django.conf import settings; "
    "print(json.dumps({'db': settings.DATABASES, 'routers': settings.DATABASE_ROUTERS}, "
    "default=str))"
)


def _settings(**env: str) -> dict:
    result = run_manage("shell", "-c", SHOW, env={**EXAMPLE_ENV, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_transaction_pooling_keeps_nothing_beyond_a_transaction():
    shown = _settings(
        CANOPY_DATABASE_POOLING="transaction",
        CANOPY_REPLICA_DATABASE_URL="postgres://canopy@10.0.0.2:6432/canopy",
    )
    for alias in (DEFAULT_DB_ALIAS, REPLICA):
        db = shown["db"][alias]
        assert db["DISABLE_SERVER_SIDE_CURSORS"] is True  # no WITH HOLD cursors
        assert db["OPTIONS"]["prepare_threshold"] is None  # no server-side prepared statements
    replica = shown["db"][REPLICA]
    assert (replica["HOST"], replica["PORT"]) == ("10.0.0.2", 6432)
    assert replica["TEST"]["MIRROR"] == "default"
    assert shown["routers"] == ["core.replica.PrimaryReplicaRouter"]


def test_without_pooling_django_keeps_its_defaults_and_there_is_no_replica():
    shown = _settings()
    assert "DISABLE_SERVER_SIDE_CURSORS" not in shown["db"][DEFAULT_DB_ALIAS]
    assert "prepare_threshold" not in shown["db"][DEFAULT_DB_ALIAS].get("OPTIONS", {})
    assert set(shown["db"]) == {DEFAULT_DB_ALIAS}


def test_an_unknown_pooling_mode_is_refused():
    result = run_manage("check", env={**EXAMPLE_ENV, "CANOPY_DATABASE_POOLING": "statement"})
    assert result.returncode != 0
    assert "CANOPY_DATABASE_POOLING" in result.stderr


def _sources() -> list[tuple[Path, str]]:
    return [
        (path, path.read_text())
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def test_no_session_state_that_transaction_pooling_would_leak_or_lose():
    """Under transaction pooling the next transaction may run on another server connection:
    session-level advisory locks, SET without LOCAL, temp tables that outlive the transaction,
    LISTEN and WITH HOLD cursors would be lost or leak to another client. Canopy uses row
    locks (core/locks.py), pg_advisory_xact_lock at most, SET LOCAL and ON COMMIT DROP (scoring's
    session-long temp tables are switched off under transaction pooling)."""
    session_lock = re.compile(r"pg_(try_)?advisory_lock(_shared)?\s*\(", re.I)
    plain_set = re.compile(r"execute\(\s*f?[\"']SET (?!LOCAL)", re.I)
    temp_table = re.compile(r"CREATE\s+TEMP(ORARY)?\s+TABLE", re.I)
    session_only = re.compile(r"\b(LISTEN|WITH HOLD|DECLARE\s+\w+\s+CURSOR)\b")
    found = []
    for path, text in _sources():
        rel = path.relative_to(ROOT).as_posix()
        for pattern in (session_lock, plain_set, session_only):
            found += [f"{rel}: {m.group(0)}" for m in pattern.finditer(text)]
        if rel != "core/sql.py":  # its session-long kind is checked below
            # A temp table made elsewhere must go with its transaction: ON COMMIT DROP in the
            # same statement (the next few lines of source).
            found += [
                f"{rel}: {m.group(0)} without ON COMMIT DROP"
                for m in temp_table.finditer(text)
                if "ON COMMIT DROP" not in text[m.start() : m.start() + 400]
            ]
    assert found == []
    sql = (ROOT / "core" / "sql.py").read_text()
    assert 'f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP"' in sql
    # Scoring's session-long tables (ON COMMIT DELETE ROWS) only where session state is allowed:
    # tests/forest/test_scoring_temp_tables.py holds that they are never made under pooling.
    assert "def session_state_allowed" in sql
    assert 'f"SET LOCAL {name} = {value}"' in sql


def test_the_router_keeps_writes_and_migrations_on_the_primary():
    router = PrimaryReplicaRouter()
    assert router.db_for_read(object) is None  # the primary, or the row's own database
    assert router.db_for_write(object) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "forest") is True
    assert router.allow_migrate(REPLICA, "forest") is False


def test_without_a_replica_reports_read_the_primary():
    assert reporting_database() == DEFAULT_DB_ALIAS
