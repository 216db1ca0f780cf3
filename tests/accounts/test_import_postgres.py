"""PostgreSQL only: the COPY path, and concurrent imports of overlapping files."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from accounts.models import ImportBatch, Transaction
from accounts.services import import_merge as importing
from accounts.services.importing import transactions_import
from core import sql as core_sql
from tests.accounts.factories import LinkedFeedFactory
from tests.accounts.feed_helpers import import_fixture, txn

pytestmark = pytest.mark.postgres


@pytest.mark.django_db
def test_items_reach_the_staging_table_through_copy(mocker):
    feed = LinkedFeedFactory(provider="file")
    mocker.patch.object(importing, "CHUNK_SIZE", 1_000)
    copy = mocker.spy(core_sql, "_copy_postgres")
    sqlite = mocker.spy(core_sql, "_executemany_sqlite")

    batch = transactions_import(
        feed=feed,
        items=(txn(f"T{n}", description=f"reis {n}\tmet tab\\en\nnewline") for n in range(5_500)),
        source="upload",
        format="csv",
    )

    assert batch.count_new == 5_500
    assert copy.call_count == 1 and sqlite.call_count == 0
    row = Transaction.objects.get(feed=feed, provider_txn_id="T42")
    assert row.description == "reis 42\tmet tab\\en\nnewline"  # COPY escaping round-trips
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'canopy_import_%'")
        assert cursor.fetchone()[0] == 0  # the staging table is gone


@pytest.mark.django_db
def test_json_payloads_and_nulls_survive_copy():
    feed = LinkedFeedFactory(provider="file")

    transactions_import(
        feed=feed,
        items=[txn("A", raw={"naam": "Kringloop Éénhoorn", "n": [1, None]}, booking_date=None)],
        source="upload",
        format="csv",
    )

    row = Transaction.objects.get(feed=feed)
    assert row.raw == {"naam": "Kringloop Éénhoorn", "n": [1, None]}
    assert row.booking_date is None


def _in_thread(target, results: list, barrier: threading.Barrier) -> threading.Thread:
    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except Exception as exc:  # surfaced by the assertion on results
            results.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=run)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_imports_of_overlapping_files_create_no_duplicates():
    feed = LinkedFeedFactory(provider="file")
    results: list = []
    barrier = threading.Barrier(2)
    threads = [
        _in_thread(lambda: import_fixture(feed, "week1.csv"), results, barrier),
        _in_thread(lambda: import_fixture(feed, "week2.csv"), results, barrier),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert all(isinstance(batch, ImportBatch) for batch in results), results
    assert all(batch.status == "done" for batch in results)
    ids = list(Transaction.objects.filter(feed=feed).values_list("provider_txn_id", flat=True))
    assert sorted(ids) == ["ING-001", "ING-002", "ING-003", "ING-004", "ING-005", "ING-006"]
    assert sum(batch.count_new for batch in results) == 6
    assert Transaction.objects.get(feed=feed, provider_txn_id="ING-004").status == "booked"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_imports_of_the_same_large_input_import_it_once():
    feed = LinkedFeedFactory(provider="file")
    results: list = []
    barrier = threading.Barrier(2)

    def run():
        return transactions_import(
            feed=feed,
            items=(txn(f"T{n}") for n in range(3_000)),
            source="pull",
            format="plaid",
        )

    threads = [_in_thread(run, results, barrier) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(batch.count_new for batch in results) == [0, 3_000]
    assert sorted(batch.count_duplicate for batch in results) == [0, 3_000]
    assert Transaction.objects.filter(feed=feed).count() == 3_000
