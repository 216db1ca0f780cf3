"""The one shape every transaction source is normalised to, and the errors a source raises.

A source adapter reads a file or an aggregator payload and yields ``NormalisedTransaction``
(or ``RemovedTransaction``) items. It never touches the database: the importer streams the
items into a staging table inside one database transaction, so a ``SourceError`` anywhere
in the input rolls back the whole import.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import BinaryIO, Protocol


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


@dataclass(frozen=True, slots=True)
class RemovedTransaction:
    """The source says this transaction no longer exists (Plaid ``removed``)."""

    provider_txn_id: str


SourceItem = NormalisedTransaction | RemovedTransaction


class Source(Protocol):
    format: str

    def detect(self, head: bytes) -> bool:
        """True when the first bytes of a file look like this format."""

    def parse(self, stream: BinaryIO) -> Iterator[SourceItem]:
        """Yield items one by one; raise SourceError on the first malformed one."""


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
