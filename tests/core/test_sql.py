"""The SQL layer on whichever database the suite runs on (SQLite and PostgreSQL CI suites)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from django.db import connection

from accounts.models import Transaction
from core import sql
from core.sql import Dialect, adapt_params, copy_rows, current_dialect, is_postgres, table

POSTGRES = Dialect(postgres=True)
SQLITE = Dialect(postgres=False)


def _one(query: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(query, params or [])
        return cursor.fetchone()[0]


def test_the_dialect_follows_the_connection():
    assert current_dialect().postgres is is_postgres()
    assert is_postgres() is (connection.vendor == "postgresql")


def test_spellings_per_database():
    assert (POSTGRES.greatest, POSTGRES.least) == ("GREATEST", "LEAST")
    assert (SQLITE.greatest, SQLITE.least) == ("MAX", "MIN")
    assert POSTGRES.smallest("1", "2") == "LEAST(1, 2)"
    assert SQLITE.for_update == "" and POSTGRES.for_update == " FOR UPDATE"
    assert SQLITE.upsert_guard == "WHERE 1=1" and POSTGRES.upsert_guard == ""
    assert POSTGRES.temp_table("t", "a INT") == [
        "DROP TABLE IF EXISTS pg_temp.t",
        "CREATE TEMP TABLE t (a INT) ON COMMIT DROP",
    ]
    assert SQLITE.temp_table("t", "a INT", drop_first=False) == ["CREATE TEMP TABLE t (a INT)"]
    assert SQLITE.analyze("t") == [] and POSTGRES.analyze("t", "a") == ["ANALYZE t (a)"]


@pytest.mark.django_db
def test_functions_evaluate_the_same_on_this_database():
    d = current_dialect()
    assert _one(f"SELECT {d.greatest}(1, 3)") == 3
    assert _one(f"SELECT {d.smallest('4', '2', '3')}") == 2
    assert _one(f"SELECT CASE WHEN {d.regex_match('%s', '%s')} THEN 1 ELSE 0 END",
                ["Albert HEIJN 1234", "albert\\s+heijn"]) == 1  # fmt: skip
    assert str(_one(f"SELECT {d.day('%s')}", adapt_params([datetime(2026, 3, 4, 23, 5)]))) == (
        "2026-03-04"
    )
    assert (
        str(_one(f"SELECT {d.days_before('%s', 90)}", adapt_params([date(2026, 3, 4)])))[:10]
        == "2025-12-04"
    )
    later, earlier = adapt_params([datetime(2026, 1, 1, 7, 0, 30), datetime(2026, 1, 1, 7)])
    assert float(_one(f"SELECT {d.seconds_between('%s', '%s')}", [later, earlier])) == (
        pytest.approx(30, abs=0.01)
    )
    monday, sunday, next_monday = adapt_params(
        [date(2026, 3, 2), date(2026, 3, 8), date(2026, 3, 9)]
    )
    week = d.week_number("%s")
    weeks = [_one(f"SELECT {week}", [value]) for value in (monday, sunday, next_monday)]
    assert weeks[0] == weeks[1] == weeks[2] - 1


@pytest.mark.django_db
def test_json_spellings_on_this_database():
    d = current_dialect()
    obj = d.json_object(n="1", name="'x'")
    value = _one(f"SELECT {obj}")
    if isinstance(value, str):
        value = json.loads(value)
    assert value == {"n": 1, "name": "x"}


def test_parameters_are_adapted_as_django_stores_them():
    moment = datetime(2026, 5, 1, 12, tzinfo=UTC)
    adapted = adapt_params({"at": moment, "day": date(2026, 5, 1), "n": 3})
    assert adapted["n"] == 3
    assert adapted["at"] == connection.ops.adapt_datetimefield_value(moment)
    assert adapted["day"] == connection.ops.adapt_datefield_value(date(2026, 5, 1))
    assert adapt_params([moment, "x"])[1] == "x"


def test_table_names_come_from_the_models():
    assert table(Transaction) == connection.ops.quote_name(Transaction._meta.db_table)
    assert table(Transaction).strip('"') == "accounts_transaction"


@pytest.mark.django_db
def test_copy_rows_bulk_loads_on_this_database(mocker):
    copy = mocker.spy(sql, "_copy_postgres")
    fallback = mocker.spy(sql, "_executemany_sqlite")
    d = current_dialect()
    with connection.cursor() as cursor:
        for statement in d.temp_table("core_sql_load", "n INTEGER, label TEXT, flag BOOLEAN"):
            cursor.execute(statement)
    rows = ((n, f"row\t{n}\\n", n % 2 == 0) for n in range(25))

    copy_rows("core_sql_load", ["n", "label", "flag"], rows, chunk_size=10)

    assert _one("SELECT COUNT(*) FROM core_sql_load") == 25
    assert _one("SELECT label FROM core_sql_load WHERE n = 7") == "row\t7\\n"
    assert (copy.call_count, fallback.call_count) == ((1, 0) if is_postgres() else (0, 1))
    with connection.cursor() as cursor:
        for statement in d.drop_temp("core_sql_load"):
            cursor.execute(statement)


@pytest.mark.django_db
def test_insert_rows_loads_a_temp_table_in_one_go():
    d = current_dialect()
    with connection.cursor() as cursor:
        for statement in d.temp_table("core_sql_rows", "kind VARCHAR(8), day DATE, n INTEGER"):
            cursor.execute(statement)
        sql.insert_rows(
            cursor,
            "core_sql_rows",
            ["varchar", "date", "int"],
            [("a", date(2026, 1, 2), 1), ("b", date(2026, 1, 3), 2)],
        )
        sql.insert_rows(cursor, "core_sql_rows", ["varchar", "date", "int"], [])
        cursor.execute("SELECT kind, n FROM core_sql_rows ORDER BY n")
        assert cursor.fetchall() == [("a", 1), ("b", 2)]
        cursor.execute("SELECT COUNT(*) FROM core_sql_rows WHERE day = %s",
                       adapt_params([date(2026, 1, 3)]))  # fmt: skip
        assert cursor.fetchone()[0] == 1
        for statement in d.drop_temp("core_sql_rows"):
            cursor.execute(statement)


def test_set_local_is_postgres_only():
    assert POSTGRES.set_local("synchronous_commit", "off") == ["SET LOCAL synchronous_commit = off"]
    assert SQLITE.set_local("synchronous_commit", "off") == []
