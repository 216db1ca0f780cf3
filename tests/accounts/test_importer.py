"""The importer service: one transaction, set-based, idempotent, all or nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.integrations.sources.base import SourceError
from accounts.integrations.sources.csv_source import CsvSource
from accounts.models import ImportBatch, LinkedFeed, Transaction
from accounts.services import import_merge as importing
from accounts.services.importing import FeedNotImportable, transactions_import
from tests.accounts.factories import LinkedFeedFactory
from tests.accounts.feed_helpers import fixture_bytes, import_bytes, import_fixture, removed, txn

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed():
    return LinkedFeedFactory(provider="file")


def _import(feed, items, **kwargs) -> ImportBatch:
    return transactions_import(feed=feed, items=items, source="upload", format="csv", **kwargs)


def test_it_imports_normalised_rows_with_the_normalised_merchant(feed):
    batch = import_fixture(feed, "week1.csv")

    assert (batch.status, batch.count_new, batch.count_duplicate) == ("done", 4, 0)
    assert batch.finished_at is not None
    row = Transaction.objects.get(feed=feed, provider_txn_id="ING-003")
    assert row.user_id == feed.user_id
    assert row.provider == "file"
    assert row.amount == Decimal("-12.50")
    assert row.merchant_name == "Kringloop De Lindenberg"
    assert row.merchant_norm == "kringloop de lindenberg"
    assert row.mcc == "5931"
    assert row.import_batch_id == batch.pk
    assert row.raw == {"_line": 4}  # the row's own line; its columns are the fields
    assert Transaction.objects.get(provider_txn_id="ING-004").status == "pending"


def test_the_same_file_twice_imports_nothing_the_second_time(feed):
    first = import_fixture(feed, "week1.csv")
    second = import_fixture(feed, "week1.csv")

    assert second.status == "done"
    assert (second.count_new, second.count_updated, second.count_duplicate) == (0, 0, 4)
    assert second.duplicate_of == first
    assert Transaction.objects.filter(feed=feed).count() == 4


def test_the_same_content_under_another_name_is_all_duplicates(feed):
    import_fixture(feed, "week1.csv")
    data = fixture_bytes("week1.csv") + b"\n"  # another sha256, same rows

    batch = import_bytes(feed, data)

    assert (batch.count_new, batch.count_updated, batch.count_duplicate) == (0, 0, 4)
    assert Transaction.objects.filter(feed=feed).count() == 4


def test_overlapping_files_create_no_duplicates_and_update_what_changed(feed):
    import_fixture(feed, "week1.csv")

    batch = import_fixture(feed, "week2.csv")

    # ING-003 unchanged, ING-004 pending -> booked, ING-005 and ING-006 new
    assert (batch.count_new, batch.count_updated, batch.count_duplicate) == (2, 1, 1)
    assert Transaction.objects.filter(feed=feed).count() == 6
    ovfiets = Transaction.objects.get(feed=feed, provider_txn_id="ING-004")
    assert ovfiets.status == "booked"
    assert str(ovfiets.booking_date) == "2026-11-06"
    assert ovfiets.import_batch_id == batch.pk


def test_a_booked_row_is_never_turned_back_into_a_pending_one(feed):
    import_fixture(feed, "week2.csv")

    batch = import_fixture(feed, "week1.csv")  # the older file: ING-004 still pending there

    assert batch.count_updated == 0
    assert Transaction.objects.get(feed=feed, provider_txn_id="ING-004").status == "booked"


def test_a_malformed_file_is_rejected_with_line_and_field_and_imports_nothing(feed):
    batch = import_fixture(feed, "malformed.csv")

    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.errors[0]["line"] == 3
    assert batch.errors[0]["field"] == "amount"
    assert batch.count_new == 0
    assert batch.count_rejected == 2  # the good row read before the error, and the bad one
    assert not Transaction.objects.filter(feed=feed).exists()
    feed.refresh_from_db()
    assert "line 3" in feed.last_error


def test_an_exception_mid_file_leaves_no_rows(feed, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_SIZE", 2)  # rows of earlier chunks reached the DB
    real_parse = CsvSource.parse

    def parse_then_crash(self, stream):
        for number, item in enumerate(real_parse(self, stream)):
            if number == 3:
                raise RuntimeError("disk on fire")
            yield item

    monkeypatch.setattr(CsvSource, "parse", parse_then_crash)

    batch = import_fixture(feed, "week2.csv")

    assert batch.status == ImportBatch.Status.REJECTED
    assert "RuntimeError" in batch.errors[0]["message"]
    assert batch.count_rejected == 4
    assert not Transaction.objects.filter(feed=feed).exists()
    assert ImportBatch.objects.filter(feed=feed).count() == 1  # only the rejected record


def test_a_source_error_after_several_chunks_rolls_back_every_chunk(feed, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_SIZE", 3)

    def items():
        for number in range(10):
            yield txn(f"T{number}")
        raise SourceError("not a valid date", line=12, field="booking_date")

    batch = _import(feed, items())

    assert batch.status == "rejected"
    assert batch.errors == [
        {"line": 12, "where": "", "field": "booking_date", "message": "not a valid date"}
    ]
    assert not Transaction.objects.exists()


def test_many_chunks_import_every_row(feed, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_SIZE", 7)

    batch = _import(feed, (txn(f"T{n}") for n in range(50)))

    assert batch.count_new == 50
    assert Transaction.objects.filter(feed=feed).count() == 50


def test_the_number_of_queries_does_not_grow_with_the_number_of_items(feed, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_SIZE", 10)

    def count_queries(prefix: str, n: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            batch = _import(feed, (txn(f"{prefix}{i}") for i in range(n)))
        assert batch.count_new == n
        return len(queries)

    assert count_queries("small", 5) == count_queries("large", 500)


def test_an_id_repeated_within_one_input_keeps_its_last_state(feed):
    batch = _import(
        feed,
        [
            txn("A", status="pending", booking_date=None),
            txn("B"),
            txn("A", status="booked", amount=Decimal("-5.10")),
        ],
    )

    assert (batch.count_new, batch.count_duplicate) == (2, 1)
    row = Transaction.objects.get(feed=feed, provider_txn_id="A")
    assert (row.status, row.amount) == ("booked", Decimal("-5.10"))


def test_a_posted_item_replaces_its_pending_row(feed):
    _import(feed, [txn("pend-1", status="pending", booking_date=None)])

    batch = _import(feed, [txn("post-1", pending_txn_id="pend-1")])

    assert (batch.count_new, batch.count_removed) == (1, 1)
    pending = Transaction.objects.get(provider_txn_id="pend-1")
    assert pending.removed_at is not None
    assert pending.status == "pending"
    assert Transaction.objects.visible().filter(feed=feed).count() == 1


def test_removed_items_mark_their_rows_removed_and_keep_the_status(feed):
    _import(feed, [txn("A"), txn("B")])

    batch = _import(feed, [removed("A"), removed("unknown")])

    assert batch.count_removed == 1
    row = Transaction.objects.get(provider_txn_id="A")
    assert row.removed_at is not None
    assert row.status == "booked"
    assert Transaction.objects.get(provider_txn_id="B").removed_at is None


def test_a_modified_item_updates_the_merchant(feed):
    _import(feed, [txn("A", merchant_name="KRINGLOOP 023 HAARLEM")])

    batch = _import(feed, [txn("A", merchant_name="Kringloop Het Goed")])

    assert batch.count_updated == 1
    row = Transaction.objects.get(provider_txn_id="A")
    assert (row.merchant_name, row.merchant_norm) == ("Kringloop Het Goed", "kringloop het goed")


def test_feeds_with_unstable_ids_deduplicate_on_the_fingerprint(feed):
    feed.unstable_ids = True
    feed.save(update_fields=["unstable_ids"])
    train, shop = {"description": "NS reis"}, {"description": "AH", "amount": Decimal("-9.99")}
    first = _import(feed, [txn("FITID-1", **train), txn("FITID-2", **shop)])

    second = _import(feed, [txn("ROTATED-1", **train), txn("ROTATED-2", **shop)])

    assert first.count_new == 2
    assert (second.count_new, second.count_duplicate) == (0, 2)
    ids = set(Transaction.objects.values_list("provider_txn_id", flat=True))
    assert all(value.startswith("fp:") for value in ids)


def test_two_identical_payments_on_one_day_stay_two_rows_on_unstable_feeds(feed):
    feed.unstable_ids = True
    feed.save(update_fields=["unstable_ids"])

    batch = _import(feed, [txn("X", description="GVB"), txn("Y", description="GVB")])

    assert batch.count_new == 2


def test_the_same_delivery_twice_imports_nothing_the_second_time(feed):
    _import(feed, [txn("A")], delivery_id="evt-1")

    second = _import(feed, [txn("A"), txn("B")], delivery_id="evt-1")

    assert second.count_new == 0
    assert not Transaction.objects.filter(provider_txn_id="B").exists()


def test_the_next_cursor_is_stored_with_the_rows(feed):
    _import(feed, [txn("A")], next_cursor="cursor-2")

    feed.refresh_from_db()
    assert feed.cursor == "cursor-2"
    assert feed.last_synced_at is not None


def test_a_rejected_page_does_not_move_the_cursor(feed):
    def broken():
        yield txn("A")
        raise SourceError("amount is missing", field="amount", where="added[1]")

    batch = _import(feed, broken(), next_cursor="cursor-2")

    assert batch.status == "rejected"
    assert batch.errors[0]["where"] == "added[1]"
    feed.refresh_from_db()
    assert feed.cursor == ""


@pytest.mark.parametrize(
    ("status", "code"),
    [(LinkedFeed.Status.REVOKED, "feed_revoked"), (LinkedFeed.Status.EXPIRED, "consent_expired")],
)
def test_revoked_and_expired_feeds_import_nothing(feed, status, code):
    LinkedFeed.objects.filter(pk=feed.pk).update(status=status)

    with pytest.raises(FeedNotImportable) as refused:
        _import(feed, [txn("A")])

    assert refused.value.code == code
    assert not Transaction.objects.exists()
    assert not ImportBatch.objects.exists()


def test_a_feed_whose_consent_lapsed_before_the_sweep_imports_nothing():
    feed = LinkedFeedFactory(
        provider="file",
        consent__granted_at=timezone.now() - timedelta(days=200),
        consent__expires_at=timezone.now() - timedelta(minutes=1),
    )

    with pytest.raises(FeedNotImportable):
        _import(feed, [txn("A")])

    assert not Transaction.objects.exists()


def test_a_feed_without_consent_imports_nothing():
    feed = LinkedFeedFactory(provider="file", consent=False)

    with pytest.raises(FeedNotImportable):
        _import(feed, [txn("A")])


def test_imports_into_one_feed_never_touch_another_feed(feed):
    other = LinkedFeedFactory(provider="file", user=feed.user)
    _import(other, [txn("A", amount=Decimal("-1.00"))])

    batch = _import(feed, [txn("A", amount=Decimal("-2.00")), removed("A")])

    assert batch.count_new == 1
    assert Transaction.objects.get(feed=other).removed_at is None
    assert Transaction.objects.get(feed=other).amount == Decimal("-1.00")


def test_a_statement_without_an_earlier_pending_item_removes_it(feed):
    # Berlin Group, camt.053 and CSV do not link a pending item to its booked version.
    _import(feed, [txn("booked-1"), txn("pending-x", status="pending", booking_date=None)])

    batch = transactions_import(
        feed=feed,
        items=[txn("booked-1"), txn("booked-2", description="the pending one, booked")],
        source="upload",
        format="berlin_group",
    )

    assert (batch.count_new, batch.count_removed) == (1, 1)
    assert Transaction.objects.get(provider_txn_id="pending-x").removed_at is not None


def test_pending_rows_outside_a_statements_dates_stay(feed):
    _import(feed, [txn("pending-x", status="pending", transaction_date=date(2026, 10, 1))])

    batch = _import(feed, [txn("booked-1", transaction_date=date(2026, 11, 2))])

    assert batch.count_removed == 0
    assert Transaction.objects.get(provider_txn_id="pending-x").removed_at is None


def test_plaid_pages_never_remove_pending_rows_they_do_not_mention(feed):
    _import(feed, [txn("pending-x", status="pending")], next_cursor=None)

    batch = transactions_import(feed=feed, items=[txn("booked-1")], source="pull", format="plaid")

    assert batch.count_removed == 0
    assert Transaction.objects.get(provider_txn_id="pending-x").removed_at is None


def test_a_value_too_long_for_its_column_is_rejected_not_a_crash(feed):
    batch = _import(feed, [txn("A", currency="EURO")])

    assert batch.status == "rejected"
    assert not Transaction.objects.exists()
