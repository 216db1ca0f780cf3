"""Running a scoring chunk's statements; the dialect itself is ``core.sql``."""

from __future__ import annotations

from time import perf_counter

from accounts.models import LinkedFeed, Profile, Transaction, User
from catalogue.models import Campaign
from core.sql import Dialect, adapt_params, insert_rows, session_state_allowed, table
from forest.models import (
    CurrencyRate,
    EnergyDrop,
    GreenAction,
    GreenActionRule,
)
from forest.services.ledger import balance_upsert

# The tables the scoring SQL names, from the models. Other apps' tables are only read here.
TRANSACTIONS = table(Transaction)
FEEDS = table(LinkedFeed)
USERS = table(User)
PROFILES = table(Profile)
CAMPAIGNS = table(Campaign)
RATES = table(CurrencyRate)
DROPS = table(EnergyDrop)
GREEN_ACTIONS = table(GreenAction)
RULES = table(GreenActionRule)


# The benchmark sets this to a dict to see where a chunk's time goes.
STATEMENT_TIMINGS: dict[str, float] | None = None


class ChunkSql:
    """Runs one chunk's statements on one cursor, with the dialect's spelling."""

    def __init__(self, cursor, dialect: Dialect):
        self.cursor = cursor
        self.d = dialect
        self.rules: list = []  # the ranked active rules (classify.RankedRule), once loaded
        self.kinds: set[str] = set()  # the equality matcher kinds those rules use
        # Set when the pilot lets self-reported rows earn: score_selfrep lists them.
        self.self_reported = False
        self._session_temps: set[str] | None = None  # this session's temp tables (PostgreSQL)

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

    def temp(self, name: str, columns: str, *, reuse: bool = True, keep_rows: bool = False) -> bool:
        """An empty temp table for this chunk; True if it was made anew.

        On PostgreSQL a table of a fixed shape is created once per database session, ``ON
        COMMIT DELETE ROWS``, and emptied for later chunks: creating and dropping some twenty
        tables per chunk rewrote the system catalogues three times each, a tenth of a chunk's
        time. ``reuse=False`` is for tables whose columns vary (one per regex rule).
        ``keep_rows`` keeps a session table's rows from chunk to chunk (``ON COMMIT PRESERVE
        ROWS``; the rule lookup, which checks them itself); elsewhere the table is new per chunk.
        """
        if not (self.d.postgres and reuse and session_state_allowed()):
            for statement in self.d.temp_table(name, columns):
                self._execute(statement, None)
            return True
        if self._session_temps is None:
            # Asked of the catalogue, not remembered: a rolled-back chunk takes its tables along.
            self.cursor.execute(self.d.session_temp_tables())
            self._session_temps = {row[0] for row in self.cursor.fetchall()}
        if name in self._session_temps:
            if not keep_rows:
                # Empty already after a commit; not inside an outer transaction (tests, dry runs).
                self._execute(f"DELETE FROM {name}", None)
            return False
        for statement in self.d.session_temp_table(name, columns, keep_rows=keep_rows):
            self._execute(statement, None)
        self._session_temps.add(name)
        return True

    def reused_temp(self, name: str) -> bool:
        """Whether ``temp`` keeps ``name`` for the session (the engine then need not drop it)."""
        return self.d.postgres and name in (self._session_temps or set())

    def insert_rows(self, name: str, types: list[str], rows: list[tuple]) -> None:
        """A few hundred rows into a temp table (see ``core.sql.insert_rows``)."""
        started = perf_counter()
        insert_rows(self.cursor, name, types, rows)
        if STATEMENT_TIMINGS is not None:
            key = f"INSERT INTO {name} (rows)"
            STATEMENT_TIMINGS[key] = STATEMENT_TIMINGS.get(key, 0.0) + perf_counter() - started

    def analyze(self, name: str, columns: str = "") -> None:
        for statement in self.d.analyze(name, columns):
            self._execute(statement, None)

    def add_to_balances(self, select: str, params: dict) -> None:
        """Add the (user, account, grams) rows of ``select`` to the cached balances in one
        upsert. No read-modify-write: concurrent chunks add to the same row safely."""
        self.run(balance_upsert(self.d, f"SELECT * FROM ({select}) delta"), params)
