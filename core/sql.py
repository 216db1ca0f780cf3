"""The one place that knows which database runs the raw SQL: PostgreSQL or SQLite.

Set-based code (scoring, the fraud sweep, badges, the importer, claim codes) writes one SQL
text for both databases and asks this module for the few spellings that differ, for a bulk
load (COPY on PostgreSQL), for parameters as Django stores them, and for table names taken from
the models (``table(Model)``) rather than typed as literals.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice

from django.conf import settings
from django.db import connection


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def table(model) -> str:
    """The quoted table name of ``model`` (a class or an instance), for raw SQL."""
    return connection.ops.quote_name(model._meta.db_table)


@dataclass(frozen=True)
class Dialect:
    """The spellings that differ between PostgreSQL and SQLite."""

    postgres: bool

    # --- functions -------------------------------------------------------------------------
    @property
    def greatest(self) -> str:
        """The name of the row-wise maximum: ``{d.greatest}(a, b)``."""
        return "GREATEST" if self.postgres else "MAX"

    @property
    def least(self) -> str:
        return "LEAST" if self.postgres else "MIN"

    def smallest(self, *args: str) -> str:
        """The row-wise minimum of ``args``."""
        return f"{self.least}({', '.join(args)})"

    def regex_match(self, text: str, pattern: str) -> str:
        """Case-insensitive regex test; SQLite uses the REGEXP function Django registers."""
        if self.postgres:
            return f"{text} ~* {pattern}"
        return f"{text} REGEXP ('(?i)' || {pattern})"

    def leading_words(self, text: str, count: int) -> str:
        """The first ``count`` space-separated words of ``text`` (single spaces, as the
        normaliser writes them), or NULL if it has fewer words; ``count`` is 1 to 3."""
        if self.postgres:
            parts = [f"split_part({text}, ' ', {i})" for i in range(1, count + 1)]
            if count == 1:
                return parts[0]
            joined = " || ' ' || ".join(parts)
            return f"CASE WHEN {parts[-1]} <> '' THEN {joined} END"
        # SQLite has no split_part: the ends of the first words, from instr().
        end1 = f"instr({text} || ' ', ' ')"
        rest1 = f"substr({text}, {end1} + 1)"
        if count == 1:
            return f"substr({text}, 1, {end1} - 1)"
        end2 = f"instr({rest1} || ' ', ' ')"
        if count == 2:
            return f"CASE WHEN {rest1} <> '' THEN substr({text}, 1, {end1} + {end2} - 1) END"
        rest2 = f"substr({rest1}, {end2} + 1)"
        end3 = f"instr({rest2} || ' ', ' ')"
        return (
            f"CASE WHEN {rest1} <> '' AND {rest2} <> '' "
            f"THEN substr({text}, 1, {end1} + {end2} + {end3} - 1) END"
        )

    def leading_words_once(self, text: str, count: int) -> tuple[str, list[str]]:
        """The first one to ``count`` words of ``text`` as ``leading_words`` gives them, split
        once per row: ``(select list, [expression for 1 word, for 2, ...])``, the select list
        to put in a subquery (aliased ``s``) under ``fence``, the expressions to use above it.
        PostgreSQL splits each word once instead of once per probe; SQLite as before."""
        if not self.postgres:
            return "", [self.leading_words(text, n) for n in range(1, count + 1)]
        words = [f"s.w{i}" for i in range(1, count + 1)]
        select = ", ".join(f"split_part({text}, ' ', {i}) AS w{i}" for i in range(1, count + 1))
        glue = " || ' ' || "
        exprs = [words[0]] + [
            f"CASE WHEN {words[n - 1]} <> '' THEN {glue.join(words[:n])} END"
            for n in range(2, count + 1)
        ]
        return select, exprs

    @property
    def fence(self) -> str:
        """Ends a subquery the planner must not merge into the query above it (PostgreSQL:
        ``OFFSET 0``), so what it selects is worked out once per row, not once per use."""
        return " OFFSET 0" if self.postgres else ""

    # --- dates -----------------------------------------------------------------------------
    def day(self, timestamp: str) -> str:
        """The date of a timestamp."""
        return f"CAST({timestamp} AS DATE)" if self.postgres else f"date({timestamp})"

    def days_before(self, day: str, days: int) -> str:
        """The date ``days`` days before the date ``day``."""
        days = int(days)
        if self.postgres:
            return f"{day} - INTERVAL '{days} days'"
        return f"date({day}, '-{days} days')"

    def seconds_between(self, later: str, earlier: str) -> str:
        if self.postgres:
            return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
        return f"((julianday({later}) - julianday({earlier})) * 86400.0)"

    def week_number(self, column: str) -> str:
        """Whole weeks since Monday 5 January 1970: equal for dates in the same ISO week."""
        if self.postgres:
            return f"(({column} - DATE '1970-01-05') / 7)"
        return f"(CAST(julianday({column}) - julianday('1970-01-05') AS INTEGER) / 7)"

    # --- JSON ------------------------------------------------------------------------------
    def json_object(self, **pairs: str) -> str:
        args = ", ".join(f"'{key}', {value}" for key, value in pairs.items())
        return f"jsonb_build_object({args})" if self.postgres else f"json_object({args})"

    def json_agg_distinct(self, expr: str) -> str:
        if self.postgres:
            return f"jsonb_agg(DISTINCT {expr})"
        return f"json_group_array(DISTINCT {expr})"

    def json_nested(self, column: str) -> str:
        """A JSON column read back from a CTE; SQLite loses the JSON subtype on the way."""
        return column if self.postgres else f"json({column})"

    # --- statements ------------------------------------------------------------------------
    @property
    def for_update(self) -> str:
        """A row lock suffix; SQLite has none (one writer at a time holds the database)."""
        return " FOR UPDATE" if self.postgres else ""

    @property
    def upsert_guard(self) -> str:
        """Between ``INSERT … SELECT`` and ``ON CONFLICT``: SQLite needs a WHERE to parse it."""
        return "" if self.postgres else "WHERE 1=1"

    def temp_table(self, name: str, columns: str, *, drop_first: bool = True) -> list[str]:
        """Create a temp table that goes with the transaction (PostgreSQL: ON COMMIT DROP)."""
        # Dropped first too: inside an outer transaction (an admin action, a test) ON COMMIT
        # DROP has not fired yet when the next chunk starts.
        statements = self.drop_temp(name) if drop_first else []
        if self.postgres:
            return [*statements, f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP"]
        return [*statements, f"CREATE TEMP TABLE {name} ({columns})"]

    def session_temp_table(self, name: str, columns: str, *, keep_rows: bool = False) -> list[str]:
        """PostgreSQL: a temp table kept for the database session and emptied at each commit
        (or, ``keep_rows``, not), for work that makes the same tables transaction after
        transaction (nightly scoring's chunks). Never under transaction pooling
        (``session_state_allowed``): the next transaction may run on another server
        connection."""
        on_commit = "PRESERVE ROWS" if keep_rows else "DELETE ROWS"
        return [f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT {on_commit}"]

    def session_temp_tables(self) -> str:
        """The names of this session's temp tables (PostgreSQL), asked of the catalogue."""
        return (
            "SELECT relname FROM pg_class "
            "WHERE relnamespace = pg_my_temp_schema() AND relkind = 'r'"
        )

    def drop_temp(self, name: str) -> list[str]:
        schema = "pg_temp" if self.postgres else "temp"
        return [f"DROP TABLE IF EXISTS {schema}.{name}"]

    def set_local(self, name: str, value: str) -> list[str]:
        """A planner or commit setting for the rest of this transaction; SQLite has none."""
        return [f"SET LOCAL {name} = {value}"] if self.postgres else []

    def analyze(self, name: str, columns: str = "") -> list[str]:
        """Statistics for a fresh temp table (autovacuum never analyses them); SQLite: none."""
        if not self.postgres:
            return []
        return [f"ANALYZE {name} ({columns})" if columns else f"ANALYZE {name}"]


def session_state_allowed() -> bool:
    """False behind PgBouncer in transaction pooling (``CANOPY_DATABASE_POOLING``), where
    nothing may outlive a transaction."""
    return getattr(settings, "CANOPY_DATABASE_POOLING", "") != "transaction"


def current_dialect() -> Dialect:
    return Dialect(postgres=is_postgres())


def adapt_params(params):
    """Datetimes and dates the way Django stores them, for raw SQL on either database."""
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


def insert_rows(cursor, table_name: str, types: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert a few hundred ``rows`` (``types``: their SQL types, one per column) on ``cursor``.

    PostgreSQL: one statement, ``unnest`` of one array per column, not a round trip per row.
    SQLite: ``executemany`` (no round trips to save in-process).
    """
    if is_postgres():
        arrays = ", ".join(f"%s::{kind}[]" for kind in types)
        columns = [list(column) for column in zip(*rows, strict=True)] or [[] for _ in types]
        cursor.execute(f"INSERT INTO {table_name} SELECT * FROM unnest({arrays})", columns)
        return
    placeholders = ", ".join("%s" for _ in types)
    cursor.executemany(
        f"INSERT INTO {table_name} VALUES ({placeholders})", [adapt_params(list(r)) for r in rows]
    )


def _chunks(rows: Iterable[tuple], size: int | None) -> Iterator[Iterable[tuple]]:
    """``size`` rows at a time; without a size, all of them as they come (never in a list)."""
    if not size:
        yield rows
        return
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def copy_rows(
    table_name: str,
    columns: Sequence[str],
    rows: Iterable[tuple],
    *,
    chunk_size: int | None = None,
) -> None:
    """Bulk-load ``rows`` into ``table_name``: COPY on PostgreSQL, executemany on SQLite.

    Runs on Django's connection (same session, same transaction). With ``chunk_size``, one
    COPY per chunk: an error raised while a chunk is read happens before its COPY starts, so
    no COPY is left half-open.
    """
    if is_postgres():
        _copy_postgres(table_name, columns, rows, chunk_size)
    else:
        _executemany_sqlite(table_name, columns, rows, chunk_size)


def _copy_postgres(table_name, columns, rows, chunk_size) -> None:
    connection.ensure_connection()
    statement = f"COPY {table_name} ({', '.join(columns)}) FROM STDIN"
    with connection.connection.cursor() as cursor:
        for chunk in _chunks(rows, chunk_size):
            with cursor.copy(statement) as copy:
                for row in chunk:
                    copy.write_row(row)


def _executemany_sqlite(table_name, columns, rows, chunk_size) -> None:
    connection.ensure_connection()
    placeholders = ", ".join("?" for _ in columns)
    statement = f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES ({placeholders})"
    for chunk in _chunks(rows, chunk_size):
        connection.connection.executemany(statement, chunk)
