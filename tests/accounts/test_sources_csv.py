"""Canopy's CSV format: delimiters, BOM, template, and errors that name line and field."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.integrations.sources.base import SourceError
from accounts.integrations.sources.csv_source import COLUMNS, CSV_TEMPLATE_PATH, CsvSource

SAMPLES = Path(__file__).parent / "samples"
HEADER = ",".join(COLUMNS)
GOOD_ROW = "T1,booked,2026-11-03,2026-11-02,-3.40,EUR,GVB,,4111,public_transport,OV reis"


def _parse(text: str | bytes) -> list:
    data = text.encode() if isinstance(text, str) else text
    return list(CsvSource().parse(io.BytesIO(data)))


def _error(text: str | bytes) -> SourceError:
    with pytest.raises(SourceError) as err:
        _parse(text)
    return err.value


def test_semicolon_file_with_bom() -> None:
    items = _parse((SAMPLES / "transactions_semicolon.csv").read_bytes())

    assert len(items) == 6  # the blank line is skipped
    ns, gvb1, gvb2, vinted, kringloop, ov_fiets = items

    assert ns.provider_txn_id == "ING-20261102-001"
    assert ns.status == "booked"
    assert ns.amount == Decimal("-23.40")
    assert ns.currency == "EUR"
    assert ns.booking_date == date(2026, 11, 2)
    assert ns.transaction_date == date(2026, 11, 1)
    assert ns.merchant_name == "NS Groep"
    assert ns.mcc == "4112"
    assert ns.provider_category == "public_transport"

    assert gvb1.description == "GVB; OV-chipkaart reis"  # quoted delimiter
    assert gvb1.transaction_date is None
    # Same day, amount and text: the id-less duplicate gets its own fingerprint id.
    assert gvb2.provider_txn_id == gvb2.fingerprint
    assert gvb1.fingerprint != gvb2.fingerprint

    assert vinted.description == "Uitbetaling verkoop\nwinterjas"
    assert vinted.mcc == ""
    assert kringloop.merchant_name == "Kringloop Éénhoorn"

    assert ov_fiets.status == "pending"
    assert ov_fiets.booking_date is None
    assert ov_fiets.provider_txn_id.startswith("fp:")


def test_raw_keeps_the_row_and_its_physical_line() -> None:
    items = _parse((SAMPLES / "transactions_semicolon.csv").read_bytes())

    # Line 5 is blank and the Vinted row spans lines 6-7, so the Kringloop row is line 8.
    assert [i.raw["_line"] for i in items] == [2, 3, 4, 6, 8, 9]
    # the columns Canopy reads are the row's fields; raw keeps the rest
    assert "transaction_id" not in items[0].raw
    json.dumps([i.raw for i in items])


def test_template_parses_and_is_comma_separated() -> None:
    data = CSV_TEMPLATE_PATH.read_bytes()

    items = _parse(data)

    assert data.splitlines()[0].decode() == HEADER
    assert len(items) == 3
    assert {i.currency for i in items} == {"EUR"}
    assert items[2].status == "pending"


def test_columns_in_any_order_and_extra_columns_ignored() -> None:
    header = "amount;currency;status;booking_date;transaction_date;transaction_id;merchant_name;"
    header += "merchant_id;mcc;category;description;note"
    row = "-4.65;eur;Booked;2026-11-05;;;OV-fiets;;;;Dagtarief;mijn notitie"

    (item,) = _parse(f"{header}\n{row}\n")

    assert item.amount == Decimal("-4.65")
    assert item.currency == "EUR"
    assert item.status == "booked"
    assert "note" in item.raw


def test_bad_amount_names_line_and_field() -> None:
    rows = [GOOD_ROW, GOOD_ROW.replace("-3.40", "-3.4x")]

    err = _error("\n".join([HEADER, *rows]) + "\n")

    assert err.line == 3
    assert err.field == "amount"
    assert "line 3" in str(err) and "field 'amount'" in str(err)


@pytest.mark.parametrize("amount", ["-3,40", "NaN", "inf", "1e3", "1.000,00", "", "--3"])
def test_amount_garbage_is_rejected(amount: str) -> None:
    row = GOOD_ROW.replace("-3.40", '"' + amount + '"')  # quoted: "1.000,00" is one field

    err = _error(f"{HEADER}\n{row}\n")

    assert (err.line, err.field) == (2, "amount")


def test_decimal_comma_gets_a_helpful_message() -> None:
    header = HEADER.replace(",", ";")
    row = GOOD_ROW.replace(",", ";").replace("-3.40", "-3,40")

    err = _error(f"{header}\n{row}\n")

    assert err.field == "amount"
    assert "decimal point" in err.message


def test_many_decimals_are_allowed() -> None:
    (item,) = _parse(f"{HEADER}\n{GOOD_ROW.replace('-3.40', '-3.4050')}\n")

    assert item.amount == Decimal("-3.4050")


def test_wrong_header_names_the_missing_column() -> None:
    err = _error(HEADER.replace("booking_date", "boekdatum") + "\n" + GOOD_ROW + "\n")

    assert err.line == 1
    assert err.field == "booking_date"
    assert "booking_date" in err.message


def test_file_without_header() -> None:
    err = _error(GOOD_ROW + "\n")

    assert err.line == 1
    assert err.field == "transaction_id"


def test_empty_file() -> None:
    assert _error("").line == 1


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("2026-11-03", "03-11-2026", "booking_date"),
        ("2026-11-02", "2026-02-30", "transaction_date"),
        ("EUR", "EURO", "currency"),
        ("EUR", "XXX", "currency"),
        ("booked", "geboekt", "status"),
        ("4111", "411", "mcc"),
    ],
)
def test_bad_fields_name_line_and_field(old: str, new: str, field: str) -> None:
    err = _error(f"{HEADER}\n{GOOD_ROW}\n{GOOD_ROW.replace(old, new, 1)}\n")

    assert (err.line, err.field) == (3, field)


def test_booked_row_needs_a_booking_date() -> None:
    err = _error(f"{HEADER}\n{GOOD_ROW.replace('2026-11-03', '')}\n")

    assert (err.line, err.field) == (2, "booking_date")


def test_wrong_number_of_fields() -> None:
    err = _error(f"{HEADER}\n{GOOD_ROW},extra\n")

    assert err.line == 2


def test_empty_trailing_cells_are_tolerated() -> None:
    (item,) = _parse(f"{HEADER}\n{GOOD_ROW},,\n")

    assert item.description == "OV reis"


def test_cp1252_bytes_are_read_as_windows_text() -> None:
    data = f"{HEADER}\n{GOOD_ROW.replace('GVB', 'Kringloop Éénhoorn')}\n".encode("cp1252")

    (item,) = _parse(data)

    assert item.merchant_name == "Kringloop Éénhoorn"


def test_rows_are_read_lazily() -> None:
    text = f"{HEADER}\n{GOOD_ROW}\n{GOOD_ROW.replace('-3.40', 'oops')}\n"
    items = CsvSource().parse(io.BytesIO(text.encode()))

    first = next(iter(items))

    assert first.provider_txn_id == "T1"
    with pytest.raises(SourceError):
        next(iter(items))


def test_caller_stream_is_left_open() -> None:
    stream = io.BytesIO(f"{HEADER}\n{GOOD_ROW}\n".encode())

    list(CsvSource().parse(stream))

    assert not stream.closed


def test_detect() -> None:
    source = CsvSource()

    assert source.detect((SAMPLES / "transactions_semicolon.csv").read_bytes()[:512])
    assert source.detect(CSV_TEMPLATE_PATH.read_bytes()[:512])
    assert not source.detect(b"datum,omschrijving,bedrag")
