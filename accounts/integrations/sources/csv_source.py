"""Canopy's own CSV format, for banks that export nothing better (and for hand-made files).

Header (any order, ``,`` or ``;`` as delimiter, UTF-8 with or without BOM)::

    transaction_id,status,booking_date,transaction_date,amount,currency,merchant_name,
    merchant_id,mcc,category,description

* ``status``: ``booked`` or ``pending``.
* ``booking_date`` / ``transaction_date``: ``YYYY-MM-DD``; ``booking_date`` is required for
  booked rows, everything else about dates is optional.
* ``amount``: ``.`` as decimal point, no thousands separator, negative = money out.
* ``currency``: ISO 4217 (``EUR``).
* ``mcc``: four digits or empty. ``transaction_id`` empty -> the row's fingerprint is its id.
* Extra columns are ignored; blank lines are skipped. Bytes that are not UTF-8 are read as
  cp1252 (what Excel writes for plain "CSV"), so accented merchant names survive either way.

Rows are read one at a time. Every error names its line (the physical line in the file, so a
quoted value spanning lines is counted right) and the field.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from accounts.integrations.sources.base import (
    MAX_CATEGORY_LENGTH,
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    NormalisedTransaction,
    OccurrenceCounter,
    SourceError,
    SourceItem,
    clip,
    fit_id,
    parse_amount,
    parse_iso_date,
)
from accounts.integrations.sources.currencies import check_currency

CSV_TEMPLATE_PATH = Path(__file__).with_name("csv_template.csv")
COLUMNS = (
    "transaction_id",
    "status",
    "booking_date",
    "transaction_date",
    "amount",
    "currency",
    "merchant_name",
    "merchant_id",
    "mcc",
    "category",
    "description",
)
_STATUSES = frozenset({"booked", "pending"})
_MCC = re.compile(r"\d{4}")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_UNDECODED = re.compile("[\udc80-\udcff]")


class CsvSource:
    """CSV files with Canopy's documented header (see ``CSV_TEMPLATE_PATH``)."""

    format = "csv"

    def detect(self, head: bytes) -> bool:
        first = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].lower()
        return all(name.encode() in first for name in ("transaction_id", "amount", "currency"))

    def parse(self, stream: BinaryIO) -> Iterator[SourceItem]:
        return _parse(stream)


def _delimiter(header: str) -> str:
    """``;`` when it splits the header into more known columns than ``,`` does."""
    known = set(COLUMNS)

    def score(delimiter: str) -> int:
        return sum(1 for cell in header.split(delimiter) if cell.strip().lower() in known)

    return ";" if score(";") > score(",") else ","


def _parse(stream: BinaryIO) -> Iterator[NormalisedTransaction]:
    # surrogateescape keeps bytes that are not UTF-8; _cell() reads them as cp1252, which is
    # what Dutch Excel writes for "CSV (gescheiden door lijstscheidingsteken)".
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        yield from _rows(text)
    finally:
        text.detach()  # leave the caller's stream open


def _cell(value: str) -> str:
    if _UNDECODED.search(value):
        value = value.encode("utf-8", "surrogateescape").decode("cp1252", "replace")
    return value.strip()


def read_header(header_line: str) -> tuple[str, list[str], dict[str, int]]:
    """``(delimiter, column names, index of each known column)`` of a header line.

    Shared with the PostgreSQL COPY path (``accounts.services.import_copy``), so both read a
    header, and refuse one, the same way.
    """
    if not header_line.strip():
        raise SourceError("the file is empty: expected a header line", line=1)
    delimiter = _delimiter(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter))
    names = [_cell(cell).lower() for cell in header]
    seen: set[str] = set()
    for name in names:
        if name in seen and name:
            raise SourceError(f"column '{name}' appears twice", line=1, field=name)
        seen.add(name)
    missing = [name for name in COLUMNS if name not in seen]
    if missing:
        raise SourceError(
            f"missing column(s): {', '.join(missing)}; the header must be {','.join(COLUMNS)}",
            line=1,
            field=missing[0],
        )
    return delimiter, names, {name: names.index(name) for name in COLUMNS}


def extra_columns(names: list[str]) -> list[int]:
    """Indexes of the columns Canopy does not read: what a row's ``raw`` payload keeps."""
    known = set(COLUMNS)
    return [i for i, name in enumerate(names) if name not in known]


def _rows(text: io.TextIOWrapper) -> Iterator[NormalisedTransaction]:
    delimiter, names, index = read_header(text.readline())
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    extras = extra_columns(names)
    counter = OccurrenceCounter()
    last_line = 1  # physical lines consumed so far (the header)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SourceError(f"unreadable CSV: {exc}", line=last_line + 1) from None
        line = last_line + 1
        last_line = 1 + reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(names) and not any(cell.strip() for cell in row[len(names) :]):
            row = row[: len(names)]  # spreadsheets like to add empty trailing columns
        if len(row) != len(names):
            raise SourceError(
                f"expected {len(names)} fields, found {len(row)} "
                f"(is the delimiter {delimiter!r} used inside a value without quotes?)",
                line=line,
            )
        cells = [_cell(cell) for cell in row]
        values = {name: cells[i] for name, i in index.items()}
        # The payload keeps what the columns do not: the line, and the columns Canopy does
        # not read (a bank's own "note"). The known columns are stored as the row's fields.
        raw = {names[i] or f"column_{i + 1}": cells[i] for i in extras}
        yield _transaction(values, raw, line, counter)


def _transaction(
    values: dict[str, str], raw: dict[str, str], line: int, counter: OccurrenceCounter
) -> NormalisedTransaction:
    status = values["status"].lower()
    if status not in _STATUSES:
        raise SourceError(
            f"status must be 'booked' or 'pending', not {values['status']!r}",
            line=line,
            field="status",
        )
    amount_text = values["amount"]
    if not amount_text:
        raise SourceError("amount is empty", line=line, field="amount")
    if _DECIMAL_COMMA.fullmatch(amount_text):
        raise SourceError(
            f"use '.' as the decimal point: {amount_text!r}", line=line, field="amount"
        )
    amount = parse_amount(amount_text, line=line, field="amount")
    currency = check_currency(values["currency"], line=line, field="currency")
    booking_date = (
        parse_iso_date(values["booking_date"], line=line, field="booking_date")
        if values["booking_date"]
        else None
    )
    if booking_date is None and status == "booked":
        raise SourceError(
            "booking_date is required for a booked row", line=line, field="booking_date"
        )
    transaction_date = (
        parse_iso_date(values["transaction_date"], line=line, field="transaction_date")
        if values["transaction_date"]
        else None
    )
    mcc = values["mcc"]
    if mcc and not (_MCC.fullmatch(mcc) and mcc.isascii()):
        raise SourceError(f"mcc must be four digits, not {mcc!r}", line=line, field="mcc")
    fingerprint = counter.fingerprint(
        booking_date=booking_date or transaction_date,
        amount=amount,
        currency=currency,
        description=f"{values['merchant_name']} {values['description']}",
    )
    if len(values["merchant_id"]) > MAX_ID_LENGTH:
        raise SourceError(
            "merchant_id is longer than 128 characters", line=line, field="merchant_id"
        )
    return NormalisedTransaction(
        provider_txn_id=fit_id(values["transaction_id"])
        if values["transaction_id"]
        else fingerprint,
        status=status,
        amount=amount,
        currency=currency,
        booking_date=booking_date,
        transaction_date=transaction_date,
        merchant_name=clip(values["merchant_name"], MAX_NAME_LENGTH),
        merchant_id=values["merchant_id"],
        mcc=mcc,
        provider_category=clip(values["category"], MAX_CATEGORY_LENGTH),
        description=values["description"],
        raw={**raw, "_line": line},
        origin=f"line {line}",
        fingerprint=fingerprint,
    )
