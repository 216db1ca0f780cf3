"""PostgreSQL only: the COPY path for CSV stores exactly the rows the Python path stores.

Every file is imported twice, into two feeds: once by ``feed_file_import`` with the COPY path
on, once with it off (the Python parser), and the stored rows are compared column by column
(ids, fingerprints, raw payloads, normalised names, line numbers). Files the COPY path cannot
read exactly are declined and imported by the Python path: same rows, same errors.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from accounts.models import ChangedTransaction, ImportBatch, Transaction
from accounts.services import import_copy, import_copy_general
from accounts.services.importing import feed_file_import
from tests.accounts.factories import LinkedFeedFactory
from tests.accounts.feed_helpers import FIXTURES

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

HEADER = (
    "transaction_id,status,booking_date,transaction_date,amount,currency,merchant_name,"
    "merchant_id,mcc,category,description"
)
_COMPARED = (
    "provider_txn_id",
    "fingerprint",
    "pending_txn_id",
    "status",
    "amount",
    "currency",
    "booking_date",
    "transaction_date",
    "merchant_name",
    "merchant_norm",
    "descriptor_norm",
    "merchant_id",
    "mcc",
    "provider_category",
    "description",
    "raw",
    "is_reversal",
    "removed_at",
)


def _import(data: bytes, *, copy: bool, settings, unstable: bool = False) -> ImportBatch:
    settings.CANOPY_IMPORT_COPY = copy
    feed = LinkedFeedFactory(provider="file", unstable_ids=unstable)
    return feed_file_import(
        feed=feed, file=io.BytesIO(data), file_name="file.csv", source="upload", format="csv"
    )


def _queued(batch: ImportBatch) -> list[tuple]:
    """What the import put in the scoring queue: (id, reason) by the bank's id."""
    queued = ChangedTransaction.objects.filter(
        transaction_id__in=Transaction.objects.filter(feed=batch.feed).values("id")
    )
    by_pk = dict(Transaction.objects.filter(feed=batch.feed).values_list("id", "provider_txn_id"))
    return sorted((by_pk[row.transaction_id], row.reason) for row in queued)


def _rows(batch: ImportBatch) -> list[tuple]:
    rows = Transaction.objects.filter(feed=batch.feed).order_by("provider_txn_id")
    return [tuple(getattr(row, column) for column in _COMPARED) for row in rows]


class _Staged:
    count = 0


def _count_staging(mocker) -> type[_Staged]:
    """Counts the COPY path's inserts that returned (a declined one raises): the general
    staging, the clean files' one pass, and a clean file's direct import into an empty feed."""
    if not getattr(import_copy, "_counted", False):  # once per test: mocker undoes it after
        _Staged.count = 0
        for module, name in (
            (import_copy_general, "_insert_staging"),
            (import_copy, "_stage_clean"),
            (import_copy, "_insert_direct"),
        ):
            original = getattr(module, name)

            def counted(*args, _original=original, **kwargs):
                result = _original(*args, **kwargs)
                _Staged.count += result is not None  # _insert_direct: None, nothing written
                return result

            mocker.patch.object(module, name, counted)
        mocker.patch.object(import_copy, "_counted", True, create=True)
    return _Staged


def _both(data: bytes, settings, mocker, *, unstable: bool = False) -> tuple[bool, ImportBatch]:
    """Import through both paths, assert the same outcome; (COPY path taken, its batch)."""
    staged = _count_staging(mocker)
    before = staged.count
    fast = _import(data, copy=True, settings=settings, unstable=unstable)
    taken = staged.count == before + 1
    slow = _import(data, copy=False, settings=settings, unstable=unstable)
    assert staged.count == before + int(taken)  # the Python path never stages by COPY
    assert (fast.status, fast.count_new, fast.count_duplicate, fast.count_rejected) == (
        slow.status,
        slow.count_new,
        slow.count_duplicate,
        slow.count_rejected,
    )
    assert fast.errors == slow.errors
    assert _rows(fast) == _rows(slow)
    assert _queued(fast) == _queued(slow)
    return taken, fast


def _sandbox_csv(n: int, *, sort: bool = False) -> bytes:
    from accounts.integrations.sandbox_bulk import generate_transactions

    items = [
        item
        for _user, item in generate_transactions(
            n=n, users=1, start=date(2025, 1, 1), days=200, seed=3
        )
    ]
    if sort:
        items.sort(key=lambda item: item.booking_date or item.transaction_date)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER.split(","))
    for item in items:
        writer.writerow(
            (
                item.provider_txn_id,
                item.status,
                item.booking_date.isoformat() if item.booking_date else "",
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
    return out.getvalue().encode()


@pytest.mark.parametrize("sort", [False, True])
def test_a_sandbox_file_gives_the_same_rows_through_copy(settings, mocker, sort):
    # Unsorted: identical items of one date far apart, the fingerprint's forgetful counter.
    taken, batch = _both(_sandbox_csv(1_500, sort=sort), settings, mocker)

    assert taken
    assert batch.status == "done" and batch.count_new > 1_000


def test_the_fixture_files_give_the_same_rows(settings, mocker):
    for name in ("week1.csv", "week2.csv"):
        taken, batch = _both((FIXTURES / name).read_bytes(), settings, mocker)
        assert batch.status == "done" and taken, name


def test_the_sample_files_give_the_same_rows(settings, mocker):
    samples = Path(__file__).parent / "samples"
    _taken, batch = _both((samples / "transactions_semicolon.csv").read_bytes(), settings, mocker)
    assert batch.status == "done"


EDGES = "\r\n".join(
    [
        "\ufeff" + HEADER.replace("description", "Description") + ",note,",
        "  ING-1 ,BOOKED,2026-11-02,2026-11-01,+5,eur,  Kringloop   Éénhoorn B.V. ,m1,5931,"
        "second  hand,Pinbetaling\tÉénhoorn ,extra,x",
        ",pending,,2026-11-05,-4.65,EUR,OV-fiets,,,bike_rental,OV-fiets dagtarief,,",
        ",pending,,2026-11-05,-4.65,EUR,OV-fiets,,,bike_rental,OV-fiets dagtarief,,",
        "ING-3,booked,2026-11-06,,.5,EUR,,,,,BEA Apple Pay GVB AMSTERDAM PAS123 NR:CT5R9X,,",
        "ING-4,booked,2026-02-28,,-0,EUR,PAYPAL *VINTED,,,,,,",
        "X" * 140 + ",booked,2024-02-29,,-1.00,USD,Straße Café,,,,ÄÖÜ straße,,",
        "ING-6,booked,2026-11-07,,1000000,EUR,SEPA,,,,Naam: Stichting Het Goed Omschrijving: x,,",
        "",
        "",
    ]
).encode()


@pytest.mark.parametrize("unstable", [False, True])
def test_edge_values_give_the_same_rows_through_copy(settings, mocker, unstable):
    # BOM, CRLF, an extra and an unnamed column, blanks to trim, upper case, "+5", ".5", "-0",
    # a 140-character id, Unicode names, descriptor-only rows, repeats, trailing blank lines.
    taken, batch = _both(EDGES, settings, mocker, unstable=unstable)

    assert taken
    assert batch.status == "done" and batch.count_new == 7
    row = Transaction.objects.get(feed=batch.feed, merchant_name="Kringloop Éénhoorn B.V.")
    assert row.raw["_line"] == 2 and row.raw["column_13"] == "x" and row.raw["note"] == "extra"


CLEAN = "\n".join(
    [
        HEADER + ",note,",
        "ING-1,booked,2026-11-02,2026-11-01,5,EUR,Kringloop  Het  Goed B.V.,m1,5931,"
        "second  hand,Pinbetaling kringloop,extra,x",
        "ING-2,pending,,2026-11-05,-4.65,eur,OV-fiets,,,bike_rental,OV-fiets dagtarief,,",
        "ING-3,Booked,2026-11-06,,.5,EUR,,,,,BEA Apple Pay GVB AMSTERDAM PAS123 NR:CT5R9X,,",
        "ING-4,booked,2026-02-28,,-0.00,EUR,PAYPAL *VINTED,,,,,,",
        "X" * 140 + ",booked,2024-02-29,,-1.00,USD,Strasse Cafe,,,,straat,,",
        "ING-6,booked,2026-11-07,,1000000,EUR,SEPA,,,,Naam: Stichting Het Goed Omschrijving: x,,",
        "ING-7,booked,2026-11-07,,+12.1,EUR,SEPA,,,,Naam: Stichting Het Goed Omschrijving: x,,",
    ]
).encode()


def test_a_clean_file_takes_the_one_pass_and_gives_the_same_rows(settings, mocker):
    # ASCII, trimmed, an id per row, an empty feed: one INSERT … SELECT checks, casts and
    # writes it straight into the transactions table and the scoring queue.
    direct = mocker.spy(import_copy, "_insert_direct")

    taken, batch = _both(CLEAN, settings, mocker)

    assert taken and direct.spy_return == (7, 0)  # new rows, rows removed
    assert batch.status == "done" and batch.count_new == 7
    row = Transaction.objects.get(feed=batch.feed, provider_txn_id="ING-1")
    assert row.raw == {"_line": 2, "note": "extra", "column_13": "x"}
    assert row.merchant_name == "Kringloop Het Goed B.V."  # clipped: one space between words


@pytest.mark.parametrize(
    "cell",
    ["NaN", "nan", "1e3", "1.005", "Infinity", "12,50", "1.1O", "--1", ""],
)
def test_amounts_the_one_pass_does_not_read_as_python_does_decline(settings, mocker, cell):
    data = (HEADER + f"\nA,booked,2026-11-02,,{cell},EUR,NS,,,,x\n").encode()

    taken, batch = _both(data, settings, mocker)

    assert not taken  # the Python path's rows (1.005 is rounded) or error (the rest)
    assert batch.status == ("done" if cell == "1.005" else "rejected")


@pytest.mark.parametrize(
    "cell",
    ["infinity", "-infinity", "2026-11-02 BC", "12026-11-02", "2026-1-2", "epoch", "today",
     "20261102", "2026-02-30", "02-11-2026"],
)  # fmt: skip
def test_dates_the_one_pass_does_not_read_as_python_does_decline(settings, mocker, cell):
    data = (HEADER + f"\nA,booked,{cell},,-1.00,EUR,NS,,,,x\n").encode()

    taken, batch = _both(data, settings, mocker)

    assert not taken
    assert batch.status == "rejected"


def test_a_line_longer_than_the_csv_field_limit_is_not_clean(settings, mocker):
    data = (HEADER + "\nA,booked,2026-11-02,,-1.00,EUR,NS,,,," + "x" * 140_000 + "\n").encode()

    taken, batch = _both(data, settings, mocker)

    assert not taken
    assert batch.status == "rejected"  # the csv module's field limit, as the Python path says


@pytest.mark.parametrize(
    "data",
    [
        # quotes: PostgreSQL and Python read a quote inside a value differently
        (HEADER + '\nA,booked,2026-11-02,,-1.00,EUR,"NS, Groep",,,,"a ""b"" c"\n').encode(),
        (HEADER + '\nA,booked,2026-11-02,,-1.00,EUR,N"S,,,,x\n').encode(),
        # a blank line in the middle, a row of empty cells, a short and a long row
        (
            HEADER
            + "\nA,booked,2026-11-02,,-1,EUR,NS,,,,x\n\nB,booked,2026-11-02,,-2,EUR,NS,,,,y\n"
        ).encode(),
        (HEADER + "\nA,booked,2026-11-02,,-1,EUR,NS,,,,x\n,,,,,,,,,,\n").encode(),
        (HEADER + "\nA,booked,2026-11-02,,-1,EUR,NS,,,\n").encode(),
        (HEADER + "\nA,booked,2026-11-02,,-1,EUR,NS,,,,x,,\n").encode(),
        # cp1252 bytes, three decimals, a lone CR, mixed endings, Unicode blanks
        (HEADER + "\nA,booked,2026-11-02,,-1,EUR,Caf\xe9,,,,x\n").encode("cp1252"),
        (HEADER + "\nA,booked,2026-11-02,,-1.005,EUR,NS,,,,x\n").encode(),
        (HEADER + "\rA,booked,2026-11-02,,-1,EUR,NS,,,,x\r").encode(),
        (
            HEADER
            + "\nA,booked,2026-11-02,,-1,EUR,NS,,,,x\r\nB,booked,2026-11-02,,-1,EUR,NS,,,,y\n"
        ).encode(),
        (HEADER + "\nA,booked,2026-11-02,,-1,EUR,NS\u00a0,,,,x\n").encode(),
        # errors: every one is the Python path's own, with line and field
        (FIXTURES / "malformed.csv").read_bytes(),
        (HEADER + "\nA,booked,2026-02-30,,-1,EUR,NS,,,,x\n").encode(),
        (HEADER + "\nA,booked,,,-1,EUR,NS,,,,x\n").encode(),
        (HEADER + "\nA,booked,2026-11-02,,-1,XTS,NS,,,,x\n").encode(),
        (HEADER + "\nA,booked,2026-11-02,,-1,EUR,NS,,51,,x\n").encode(),
        (
            HEADER + "\nA,done,2026-11-02,,1,EUR,NS,,,,x\n\\.\nB,booked,2026-11-02,,2,EUR,NS,,,,x\n"
        ).encode(),
        b"",
        b"transaction_id,amount,currency\n",
    ],
)
def test_files_the_copy_path_declines_give_the_python_paths_rows_or_error(settings, mocker, data):
    taken, _batch = _both(data, settings, mocker)

    assert not taken


def test_a_clean_file_repeating_a_row_counts_the_repeat_as_a_duplicate(settings, mocker):
    # An empty feed, but the repeat meets the unique id: the staging merge imports it.
    row = "A,booked,2026-11-02,,-1.00,EUR,NS,,,,x"
    data = f"{HEADER}\n{row}\nB,pending,,2026-11-03,-2.00,EUR,NS,,,,y\n{row}\n".encode()
    clean = mocker.spy(import_copy, "_stage_clean")

    taken, batch = _both(data, settings, mocker)

    assert taken and clean.call_count == 1
    assert (batch.status, batch.count_new, batch.count_duplicate) == ("done", 2, 1)


def _each_path_into_a_new_feed(settings, files):
    """For the COPY path, then the Python path: the batches of ``files`` (name, bytes)
    imported one after the other into a new feed."""
    for copy in (True, False):
        settings.CANOPY_IMPORT_COPY = copy
        feed = LinkedFeedFactory(provider="file")
        yield [
            feed_file_import(
                feed=feed, file=io.BytesIO(data), file_name=name, source="upload", format="csv"
            )
            for name, data in files
        ]


def test_a_second_file_into_a_feed_with_rows_gives_the_same_rows_and_queue(settings, mocker):
    # week2 books week1's pending row, repeats two rows and adds new ones: the clean one pass
    # stages it (the feed has rows) and the merge updates, inserts and removes alike.
    clean = mocker.spy(import_copy, "_stage_clean")
    files = [(name, (FIXTURES / name).read_bytes()) for name in ("week1.csv", "week2.csv")]
    outcomes = []
    for batches in _each_path_into_a_new_feed(settings, files):
        outcomes.append(
            (
                [(b.status, b.count_new, b.count_updated, b.count_duplicate) for b in batches],
                _rows(batches[-1]),
                _queued(batches[-1]),
            )
        )

    assert clean.call_count == 1  # week1 went straight into the empty feed
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0][1][2] >= 1  # week2 updated a row of week1


def test_a_next_file_of_new_ids_goes_straight_in_and_removes_stale_pending_rows(settings, mocker):
    # The feed holds week1 (a pending row among them); the next file's ids are all new, so
    # it goes straight into the transactions table, and week1's pending row of its dates,
    # which the file no longer lists, is removed and queued alike.
    direct = mocker.spy(import_copy, "_insert_direct")
    first = (FIXTURES / "week1.csv").read_bytes()
    header = first.split(b"\n", 1)[0]
    following = header + (
        b"\nNEXT-1,booked,2026-11-05,2026-11-05,-4.65,EUR,OV-fiets,,,bike_rental,OV-fiets dagtarief"
        b"\nNEXT-2,booked,2026-11-20,2026-11-20,-9.99,EUR,GVB,,4111,public_transport,GVB reis\n"
    )
    outcomes = []
    for batches in _each_path_into_a_new_feed(
        settings, [("week1.csv", first), ("next.csv", following)]
    ):
        outcomes.append(
            (
                [(b.status, b.count_new, b.count_updated, b.count_removed) for b in batches],
                # removed_at is the import's time: whether a row was removed, not when.
                [(*row[:-1], row[-1] is not None) for row in _rows(batches[-1])],
                _queued(batches[-1]),
            )
        )

    assert direct.call_count == 2 and direct.spy_return == (2, 1)  # new rows, rows removed
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0][1] == ("done", 2, 0, 1)


def test_a_rejected_file_names_the_line_and_field_whichever_path(settings, mocker):
    data = (
        HEADER
        + "\n"
        + "\n".join(f"T{n},booked,2026-11-02,,-{n}.10,EUR,NS,,,,reis" for n in range(1, 50))
    )
    data += "\nT50,booked,2026-11-02,,-1.1O,EUR,NS,,,,reis\n"

    _taken, batch = _both(data.encode(), settings, mocker)

    assert batch.status == "rejected"
    assert (batch.errors[0]["line"], batch.errors[0]["field"]) == (51, "amount")
    assert not Transaction.objects.filter(feed=batch.feed).exists()


def test_a_file_imported_again_is_a_duplicate_through_copy(settings, mocker):
    settings.CANOPY_IMPORT_COPY = True
    feed = LinkedFeedFactory(provider="file")
    data = (FIXTURES / "week1.csv").read_bytes()
    staged = _count_staging(mocker)

    first = feed_file_import(feed=feed, file=io.BytesIO(data), file_name="a.csv", source="upload")
    second = feed_file_import(feed=feed, file=io.BytesIO(data), file_name="a.csv", source="upload")
    overlapping = feed_file_import(
        feed=feed,
        file=io.BytesIO((FIXTURES / "week2.csv").read_bytes()),
        file_name="b.csv",
        source="upload",
    )

    assert staged.count == 2  # the identical file is known by its hash
    assert (first.count_new, second.count_new, second.count_duplicate) == (4, 0, 4)
    assert overlapping.status == "done"
    ids = list(Transaction.objects.filter(feed=feed).values_list("provider_txn_id", flat=True))
    assert len(ids) == len(set(ids))


def test_two_transactions_with_one_id_are_refused_alike_through_copy(settings, mocker):
    data = HEADER + "\nA,booked,2026-11-02,,1,EUR,NS,,,,x\nA,booked,2026-11-02,,2,EUR,NS,,,,x\n"

    taken, batch = _both(data.encode(), settings, mocker)

    assert taken
    assert batch.status == "rejected" and batch.count_rejected == 2
    assert (batch.errors[0]["where"], batch.errors[0]["field"]) == ("line 2 and line 3", "id")
