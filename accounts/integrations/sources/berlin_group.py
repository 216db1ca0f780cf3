"""Berlin Group NextGenPSD2 transaction lists, as GoCardless Bank Account Data returns them.

Shape: ``{"transactions": {"booked": [...], "pending": [...]}}`` with camelCase fields and a
*signed* string amount (``"-4.07"``). Enable Banking's own shape is accepted too:
``{"transactions": [...]}`` with snake_case fields, an unsigned amount and a
``credit_debit_indicator``. ``information`` items (standing orders, not money moved) and
Enable Banking ``INFO``/``OTHR`` entries are skipped.

Pending items often have no ``transactionId``; then the id is ``internalTransactionId`` or,
failing that, the fingerprint, and when the item books later it arrives with a new id (the
importer must expire stale pending rows, the bank does not link them).

The JSON is read whole: aggregators return one document per account and date window.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, BinaryIO

from accounts.integrations.sources.base import (
    MAX_CATEGORY_LENGTH,
    MAX_NAME_LENGTH,
    NormalisedTransaction,
    OccurrenceCounter,
    SourceError,
    SourceItem,
    clip,
    fit_id,
    json_safe,
    load_json,
    normalise_mcc,
    parse_amount,
    parse_iso_date,
)
from accounts.integrations.sources.currencies import check_currency

_SKIPPED_ENABLE_STATUSES = frozenset({"INFO", "OTHR"})
# Keys no Plaid page contains, so the two JSON sources never claim each other's files.
_HEAD_MARKERS = (b'"transactionAmount"', b'"transaction_amount"', b'"booked"')


@dataclass(frozen=True, slots=True)
class _Fields:
    """What both JSON dialects boil down to before ids and fingerprints are settled."""

    ids: tuple[str, ...]
    status: str
    amount: Decimal
    currency: str
    booking_date: date | None
    transaction_date: date | None
    merchant_name: str
    mcc: str
    provider_category: str
    description: str


class BerlinGroupSource:
    """GoCardless / Enable Banking / raw XS2A ``transactions`` JSON."""

    format = "berlin_group"

    def detect(self, head: bytes) -> bool:
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            return False
        return any(marker in head for marker in _HEAD_MARKERS)

    def parse(self, stream: BinaryIO) -> Iterator[SourceItem]:
        yield from parse_payload(load_json(stream))


def parse_payload(payload: Any) -> Iterator[NormalisedTransaction]:
    """Normalise an already-decoded payload (the API-pull path calls this directly)."""
    if not isinstance(payload, dict) or "transactions" not in payload:
        raise SourceError("expected a JSON object with a 'transactions' member", where="$")
    transactions = payload["transactions"]
    counter = OccurrenceCounter()
    if isinstance(transactions, list):
        for index, item in enumerate(transactions):
            where = f"transactions[{index}]"
            fields = _enable_banking_fields(item, where)
            if fields is not None:
                yield _build(fields, item, counter, where)
        return
    if not isinstance(transactions, dict):
        raise SourceError("'transactions' must be an object or a list", where="transactions")
    for status in ("booked", "pending"):
        items = transactions.get(status)
        if items is None:
            continue
        if not isinstance(items, list):
            raise SourceError(f"'{status}' must be a list", where=f"transactions.{status}")
        for index, item in enumerate(items):
            where = f"transactions.{status}[{index}]"
            yield _build(_gocardless_fields(item, status, where), item, counter, where)


def _build(
    fields: _Fields, item: dict, counter: OccurrenceCounter, where: str
) -> NormalisedTransaction:
    fingerprint = counter.fingerprint(
        booking_date=fields.booking_date or fields.transaction_date,
        amount=fields.amount,
        currency=fields.currency,
        description=fields.description or fields.merchant_name,
    )
    txn_id = next((fit_id(i) for i in fields.ids if i), fingerprint)
    return NormalisedTransaction(
        provider_txn_id=txn_id,
        status=fields.status,
        amount=fields.amount,
        currency=fields.currency,
        booking_date=fields.booking_date,
        transaction_date=fields.transaction_date,
        merchant_name=clip(fields.merchant_name, MAX_NAME_LENGTH),
        merchant_id="",
        mcc=fields.mcc,
        provider_category=clip(fields.provider_category, MAX_CATEGORY_LENGTH),
        description=fields.description,
        raw=json_safe(item),  # type: ignore[arg-type]
        fingerprint=fingerprint,
        origin=where,
    )


def _text(item: dict, key: str, where: str) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise SourceError(f"{key} must be text", where=where, field=key)
    return value.strip()


def _name(item: dict, key: str, where: str) -> str:
    """A party's name: a plain string (GoCardless) or ``{"name": ...}`` (Enable Banking)."""
    value = item.get(key)
    if isinstance(value, dict):
        return _text(value, "name", f"{where}.{key}")
    return _text(item, key, where)


def _date(item: dict, keys: tuple[str, ...], where: str) -> date | None:
    for key in keys:
        if item.get(key) is not None:
            return parse_iso_date(
                item[key], where=where, field=key, allow_datetime=key.lower().endswith("time")
            )
    return None


def _money(item: dict, key: str, where: str) -> tuple[Decimal, str]:
    money = item.get(key)
    if not isinstance(money, dict):
        raise SourceError(f"{key} is missing", where=where, field=key)
    amount = parse_amount(money.get("amount"), where=where, field=f"{key}.amount")
    currency = check_currency(money.get("currency"), where=where, field=f"{key}.currency")
    return amount, currency


def _gocardless_fields(item: Any, status: str, where: str) -> _Fields:
    if not isinstance(item, dict):
        raise SourceError("transaction is not an object", where=where)
    amount, currency = _money(item, "transactionAmount", where)
    booking_date = _date(item, ("bookingDate", "bookingDateTime"), where)
    transaction_date = _date(item, ("transactionDate", "valueDate", "valueDateTime"), where)
    if status == "booked" and booking_date is None:
        booking_date = transaction_date  # some banks send only valueDate on booked items
    if amount < 0:
        merchant = _name(item, "creditorName", where) or _name(item, "ultimateCreditor", where)
    else:
        merchant = _name(item, "debtorName", where) or _name(item, "ultimateDebtor", where)
    description = _text(item, "remittanceInformationUnstructured", where)
    if not description:
        lines = item.get("remittanceInformationUnstructuredArray")
        if isinstance(lines, list):
            description = " ".join(str(line).strip() for line in lines if line is not None)
    if not description:
        description = _text(item, "remittanceInformationStructured", where) or _text(
            item, "additionalInformation", where
        )
    return _Fields(
        ids=(_text(item, "transactionId", where), _text(item, "internalTransactionId", where)),
        status=status,
        amount=amount,
        currency=currency,
        booking_date=booking_date,
        transaction_date=transaction_date,
        merchant_name=merchant,
        mcc=normalise_mcc(item.get("merchantCategoryCode")),
        provider_category=_text(item, "proprietaryBankTransactionCode", where)
        or _text(item, "bankTransactionCode", where),
        description=description,
    )


def _enable_banking_fields(item: Any, where: str) -> _Fields | None:
    if not isinstance(item, dict):
        raise SourceError("transaction is not an object", where=where)
    raw_status = _text(item, "status", where).upper() or "BOOK"
    if raw_status in _SKIPPED_ENABLE_STATUSES:
        return None
    if raw_status not in ("BOOK", "PDNG"):
        raise SourceError(f"unknown status {raw_status!r}", where=where, field="status")
    amount, currency = _money(item, "transaction_amount", where)
    indicator = _text(item, "credit_debit_indicator", where).upper()
    if indicator == "DBIT":
        amount = -abs(amount)
    elif indicator == "CRDT":
        amount = abs(amount)
    elif indicator:
        raise SourceError(
            f"credit_debit_indicator must be CRDT or DBIT, not {indicator!r}",
            where=where,
            field="credit_debit_indicator",
        )
    status = "booked" if raw_status == "BOOK" else "pending"
    booking_date = _date(item, ("booking_date",), where)
    transaction_date = _date(item, ("transaction_date", "value_date"), where)
    if status == "booked" and booking_date is None:
        booking_date = transaction_date
    party = "creditor" if amount < 0 else "debtor"
    lines = item.get("remittance_information")
    if isinstance(lines, list):
        description = " ".join(str(line).strip() for line in lines if line is not None)
    else:
        description = _text(item, "remittance_information", where)
    code = item.get("bank_transaction_code")
    category = ""
    if isinstance(code, dict):
        parts = [_text(code, "code", where), _text(code, "sub_code", where)]
        category = "-".join(p for p in parts if p) or _text(code, "description", where)
    return _Fields(
        ids=(_text(item, "transaction_id", where), _text(item, "entry_reference", where)),
        status=status,
        amount=amount,
        currency=currency,
        booking_date=booking_date,
        transaction_date=transaction_date,
        merchant_name=_name(item, party, where),
        mcc=normalise_mcc(item.get("merchant_category_code")),
        provider_category=category,
        description=description.strip(),
    )
