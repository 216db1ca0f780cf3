"""Plaid /transactions/sync pages: sign flip, pending -> posted, field mapping, bad input."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.integrations.sources.base import (
    NormalisedTransaction,
    RemovedTransaction,
    SourceError,
)
from accounts.integrations.sources.plaid import PlaidSource, SyncPage, parse_sync_page

SAMPLE = Path(__file__).parent / "samples" / "plaid_sync_page.json"


def _payload() -> dict:
    return json.loads(SAMPLE.read_text())


def _page_with(item: dict) -> dict:
    return {"added": [item], "modified": [], "removed": [], "next_cursor": "c1", "has_more": False}


def _item(**overrides: object) -> dict:
    item = {
        "transaction_id": "txn-1",
        "amount": 3.4,
        "iso_currency_code": "EUR",
        "unofficial_currency_code": None,
        "date": "2026-11-03",
        "authorized_date": "2026-11-02",
        "name": "GVB AMSTERDAM",
        "merchant_name": "GVB",
        "pending": False,
    }
    item.update(overrides)
    return item


def test_sync_page_orders_added_modified_then_removed_and_keeps_cursor() -> None:
    page = parse_sync_page(_payload())

    assert isinstance(page, SyncPage)
    assert page.has_more is True
    assert page.next_cursor.startswith("tVUUL15lYQN5")
    kinds = [type(item).__name__ for item in page.items]
    assert kinds == ["NormalisedTransaction"] * 4 + ["RemovedTransaction"]


def test_amount_sign_is_flipped_to_negative_for_money_out() -> None:
    items = {i.provider_txn_id: i for i in parse_sync_page(_payload()).items}

    ns = items["lPNjeW1nR6CDn5okmGQ6hEpMo4lLNoSrzqDje"]
    vinted = items["Vq8mJ1rT5cXk2LpN9sYdB4wE7hGfA0oUiZnC6"]
    assert ns.amount == Decimal("-23.40")
    assert vinted.amount == Decimal("18.00")
    # 23.4 as a float must not become -23.399999...
    assert str(ns.amount) == "-23.4"


def test_pending_to_posted_pair_links_the_removed_pending_id() -> None:
    page = parse_sync_page(_payload())
    removed = [i for i in page.items if isinstance(i, RemovedTransaction)]
    posted = page.items[0]

    assert [r.provider_txn_id for r in removed] == ["no86Eox18VHMvaOVL7gPUM9ap3aR1LsAVZ5nc"]
    assert removed[0].account == "BxBXxLj1m4HMXBm9WZZmCWVbPjX16EHwv99vp"
    assert isinstance(posted, NormalisedTransaction)
    assert posted.status == "booked"
    assert posted.pending_txn_id == removed[0].provider_txn_id


def test_field_mapping() -> None:
    page = parse_sync_page(_payload())
    ns, ov_fiets, _vinted, ah = page.items[:4]

    assert ns.booking_date == date(2026, 11, 3)
    assert ns.transaction_date == date(2026, 11, 2)
    assert ns.merchant_name == "NS"
    assert ns.merchant_id == "nsGroepEntity0001"
    assert ns.provider_category == "TRANSPORTATION_PUBLIC_TRANSIT"
    assert ns.description == "NS GROEP IZ NS REIZIGERS UTRECHT"
    assert ns.mcc == ""
    assert ns.currency == "EUR"
    assert ns.fingerprint == ""

    assert ov_fiets.status == "pending"
    assert ov_fiets.merchant_name == "OV-FIETS UTRECHT CS"  # merchant_name null -> name
    assert ov_fiets.merchant_id == ""
    assert ov_fiets.transaction_date is None
    assert ov_fiets.pending_txn_id == ""

    assert ah.provider_category == "FOOD_AND_DRINK_GROCERIES"
    assert ah.amount == Decimal("-41.27")


def test_raw_is_the_json_serialisable_item() -> None:
    payload = _payload()
    page = parse_sync_page(payload)

    assert page.items[0].raw == payload["added"][0]
    json.dumps([i.raw for i in page.items if isinstance(i, NormalisedTransaction)])


def test_payload_decoded_with_decimal_floats_still_gives_json_safe_raw() -> None:
    payload = json.loads(SAMPLE.read_text(), parse_float=Decimal)
    page = parse_sync_page(payload)

    assert page.items[0].amount == Decimal("-23.4")
    json.dumps(page.items[0].raw)


def test_uploaded_file_yields_the_same_items() -> None:
    items = list(PlaidSource().parse(io.BytesIO(SAMPLE.read_bytes())))

    assert items == parse_sync_page(_payload()).items


def test_uploaded_file_may_omit_modified_and_removed() -> None:
    data = json.dumps({"added": [_item()]}).encode()

    items = list(PlaidSource().parse(io.BytesIO(data)))

    assert [i.provider_txn_id for i in items] == ["txn-1"]


def test_unofficial_currency_is_rejected_when_not_iso() -> None:
    item = _item(iso_currency_code=None, unofficial_currency_code="BTC")

    with pytest.raises(SourceError) as err:
        parse_sync_page(_page_with(item))

    assert err.value.field == "unofficial_currency_code"
    assert err.value.where == "added[0]"
    assert "BTC" in err.value.message


def test_unknown_iso_currency_is_rejected() -> None:
    with pytest.raises(SourceError) as err:
        parse_sync_page(_page_with(_item(iso_currency_code="EUX")))

    assert err.value.field == "iso_currency_code"


def test_bad_date_names_the_field() -> None:
    with pytest.raises(SourceError) as err:
        parse_sync_page(_page_with(_item(date="03-11-2026")))

    assert err.value.field == "date"
    assert "added[0]" in str(err.value)


@pytest.mark.parametrize("amount", [float("nan"), float("inf"), "12,40", "abc", True, None, [1]])
def test_bad_amounts_are_rejected(amount: object) -> None:
    with pytest.raises(SourceError) as err:
        parse_sync_page(_page_with(_item(amount=amount)))

    assert err.value.field == "amount"


def test_amount_string_is_accepted_when_numeric_text() -> None:
    # Plaid sends numbers, but a hand-edited upload may quote them; text is still validated.
    page = parse_sync_page(_page_with(_item(amount="3.40")))

    assert page.items[0].amount == Decimal("-3.40")


def test_missing_pending_flag_is_an_error() -> None:
    item = _item()
    del item["pending"]

    with pytest.raises(SourceError) as err:
        parse_sync_page(_page_with(item))

    assert err.value.field == "pending"


def test_api_page_requires_cursor_and_has_more() -> None:
    payload = _page_with(_item())
    del payload["has_more"]

    with pytest.raises(SourceError) as err:
        parse_sync_page(payload)

    assert err.value.field == "has_more"


def test_invalid_json_upload_names_the_line() -> None:
    data = b'{\n  "added": [\n    {"transaction_id": "x",}\n  ]\n}'

    with pytest.raises(SourceError) as err:
        list(PlaidSource().parse(io.BytesIO(data)))

    assert err.value.line == 3


def test_nan_literal_in_upload_is_refused() -> None:
    data = b'{"added": [{"transaction_id": "x", "amount": NaN}]}'

    with pytest.raises(SourceError):
        list(PlaidSource().parse(io.BytesIO(data)))


def test_detect() -> None:
    source = PlaidSource()

    assert source.detect(SAMPLE.read_bytes()[:4096])
    assert not source.detect(b'{"transactions": {"booked": []}}')
    assert not source.detect(b"OFXHEADER:100")
