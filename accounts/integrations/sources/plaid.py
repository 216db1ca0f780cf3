"""Plaid ``/transactions/sync`` pages, from the API or uploaded as a JSON file.

Plaid's ``amount`` is positive for money *out*; Canopy's is negative for money out, so the sign
is flipped here and nowhere else. A pending item that posts arrives twice: its id in
``removed`` and the posted item in ``added`` with ``pending_transaction_id`` pointing back, so
``added`` and ``modified`` are yielded before ``removed``. Plaid has no MCC.

The JSON is read whole (Plaid pages hold at most 500 transactions).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from accounts.integrations.sources.base import (
    MAX_CATEGORY_LENGTH,
    MAX_NAME_LENGTH,
    NormalisedTransaction,
    RemovedTransaction,
    SourceError,
    SourceItem,
    account_key,
    clip,
    fit_id,
    json_safe,
    load_json,
    parse_amount,
    parse_iso_date,
)
from accounts.integrations.sources.currencies import check_currency

GET_RESPONSE_MESSAGE = (
    "this is a Plaid /transactions/get response, which Canopy does not import; upload a "
    "/transactions/sync page (a JSON object with 'added', 'modified' and 'removed')"
)
# Keys a /transactions/get response has and a sync page has not.
GET_RESPONSE_MARKERS = (b'"total_transactions"',)

# Keys only a sync page has ("transaction_id" is left out: Enable Banking uses it too).
_HEAD_MARKERS = (b'"next_cursor"', b'"added"', b'"removed"', b'"modified"')


@dataclass(slots=True)
class SyncPage:
    """One ``/transactions/sync`` response: its items, and where the next page starts."""

    items: list[SourceItem] = field(default_factory=list)
    next_cursor: str = ""
    has_more: bool = False


def parse_sync_page(payload: dict) -> SyncPage:
    """Normalise one sync response from the API; the caller loops while ``has_more``.

    ``next_cursor`` and ``has_more`` are required here: a pull loop that guessed them would
    either stop early or never stop.
    """
    if not isinstance(payload, dict):
        raise SourceError("a Plaid sync page must be a JSON object", where="$")
    cursor = payload.get("next_cursor")
    if not isinstance(cursor, str):
        raise SourceError("next_cursor is missing or not text", where="$", field="next_cursor")
    has_more = payload.get("has_more")
    if not isinstance(has_more, bool):
        raise SourceError("has_more is missing or not true/false", where="$", field="has_more")
    return SyncPage(items=list(iter_page_items(payload)), next_cursor=cursor, has_more=has_more)


def iter_page_items(payload: dict, *, require_all: bool = True) -> Iterator[SourceItem]:
    """Yield the page's ``added``, then ``modified``, then ``removed`` items.

    With ``require_all=False`` (uploaded files) a missing ``modified``/``removed`` list is
    taken as empty; ``added`` is always required.
    """
    if not isinstance(payload, dict):
        raise SourceError("a Plaid sync page must be a JSON object", where="$")
    if "added" not in payload and isinstance(payload.get("transactions"), list):
        raise SourceError(GET_RESPONSE_MESSAGE, where="$", field="transactions")
    for key in ("added", "modified", "removed"):
        value = payload.get(key)
        if value is None and (key != "added" and not require_all):
            continue
        if not isinstance(value, list):
            raise SourceError(f"'{key}' is missing or not a list", where="$", field=key)
    for key in ("added", "modified"):
        for index, item in enumerate(payload.get(key) or []):
            yield _transaction(item, where=f"{key}[{index}]")
    for index, item in enumerate(payload.get("removed") or []):
        where = f"removed[{index}]"
        if not isinstance(item, dict):
            raise SourceError("removed item is not an object", where=where)
        yield RemovedTransaction(
            provider_txn_id=_required_id(item, "transaction_id", where),
            account=_account(item, where),
        )


def _required_id(item: dict, key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SourceError(f"{key} is missing", where=where, field=key)
    return fit_id(value)


def _account(item: dict, where: str) -> str:
    """The item's ``account_id`` (one Plaid item can hold several accounts)."""
    value = item.get("account_id")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SourceError("account_id must be text", where=where, field="account_id")
    return account_key(value)


def _text(item: dict, key: str, where: str) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SourceError(f"{key} must be text or null", where=where, field=key)
    return value.strip()


def _transaction(item: Any, *, where: str) -> NormalisedTransaction:
    if not isinstance(item, dict):
        raise SourceError("transaction is not an object", where=where)
    txn_id = _required_id(item, "transaction_id", where)
    pending = item.get("pending")
    if not isinstance(pending, bool):
        raise SourceError("pending is missing or not true/false", where=where, field="pending")
    if "amount" not in item:
        raise SourceError("amount is missing", where=where, field="amount")
    amount = parse_amount(item["amount"], where=where, field="amount").copy_negate()
    if not amount:
        amount = amount.copy_abs()  # no "-0.00" for a zero-amount item

    iso_code = item.get("iso_currency_code")
    if iso_code is not None:
        currency = check_currency(iso_code, where=where, field="iso_currency_code")
    elif item.get("unofficial_currency_code") is not None:
        currency = check_currency(
            item["unofficial_currency_code"], where=where, field="unofficial_currency_code"
        )
    else:
        raise SourceError("iso_currency_code is missing", where=where, field="iso_currency_code")

    if item.get("date") is None:
        raise SourceError("date is missing", where=where, field="date")
    booking_date = parse_iso_date(item["date"], where=where, field="date")
    authorized = item.get("authorized_date")
    transaction_date = (
        None
        if authorized is None
        else parse_iso_date(authorized, where=where, field="authorized_date")
    )

    name = _text(item, "name", where)
    category = item.get("personal_finance_category")
    detailed = ""
    if isinstance(category, dict) and isinstance(category.get("detailed"), str):
        detailed = category["detailed"]
    pending_id = _text(item, "pending_transaction_id", where)

    return NormalisedTransaction(
        provider_txn_id=txn_id,
        status="pending" if pending else "booked",
        amount=amount,
        currency=currency,
        booking_date=booking_date,
        transaction_date=transaction_date,
        merchant_name=clip(_text(item, "merchant_name", where) or name, MAX_NAME_LENGTH),
        merchant_id=fit_id(_text(item, "merchant_entity_id", where)),
        mcc="",
        provider_category=clip(detailed, MAX_CATEGORY_LENGTH),
        description=name,
        raw=json_safe(item),  # type: ignore[arg-type]
        pending_txn_id=fit_id(pending_id) if pending_id else "",
        account=_account(item, where),
        origin=where,
    )


class PlaidSource:
    """An uploaded JSON file holding one ``/transactions/sync`` response."""

    format = "plaid"

    def detect(self, head: bytes) -> bool:
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        return text.startswith(b"{") and any(marker in head for marker in _HEAD_MARKERS)

    def parse(self, stream: BinaryIO) -> Iterator[SourceItem]:
        payload = load_json(stream)
        yield from iter_page_items(payload, require_all=False)
