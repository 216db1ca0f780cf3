"""The sandbox bank provider: Plaid-style sync pages and the fast benchmark stream."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest

from accounts.integrations import sandbox_bulk as sandbox
from accounts.integrations.sandbox import generate_plaid_sync_pages
from accounts.integrations.sandbox_bulk import generate_transactions
from accounts.integrations.sources.base import NormalisedTransaction
from accounts.normalise import normalise_merchant
from forest.rule_catalogue import CATALOGUE

START = date(2026, 3, 2)
DAYS = 60
PAGE_KEYS = {
    "accounts",
    "added",
    "modified",
    "removed",
    "next_cursor",
    "has_more",
    "request_id",
    "transactions_update_status",
}
TXN_KEYS = {
    "transaction_id",
    "account_id",
    "amount",
    "iso_currency_code",
    "unofficial_currency_code",
    "date",
    "authorized_date",
    "name",
    "merchant_name",
    "merchant_entity_id",
    "pending",
    "pending_transaction_id",
    "payment_channel",
    "personal_finance_category",
}
AWARDING_MERCHANTS = {
    merchant: rule["code"]
    for rule in CATALOGUE
    if rule["awards_energy"]
    for merchant in rule["match_merchants"]
}


def pages_for(seed: str = "demo-user-1", days: int = DAYS, page_size: int = 100) -> list[dict]:
    return generate_plaid_sync_pages(account_seed=seed, start=START, days=days, page_size=page_size)


@pytest.fixture(scope="module")
def pages() -> list[dict]:
    return pages_for()


@pytest.fixture(scope="module")
def added(pages) -> list[dict]:
    return [txn for page in pages for txn in page["added"]]


def page_of(pages: list[dict], kind: str) -> dict[str, int]:
    return {item["transaction_id"]: n for n, page in enumerate(pages) for item in page[kind]}


# ---- determinism and paging -------------------------------------------------------------------


def test_deterministic_for_a_seed():
    assert json.dumps(pages_for("alice")) == json.dumps(pages_for("alice"))
    assert json.dumps(pages_for("alice")) != json.dumps(pages_for("bob"))


def test_page_shape_and_cursor_chain(pages):
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert set(page) == PAGE_KEYS
        assert page["accounts"] == []
        assert page["next_cursor"] == f"sandbox:demo-user-1:{number}"
        assert page["has_more"] is (number < len(pages))
        assert 0 < len(page["added"]) + len(page["modified"]) + len(page["removed"]) <= 100
    assert pages[-1]["has_more"] is False
    assert len({page["next_cursor"] for page in pages}) == len(pages)


@pytest.mark.parametrize("page_size", [1, 7, 500])
def test_page_size_only_changes_the_cut(pages, page_size):
    other = pages_for(page_size=page_size)
    for page in other:
        assert len(page["added"]) + len(page["modified"]) + len(page["removed"]) <= page_size
    assert other[-1]["has_more"] is False
    for kind in ("added", "modified", "removed"):
        assert [item for page in other for item in page[kind]] == [
            item for page in pages for item in page[kind]
        ]


def test_no_page_touches_a_transaction_twice(pages):
    for page in pages:
        ids = [
            item["transaction_id"]
            for kind in ("added", "modified", "removed")
            for item in page[kind]
        ]
        assert len(ids) == len(set(ids))


@pytest.mark.parametrize("days", [1, 2, 3, 7])
def test_short_histories(days):
    pages = pages_for(days=days)
    assert pages[-1]["has_more"] is False
    assert all(page["has_more"] for page in pages[:-1])
    assert sum(len(page["added"]) for page in pages) > 0


@pytest.mark.parametrize("kwargs", [{"days": 0}, {"page_size": 0}])
def test_rejects_nonsense(kwargs):
    with pytest.raises(ValueError):
        pages_for(**kwargs)


# ---- transactions -----------------------------------------------------------------------------


def test_transaction_fields(added):
    account_ids = {txn["account_id"] for txn in added}
    assert len(account_ids) == 1
    last_day = START + timedelta(days=DAYS - 1)
    for txn in added:
        assert set(txn) == TXN_KEYS
        assert isinstance(txn["amount"], float)
        assert txn["amount"] != 0
        assert Decimal(str(txn["amount"])) == Decimal(str(txn["amount"])).quantize(Decimal("0.01"))
        assert txn["iso_currency_code"] == "EUR"
        assert txn["unofficial_currency_code"] is None
        posted = date.fromisoformat(txn["date"])
        assert START <= posted <= last_day
        if txn["authorized_date"] is not None:
            assert START <= date.fromisoformat(txn["authorized_date"]) <= posted
        assert txn["name"]
        assert isinstance(txn["pending"], bool)
        pfc = txn["personal_finance_category"]
        assert pfc["detailed"].startswith(pfc["primary"] + "_")
        assert txn["payment_channel"] in {"in store", "online", "other"}
        assert (txn["merchant_name"] is None) == (txn["merchant_entity_id"] is None)


def test_transaction_ids_are_unique(added):
    ids = [txn["transaction_id"] for txn in added]
    assert len(ids) == len(set(ids))


def test_realistic_mix(added):
    merchants = Counter(txn["merchant_name"] for txn in added)
    for name in ("NS", "GVB", "OV-fiets", "Vinted", "Albert Heijn", "Jumbo", "Shell", "KLM"):
        assert merchants[name] > 0, name
    assert merchants["NS"] >= 40  # commuting most weekdays, both ways
    assert any(merchants[name] for name in ("Kringloop Het Goed", "Rataplan", "Emmaus"))
    categories = Counter(txn["personal_finance_category"]["detailed"] for txn in added)
    assert categories["INCOME_WAGES"] >= 1
    assert categories["RENT_AND_UTILITIES_RENT"] >= 1


def test_plaid_sign_convention(added):
    """Positive = money out; salary and refunds are money in (negative)."""
    for txn in added:
        detailed = txn["personal_finance_category"]["detailed"]
        if detailed == "INCOME_WAGES":
            assert txn["amount"] < 0
        elif "TERUGBETALING" not in txn["name"]:
            assert txn["amount"] > 0, txn
    refunds = [txn for txn in added if txn["merchant_name"] == "Vinted" and txn["amount"] < 0]
    assert len(refunds) == 1
    purchases = {txn["amount"] for txn in added if txn["merchant_name"] == "Vinted"}
    assert -refunds[0]["amount"] in purchases


def test_green_merchants_match_the_catalogue(added):
    codes = {
        AWARDING_MERCHANTS.get(normalise_merchant(txn["merchant_name"] or "")) for txn in added
    }
    assert {
        "rail",
        "metro-tram",
        "bike-share",
        "second-hand-marketplace",
        "second-hand-shop",
    } <= codes


# ---- pending, posted, removed, modified ---------------------------------------------------------


def test_pending_then_posted_linkage(pages, added):
    by_id = {txn["transaction_id"]: txn for txn in added}
    added_page = page_of(pages, "added")
    removed_page = page_of(pages, "removed")
    posted = [txn for txn in added if txn["pending_transaction_id"]]
    assert len(posted) >= 2
    for txn in posted:
        assert txn["pending"] is False
        pending_id = txn["pending_transaction_id"]
        pending = by_id[pending_id]
        assert pending["pending"] is True
        assert pending["pending_transaction_id"] is None
        assert pending["amount"] == txn["amount"]
        assert pending["merchant_name"] == txn["merchant_name"]
        assert pending["date"] <= txn["date"]
        assert txn["authorized_date"] == pending["authorized_date"]
        # Pending added first; its removal arrives no later than the posted item.
        assert (
            added_page[pending_id] < removed_page[pending_id] <= added_page[txn["transaction_id"]]
        )


def test_one_pending_is_voided_and_the_newest_stay_pending(pages, added):
    removed_ids = [item["transaction_id"] for page in pages for item in page["removed"]]
    assert len(removed_ids) == len(set(removed_ids))
    replaced = {txn["pending_transaction_id"] for txn in added if txn["pending_transaction_id"]}
    voided = set(removed_ids) - replaced
    assert len(voided) == 1
    pending_ids = {txn["transaction_id"] for txn in added if txn["pending"]}
    assert set(removed_ids) <= pending_ids  # only pending items disappear
    still_pending = pending_ids - set(removed_ids)
    assert still_pending
    last_day = (START + timedelta(days=DAYS - 1)).isoformat()
    assert any(txn["date"] == last_day for txn in added if txn["transaction_id"] in still_pending)
    for page in pages:
        for item in page["removed"]:
            assert set(item) == {"transaction_id", "account_id"}


def test_modified_items_were_added_earlier(pages):
    added_page = page_of(pages, "added")
    modified = [(n, txn) for n, page in enumerate(pages) for txn in page["modified"]]
    assert modified
    for n, txn in modified:
        assert added_page[txn["transaction_id"]] < n
        assert txn["merchant_name"]  # the enrichment that made Plaid send it again


# ---- fast benchmark stream ----------------------------------------------------------------------


def bench(n: int = 20_000, **kwargs) -> list[tuple[int, NormalisedTransaction]]:
    options = {"users": 50, "start": START, "days": 30, "seed": 7} | kwargs
    return list(generate_transactions(n=n, **options))


def test_fast_stream_yields_n_unique_items():
    items = bench()
    assert len(items) == 20_000
    assert len({txn.provider_txn_id for _, txn in items}) == 20_000
    assert list(generate_transactions(n=0, users=1, start=START, days=1)) == []


def test_fast_stream_items():
    last_day = START + timedelta(days=29)
    users = set()
    for user, txn in bench(5_000):
        users.add(user)
        assert isinstance(txn, NormalisedTransaction)
        assert txn.status == "booked"
        assert txn.currency == "EUR"
        assert isinstance(txn.amount, Decimal)
        assert txn.amount != 0
        assert txn.amount.as_tuple().exponent == -2
        assert START <= txn.booking_date <= last_day
        assert txn.booking_date - txn.transaction_date in (timedelta(0), timedelta(days=1))
        assert txn.mcc == "" or re.fullmatch(r"\d{4}", txn.mcc)
        assert txn.pending_txn_id == ""
    assert users == set(range(50))


def test_fast_stream_mix():
    items = bench()
    money_out = sum(1 for _, txn in items if txn.amount < 0)
    assert money_out > 0.95 * len(items)
    green = sum(
        1
        for _, txn in items
        if normalise_merchant(txn.merchant_name) in AWARDING_MERCHANTS
        or "DIGITALE FACTUUR" in txn.description
    )
    assert 0.35 < green / len(items) < 0.47
    card_style = [txn for _, txn in items if txn.merchant_name in {"Albert Heijn", "Shell", "NS"}]
    assert card_style
    assert all(txn.mcc for txn in card_style)


def test_fast_stream_is_deterministic():
    assert bench(2_000) == bench(2_000)
    assert bench(2_000) != bench(2_000, seed=8)


def test_keyword_fallback_gives_the_same_stream(monkeypatch):
    expected = bench(2_000)
    monkeypatch.setattr(sandbox, "_POSITIONAL_OK", False)
    assert bench(2_000) == expected
