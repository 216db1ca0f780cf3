"""The small differences between PostgreSQL and SQLite that the scoring SQL needs."""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter

from django.db import connection


@dataclass(frozen=True)
class Dialect:
    postgres: bool

    @property
    def greatest(self) -> str:
        return "GREATEST" if self.postgres else "MAX"

    @property
    def least(self) -> str:
        return "LEAST" if self.postgres else "MIN"

    def regex_match(self, text: str, pattern: str) -> str:
        """Case-insensitive regex test; SQLite uses the REGEXP function Django registers."""
        if self.postgres:
            return f"{text} ~* {pattern}"
        return f"{text} REGEXP ('(?i)' || {pattern})"

    def temp_table(self, name: str, columns: str) -> list[str]:
        # Dropped first too: inside an outer transaction (an admin action, a test) ON COMMIT
        # DROP has not fired yet when the next chunk starts.
        if self.postgres:
            return [
                f"DROP TABLE IF EXISTS pg_temp.{name}",
                f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP",
            ]
        return [f"DROP TABLE IF EXISTS temp.{name}", f"CREATE TEMP TABLE {name} ({columns})"]

    def drop_temp(self, name: str) -> list[str]:
        schema = "pg_temp" if self.postgres else "temp"
        return [f"DROP TABLE IF EXISTS {schema}.{name}"]

    def balance_upsert(self, rows_select: str) -> str:
        """Add the (user_id, account, grams) rows of ``rows_select`` to the cached balances.

        One upsert, never read-modify-write, so concurrent writers add to a row safely.
        SQLite needs a WHERE after INSERT ... SELECT to parse ON CONFLICT unambiguously.
        """
        where = "" if self.postgres else "WHERE 1=1"
        return f"""INSERT INTO forest_energybalance (user_id, account, grams)
                   {rows_select} {where}
                   ON CONFLICT (user_id, account)
                   DO UPDATE SET grams = forest_energybalance.grams + excluded.grams"""


def current_dialect() -> Dialect:
    return Dialect(postgres=connection.vendor == "postgresql")


def adapt_params(params):
    """Datetimes and dates the way Django stores them, for raw SQL on either database."""
    from datetime import date, datetime

    ops = connection.ops

    def adapt(value):
        if isinstance(value, datetime):
            return ops.adapt_datetimefield_value(value)
        if isinstance(value, date):
            return ops.adapt_datefield_value(value)
        return value

    if isinstance(params, dict):
        return {k: adapt(v) for k, v in params.items()}
    return [adapt(v) for v in params]


# The benchmark sets this to a dict to see where a chunk's time goes.
STATEMENT_TIMINGS: dict[str, float] | None = None


class ChunkSql:
    """Runs one chunk's statements on one cursor, with the dialect's spelling."""

    def __init__(self, cursor, dialect: Dialect):
        self.cursor = cursor
        self.d = dialect
        self.rules: list = []  # the ranked active rules (classify.RankedRule), once loaded
        self.kinds: set[str] = set()  # the equality matcher kinds those rules use

    def run(self, sql: str, params: dict | None = None) -> int:
        self._execute(sql, params)
        return self.cursor.rowcount

    def rows(self, sql: str, params: dict | None = None) -> list[tuple]:
        self._execute(sql, params)
        return self.cursor.fetchall()

    def _execute(self, sql: str, params: dict | None) -> None:
        started = perf_counter()
        self.cursor.execute(sql, adapt_params(params or {}))
        if STATEMENT_TIMINGS is not None:
            key = " ".join(sql.split())[:70]
            STATEMENT_TIMINGS[key] = STATEMENT_TIMINGS.get(key, 0.0) + perf_counter() - started

    def temp(self, name: str, columns: str) -> None:
        for statement in self.d.temp_table(name, columns):
            self._execute(statement, None)

    def add_to_balances(self, select: str, params: dict) -> None:
        """Add the (user, account, grams) rows of ``select`` to the cached balances in one
        upsert. No read-modify-write: concurrent chunks add to the same row safely."""
        self.run(self.d.balance_upsert(f"SELECT * FROM ({select}) delta"), params)
