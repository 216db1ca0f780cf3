"""Berlin Group / GoCardless (and Enable Banking) transaction JSON."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.integrations.sources.base import SourceError
from accounts.integrations.sources.berlin_group import BerlinGroupSource, parse_payload

SAMPLE = Path(__file__).parent / "samples" / "gocardless_transactions.json"


def _parse(payload: dict) -> list:
    return list(BerlinGroupSource().parse(io.BytesIO(json.dumps(payload).encode())))


def _booked(**fields: object) -> dict:
    item = {
        "transactionId": "T1",
        "bookingDate": "2026-11-08",
        "valueDate": "2026-11-08",
        "transactionAmount": {"amount": "-3.40", "currency": "EUR"},
        "creditorName": "GVB",
    }
    item.update(fields)
    return {"transactions": {"booked": [item], "pending": []}}


def test_sample_booked_and_pending() -> None:
    items = list(BerlinGroupSource().parse(io.BytesIO(SAMPLE.read_bytes())))

    assert [i.status for i in items] == ["booked", "booked", "booked", "pending"]
    ns, vinted, kringloop, gvb = items

    assert ns.provider_txn_id == "2026110800123"
    assert ns.amount == Decimal("-23.40")
    assert ns.currency == "EUR"
    assert ns.booking_date == date(2026, 11, 8)
    assert ns.transaction_date == date(2026, 11, 8)
    assert ns.merchant_name == "NS Groep IZ NS Reizigers"
    assert ns.mcc == "4112"
    assert ns.provider_category == "CARD_PAYMENT"
    assert ns.description == "NS ONLINE TICKET 08.11 UTRECHT CS-AMSTERDAM CS"

    # No transactionId: internalTransactionId; money in: the debtor is the counterparty.
    assert vinted.provider_txn_id == "b2f0e5c1d9a84f6b9e3c7a1d5f2e8c40"
    assert vinted.amount == Decimal("18.00")
    assert vinted.merchant_name == "Vinted UAB"
    assert vinted.description == "Vinted uitbetaling verkoop 88213"
    assert vinted.provider_category == "PMNT-RCDT-ESCT"
    assert vinted.mcc == ""

    assert kringloop.mcc == "5931"

    # Pending without any id: the fingerprint is the id; no booking date yet.
    assert gvb.provider_txn_id == gvb.fingerprint
    assert gvb.provider_txn_id.startswith("fp:")
    assert gvb.booking_date is None
    assert gvb.transaction_date == date(2026, 11, 9)
    assert gvb.merchant_name == "GVB Amsterdam"


def test_every_item_has_a_fingerprint_and_json_raw() -> None:
    items = list(BerlinGroupSource().parse(io.BytesIO(SAMPLE.read_bytes())))

    assert all(i.fingerprint.startswith("fp:") for i in items)
    assert items[0].raw["internalTransactionId"] == "85ecaab0e28caccd799bb8b331285ba5"
    json.dumps([i.raw for i in items])


def test_identical_items_get_distinct_fingerprints() -> None:
    item = {
        "bookingDate": "2026-11-08",
        "transactionAmount": {"amount": "-3.40", "currency": "EUR"},
        "creditorName": "GVB",
        "remittanceInformationUnstructured": "GVB OV-CHIPKAART",
    }
    items = _parse({"transactions": {"booked": [item, dict(item)]}})

    assert items[0].provider_txn_id != items[1].provider_txn_id


def test_booked_without_booking_date_falls_back_to_value_date() -> None:
    payload = _booked()
    del payload["transactions"]["booked"][0]["bookingDate"]

    (item,) = _parse(payload)

    assert item.booking_date == date(2026, 11, 8)


def test_transaction_date_prefers_transaction_date_and_accepts_datetimes() -> None:
    (item,) = _parse(
        _booked(
            transactionDate="2026-11-07",
            bookingDate=None,
            bookingDateTime="2026-11-08T07:41:12+01:00",
        )
    )

    assert item.transaction_date == date(2026, 11, 7)
    assert item.booking_date == date(2026, 11, 8)


def test_mcc_is_normalised_or_dropped() -> None:
    assert _parse(_booked(merchantCategoryCode=742))[0].mcc == "0742"
    assert _parse(_booked(merchantCategoryCode="GROC"))[0].mcc == ""
    assert _parse(_booked(merchantCategoryCode="12345"))[0].mcc == ""


def test_enable_banking_shape() -> None:
    payload = {
        "transactions": [
            {
                "entry_reference": "EB-1",
                "transaction_amount": {"currency": "EUR", "amount": "68.90"},
                "credit_debit_indicator": "DBIT",
                "status": "BOOK",
                "booking_date": "2026-11-09",
                "value_date": "2026-11-09",
                "creditor": {"name": "Shell De Meern"},
                "remittance_information": ["Betaalautomaat", "Shell De Meern"],
                "bank_transaction_code": {"code": "CCRD", "sub_code": "POSD"},
                "merchant_category_code": "5541",
            },
            {
                "entry_reference": "EB-2",
                "transaction_amount": {"currency": "EUR", "amount": "18.00"},
                "credit_debit_indicator": "CRDT",
                "status": "PDNG",
                "value_date": "2026-11-10",
                "debtor": {"name": "Vinted UAB"},
            },
            {
                "entry_reference": "EB-3",
                "transaction_amount": {"currency": "EUR", "amount": "0.01"},
                "credit_debit_indicator": "CRDT",
                "status": "INFO",
            },
        ],
        "continuation_key": None,
    }

    shell, vinted = _parse(payload)

    assert shell.provider_txn_id == "EB-1"
    assert shell.amount == Decimal("-68.90")
    assert shell.merchant_name == "Shell De Meern"
    assert shell.description == "Betaalautomaat Shell De Meern"
    assert shell.provider_category == "CCRD-POSD"
    assert shell.mcc == "5541"
    assert vinted.status == "pending"
    assert vinted.amount == Decimal("18.00")
    assert vinted.merchant_name == "Vinted UAB"


def test_bad_amount_names_where_and_field() -> None:
    payload = _booked(transactionAmount={"amount": "-3,40", "currency": "EUR"})

    with pytest.raises(SourceError) as err:
        _parse(payload)

    assert err.value.where == "transactions.booked[0]"
    assert err.value.field == "transactionAmount.amount"


def test_unknown_currency() -> None:
    with pytest.raises(SourceError) as err:
        _parse(_booked(transactionAmount={"amount": "-3.40", "currency": "GLD"}))

    assert err.value.field == "transactionAmount.currency"
    assert "GLD" in str(err.value)


def test_bad_date() -> None:
    with pytest.raises(SourceError) as err:
        _parse(_booked(bookingDate="2026-02-30"))

    assert err.value.field == "bookingDate"


def test_missing_transactions_member() -> None:
    with pytest.raises(SourceError):
        list(parse_payload({"booked": []}))


def test_detect() -> None:
    source = BerlinGroupSource()

    assert source.detect(SAMPLE.read_bytes()[:2048])
    assert not source.detect(b'{"added": [], "next_cursor": ""}')
