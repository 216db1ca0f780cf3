"""The one shape every transaction source is normalised to, and the errors a source raises.

A source adapter reads a file or an aggregator payload and yields ``NormalisedTransaction``
(or ``RemovedTransaction``) items. It never touches the database: the importer streams the
items into a staging table inside one database transaction, so a ``SourceError`` anywhere
in the input rolls back the whole import.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, BinaryIO, Protocol


class SourceError(ValueError):
    """Malformed input: names the line (or XML element / JSON path) and the field that is wrong."""

    def __init__(self, message: str, *, line: int | None = None, field: str = "", where: str = ""):
        self.message = message
        self.line = line
        self.field = field
        self.where = where
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.where:
            parts.append(self.where)
        if self.field:
            parts.append(f"field '{self.field}'")
        prefix = ", ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "where": self.where,
            "field": self.field,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class NormalisedTransaction:
    provider_txn_id: str  # the source's own id; the importer may swap in ``fingerprint``
    status: str  # "booked" | "pending"
    amount: Decimal  # negative = money out, from the customer's point of view
    currency: str  # ISO 4217, upper case
    booking_date: date | None
    transaction_date: date | None
    merchant_name: str = ""
    merchant_id: str = ""
    mcc: str = ""  # four digits, "" when the source has none (Plaid, camt.053)
    provider_category: str = ""
    description: str = ""
    raw: dict = field(default_factory=dict)  # JSON-serialisable original item
    pending_txn_id: str = ""  # the pending item this posted item replaces (Plaid)
    is_reversal: bool = False  # camt.053 RvslInd, or a source's explicit reversal flag
    fingerprint: str = ""  # fallback identity for sources whose ids are unstable
    # The file's own account this item belongs to (IBAN, OFX ACCTID, Plaid account_id), as
    # ``account_key`` writes it; "" when the source names none. See ``import_merge``.
    account: str = ""
    # Where the item is in the input ("line 12", "added[3]"), for errors that name two items.
    origin: str = ""


@dataclass(frozen=True, slots=True)
class RemovedTransaction:
    """The source says this transaction no longer exists (Plaid ``removed``)."""

    provider_txn_id: str
    account: str = ""


SourceItem = NormalisedTransaction | RemovedTransaction


class Source(Protocol):
    format: str

    def detect(self, head: bytes) -> bool:
        """True when the first bytes of a file look like this format."""

    def parse(self, stream: BinaryIO) -> Iterator[SourceItem]:
        """Yield items one by one; raise SourceError on the first malformed one."""


_IBAN_TEXT = re.compile(r"[A-Za-z]{2}\d{2}[A-Za-z0-9]{11,30}", re.ASCII)


def account_key(value: object) -> str:
    """An account id as compared between a file and a feed: no spaces; IBANs in upper case.

    IBANs are printed in groups of four ("NL91 ABNA 0417 1643 00") and typed in either case;
    other ids (Plaid's account_id) are case-sensitive and kept as they are.
    """
    if not isinstance(value, str):
        return ""
    text = "".join(value.split())
    if _IBAN_TEXT.fullmatch(text):
        text = text.upper()
    return text[:MAX_ID_LENGTH]


def is_iban(value: str) -> bool:
    """Shaped like an IBAN (country, check digits, 11-30 letters and digits)."""
    return bool(_IBAN_TEXT.fullmatch(value))


def transaction_fingerprint(
    *,
    booking_date: date | None,
    amount: Decimal,
    currency: str,
    description: str,
    occurrence: int,
) -> str:
    """A stable identity for banks that change their ids (some rotate OFX FITIDs).

    Two identical payments on the same day are told apart by ``occurrence``: their
    position among identical (date, amount, currency, description) items in one file.
    """
    text = "|".join(
        [
            booking_date.isoformat() if booking_date else "",
            f"{amount:.2f}",
            currency.upper(),
            " ".join(description.lower().split()),
            str(occurrence),
        ]
    )
    return "fp:" + hashlib.sha256(text.encode()).hexdigest()[:40]


# --- Shared validation helpers --------------------------------------------------------------
# Every adapter validates the same things (amounts, dates, MCCs) the same way, so a file that
# imports through one source is held to the same rules as any other.

_AMOUNT_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_ISO_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_ISO_DATETIME_TEXT = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII,
)
# Limits of the columns the importer stores into (Transaction: amount max_digits=14 with 2
# decimals, ids 128 characters, merchant_name 200, provider_category 128).
MAX_ABS_AMOUNT = Decimal("1e12")
MAX_ID_LENGTH = 128
MAX_NAME_LENGTH = 200
MAX_CATEGORY_LENGTH = 128


def parse_amount(
    value: object, *, line: int | None = None, field: str = "amount", where: str = ""
) -> Decimal:
    """A finite Decimal from a source amount (text with '.' as decimal point, or a JSON number).

    Rejects NaN, infinities, exponents, thousands separators and empty values, so that
    nothing a bank or a user types by accident silently becomes a wrong amount.
    """
    if isinstance(value, bool) or value is None:
        raise SourceError(
            f"amount is missing or not a number: {value!r}", line=line, field=field, where=where
        )
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float | Decimal):
        # repr() of a float is the shortest text that round-trips: 2.75 -> "2.75", not 2.7499..
        amount = Decimal(repr(value)) if isinstance(value, float) else value
        if not amount.is_finite():
            raise SourceError(
                f"amount is not a finite number: {value!r}", line=line, field=field, where=where
            )
    elif isinstance(value, str):
        text = value.strip()
        if not _AMOUNT_TEXT.fullmatch(text):
            shown = text if len(text) <= 40 else text[:40] + "..."
            raise SourceError(f"not a valid amount: {shown!r}", line=line, field=field, where=where)
        amount = Decimal(text)
    else:
        raise SourceError(
            f"amount has the wrong type: {type(value).__name__}",
            line=line,
            field=field,
            where=where,
        )
    if abs(amount) >= MAX_ABS_AMOUNT:
        raise SourceError(f"amount is out of range: {value!r}", line=line, field=field, where=where)
    return amount


def parse_iso_date(
    value: object,
    *,
    line: int | None = None,
    field: str = "date",
    where: str = "",
    allow_datetime: bool = False,
) -> date:
    """A date from ``YYYY-MM-DD`` (or, when allowed, the date part of an ISO 8601 datetime).

    The date is taken as written, not converted to UTC: a bank's local booking date is what the
    customer sees on the statement.
    """
    if not isinstance(value, str):
        raise SourceError(
            f"date must be text, not {type(value).__name__}", line=line, field=field, where=where
        )
    text = value.strip()
    day_text = text
    if not _ISO_DATE_TEXT.fullmatch(text):
        match = _ISO_DATETIME_TEXT.fullmatch(text) if allow_datetime else None
        if match is None:
            shown = text if len(text) <= 40 else text[:40] + "..."
            expected = "YYYY-MM-DD" + (" or an ISO datetime" if allow_datetime else "")
            raise SourceError(
                f"not a valid date (expected {expected}): {shown!r}",
                line=line,
                field=field,
                where=where,
            )
        day_text = match.group(1)
    try:
        return date.fromisoformat(day_text)
    except ValueError as exc:
        raise SourceError(
            f"not a valid date: {text!r} ({exc})", line=line, field=field, where=where
        ) from None


_MCC_TEXT = re.compile(r"\d{1,4}", re.ASCII)


def normalise_mcc(value: object) -> str:
    """Four digits, or "" when the value is not an MCC (sources only ever *hint* at one).

    Integers lose leading zeros on the way (0742 -> 742), so 1-3 digits are zero-padded.
    """
    if isinstance(value, bool) or value is None:
        return ""
    text = str(value).strip() if isinstance(value, int | str) else ""
    return text.zfill(4) if _MCC_TEXT.fullmatch(text) else ""


def json_safe(value: object) -> object:
    """A copy of ``value`` that ``json.dumps`` accepts (Decimal -> str, date -> ISO text)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class OccurrenceCounter:
    """Hands out ``transaction_fingerprint`` values, counting identical items within one file.

    Only the most recent ``window`` booking dates are remembered, so memory stays flat however
    long the file is. Statements are ordered by date, so this is exact for them; in an unsorted
    file an identical item that comes back after ``window`` other dates restarts at occurrence 0
    (still deterministic for the same file).
    """

    def __init__(self, window: int = 32) -> None:
        self.window = window
        self._by_date: OrderedDict[date | None, dict[str, int]] = OrderedDict()

    def fingerprint(
        self, *, booking_date: date | None, amount: Decimal, currency: str, description: str
    ) -> str:
        counts = self._by_date.get(booking_date)
        if counts is None:
            counts = self._by_date[booking_date] = {}
            if len(self._by_date) > self.window:
                self._by_date.popitem(last=False)
        else:
            self._by_date.move_to_end(booking_date)
        key = "|".join([f"{amount:.2f}", currency.upper(), " ".join(description.lower().split())])
        occurrence = counts.get(key, 0)
        counts[key] = occurrence + 1
        return transaction_fingerprint(
            booking_date=booking_date,
            amount=amount,
            currency=currency,
            description=description,
            occurrence=occurrence,
        )


def fit_id(value: str) -> str:
    """An id that fits the 128-character column: longer ones (OFX allows 255) become a hash.

    A hash rather than a cut, because two long ids sharing their first 128 characters must not
    collapse into one transaction.
    """
    value = value.strip()
    if len(value) <= MAX_ID_LENGTH:
        return value
    return "h:" + hashlib.sha256(value.encode()).hexdigest()


def clip(value: str, limit: int) -> str:
    """Collapse whitespace and cut free text to a column's length (names and categories)."""
    return " ".join(value.split())[:limit]


def load_json(stream: BinaryIO) -> Any:
    """Parse an uploaded JSON file whole; errors name the line, and NaN/Infinity are refused."""
    data = stream.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError("the file is not UTF-8 text", line=line) from None

    def refuse_constant(name: str) -> Any:
        raise SourceError(f"{name} is not a valid JSON number")

    try:
        return json.loads(text, parse_constant=refuse_constant)
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"invalid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno
        ) from None
