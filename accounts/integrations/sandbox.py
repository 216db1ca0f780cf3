"""The sandbox bank: a Dutch consumer's made-up account as Plaid ``/transactions/sync`` pages.

Deterministic for a given seed (``random.Random`` seeded with a string or an int gives the same
sequence on every run and platform, whatever ``PYTHONHASHSEED`` is). The fast stream for
benchmarks is ``accounts.integrations.sandbox_bulk``.

``generate_plaid_sync_pages``
    A Dutch consumer's account as Plaid ``/transactions/sync`` response pages: weekday train
    commutes on NS plus GVB rides and OV-fiets, groceries at Albert Heijn and Jumbo, now and
    then Vinted and kringloop purchases, Shell fuel, a KLM flight, salary, rent and a
    paperless energy bill, a Vinted refund, pending card payments (most of which post later,
    one is voided, the newest are still pending at the end) and a merchant name Plaid enriches
    later (``modified``). The stream replays the account's history day by day, as if every
    update had been pulled through one chain of cursors: amounts follow Plaid's sign convention
    (positive = money out), a posted item that replaces a pending one carries its
    ``pending_transaction_id`` and arrives together with the pending id in ``removed``, and no
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, timedelta

# --------------------------------------------------------------------------------------------
# Plaid /transactions/sync pages
# --------------------------------------------------------------------------------------------


_PFC_PRIMARIES = (
    "FOOD_AND_DRINK",
    "GENERAL_MERCHANDISE",
    "INCOME",
    "RENT_AND_UTILITIES",
    "TRANSPORTATION",
    "TRAVEL",
)


@dataclass(frozen=True, slots=True)
class _Merchant:
    merchant_name: str | None  # Plaid's enriched name (None for transfers)
    name: str  # Plaid's legacy ``name``: the bank's description
    detailed: str  # personal_finance_category.detailed
    channel: str  # payment_channel: "in store" | "online" | "other" (transfers)

    @property
    def primary(self) -> str:
        return next(p for p in _PFC_PRIMARIES if self.detailed.startswith(p + "_"))

    @property
    def entity_id(self) -> str | None:
        if self.merchant_name is None:
            return None
        return "sbx-ent-" + hashlib.sha256(self.merchant_name.encode()).hexdigest()[:16]


_M = _Merchant
_NS = _M("NS", "NS GROEP IZ NS REIZIGERS", "TRANSPORTATION_PUBLIC_TRANSIT", "in store")
_GVB = _M("GVB", "GVB OVPAY AMSTERDAM", "TRANSPORTATION_PUBLIC_TRANSIT", "in store")
_OV_FIETS = _M("OV-fiets", "NS OV-FIETS", "TRANSPORTATION_BIKES_AND_SCOOTERS", "in store")
_AH = _M("Albert Heijn", "ALBERT HEIJN 1452 AMSTERDAM", "FOOD_AND_DRINK_GROCERIES", "in store")
_AH_ONLINE = _M("Albert Heijn", "AH ONLINE BESTELLING", "FOOD_AND_DRINK_GROCERIES", "online")
_JUMBO = _M("Jumbo", "JUMBO 4021 AMSTERDAM", "FOOD_AND_DRINK_GROCERIES", "in store")
_MARKETPLACE = "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES"
_VINTED = _M("Vinted", "VINTED", _MARKETPLACE, "online")
_VINTED_REFUND = _M("Vinted", "VINTED TERUGBETALING", _MARKETPLACE, "online")
_THRIFT = "GENERAL_MERCHANDISE_DISCOUNT_STORES"  # Plaid has no second-hand category
_KRINGLOOPS = (
    _M("Kringloop Het Goed", "KRINGLOOP HET GOED 023 HAARLEM", _THRIFT, "in store"),
    _M("Rataplan", "RATAPLAN AMSTERDAM-NOORD", _THRIFT, "in store"),
    _M("Emmaus", "EMMAUS HAARZUILENS", _THRIFT, "in store"),
)
_SHELL = _M("Shell", "SHELL 7331 AMSTERDAM A10", "TRANSPORTATION_GAS", "in store")
_KLM = _M("KLM", "KLM ROYAL DUTCH AIRLINES 0742", "TRAVEL_FLIGHTS", "online")
_SALARY = _M(None, "SALARIS ACME BV PERIODE", "INCOME_WAGES", "other")
_RENT = _M(None, "HUUR WONINGSTICHTING ROCHDALE", "RENT_AND_UTILITIES_RENT", "other")
_ENERGY = _M(
    "Vattenfall",
    "VATTENFALL TERMIJNBEDRAG DIGITALE FACTUUR",
    "RENT_AND_UTILITIES_GAS_AND_ELECTRICITY",
    "other",
)

# (from, to, fare in cents): second-class single fares of the kind NS charges.
_COMMUTES = (
    ("Haarlem", "Amsterdam Centraal", 460),
    ("Utrecht Centraal", "Amsterdam Centraal", 890),
    ("Almere Centrum", "Amsterdam Zuid", 540),
    ("Leiden Centraal", "Amsterdam Zuid", 1040),
    ("Amersfoort Centraal", "Amsterdam Centraal", 1240),
)


@dataclass(slots=True)
class _Event:
    merchant: _Merchant
    cents: int  # Plaid sign: positive = money out
    auth_day: int  # day index the customer paid
    post_day: int  # day index the bank booked it (>= auth_day)
    description: str = ""  # overrides merchant.name
    pending_first: bool = False  # delivered as pending on auth_day, posted on post_day
    voided: bool = False  # pending that never posts: removed on post_day
    enrich_on: int | None = None  # day index Plaid enriches merchant_name (``modified``)


def _card_lag(rng: random.Random) -> int:
    """Days between paying by card and the bank booking it."""
    roll = rng.random()
    return 0 if roll < 0.7 else 1 if roll < 0.95 else 2


def _history(rng: random.Random, start: date, days: int) -> list[_Event]:
    events: list[_Event] = []

    def card(merchant: _Merchant, cents: int, day: int, description: str = "") -> _Event:
        lag = _card_lag(rng)
        event = _Event(merchant, cents, day, day + lag, description, pending_first=False)
        # A few lagging card payments show up as pending first.
        event.pending_first = lag > 0 and rng.random() < 0.2
        events.append(event)
        return event

    origin, destination, fare = rng.choice(_COMMUTES)
    home_kringloop = rng.choice(_KRINGLOOPS)
    salary = rng.randrange(265_000, 345_000, 5)
    rent = rng.choice((98_500, 112_000, 127_500, 143_000))
    energy_bill = rng.randrange(9_800, 18_500, 100)

    for d in range(days):
        day = start + timedelta(days=d)
        weekday = day.weekday() < 5
        if weekday and rng.random() < 0.8:
            card(_NS, fare, d, f"NS GROEP IZ NS REIZIGERS {origin} - {destination}")
            card(_NS, fare, d, f"NS GROEP IZ NS REIZIGERS {destination} - {origin}")
            if rng.random() < 0.5:
                card(_GVB, rng.randrange(108, 460), d)
            if rng.random() < 0.15:
                card(_OV_FIETS, 465, d)
        if rng.random() < (0.45 if weekday else 0.6):
            card(rng.choice((_AH, _AH, _JUMBO)), rng.randrange(480, 9_500), d)
        if rng.random() < 0.05:
            card(_VINTED, rng.randrange(600, 4_500), d)
        if rng.random() < (0.25 if day.weekday() == 5 else 0.02):
            card(home_kringloop, rng.randrange(250, 4_000), d)
        if rng.random() < 0.08:
            card(_SHELL, rng.randrange(4_500, 8_200), d)
        if day.day == 1:
            events.append(_Event(_RENT, rent, d, d))
        if day.day == 25:
            events.append(_Event(_SALARY, -salary, d, d))
        if day.day == 28:
            events.append(_Event(_ENERGY, energy_bill, d, d))

    # Scenario items every history has, placed relative to its length.
    last = days - 1
    purchase_day = days // 4
    vinted = _Event(_VINTED, rng.randrange(1_500, 4_500), purchase_day, purchase_day)
    events.append(vinted)
    refund_day = min(last, purchase_day + 4)
    events.append(_Event(_VINTED_REFUND, -vinted.cents, refund_day, refund_day))
    kringloop_day = days // 5
    events.append(
        _Event(
            home_kringloop,
            rng.randrange(300, 2_500),
            kringloop_day,
            kringloop_day,
            enrich_on=kringloop_day + 1 if kringloop_day < last else None,
        )
    )
    pending_day = days // 3
    events.append(
        _Event(_JUMBO, rng.randrange(900, 6_000), pending_day, pending_day + 1, pending_first=True)
    )
    voided_day = days // 2
    events.append(
        _Event(
            _AH_ONLINE,
            rng.randrange(4_000, 12_000),
            voided_day,
            min(last, voided_day + 1),
            pending_first=True,
            voided=True,
        )
    )
    flight_day = (2 * days) // 3
    events.append(_Event(_KLM, rng.randrange(18_900, 42_000), flight_day, flight_day))
    if days >= 2:  # the newest card payment is still pending when the history ends
        card(_AH, rng.randrange(480, 9_500), last).post_day = days
    return events


def _transaction(
    event: _Event,
    *,
    txn_id: str,
    account_id: str,
    start: date,
    pending: bool,
    pending_txn_id: str | None = None,
    enriched: bool = True,
) -> dict:
    merchant = event.merchant
    day = event.auth_day if pending else event.post_day
    show_merchant = enriched or event.enrich_on is None
    return {
        "transaction_id": txn_id,
        "account_id": account_id,
        "amount": event.cents / 100,
        "iso_currency_code": "EUR",
        "unofficial_currency_code": None,
        "date": (start + timedelta(days=day)).isoformat(),
        "authorized_date": (start + timedelta(days=event.auth_day)).isoformat()
        if merchant.channel != "other"
        else None,
        "name": event.description or merchant.name,
        "merchant_name": merchant.merchant_name if show_merchant else None,
        "merchant_entity_id": merchant.entity_id if show_merchant else None,
        "pending": pending,
        "pending_transaction_id": pending_txn_id,
        "payment_channel": merchant.channel,
        "personal_finance_category": {
            "primary": merchant.primary,
            "detailed": merchant.detailed,
            "confidence_level": "VERY_HIGH" if show_merchant else "MEDIUM",
        },
    }


def generate_plaid_sync_pages(
    *, account_seed: str, start: date, days: int, page_size: int = 100
) -> list[dict]:
    """The account's history over ``days`` days from ``start`` as Plaid sync pages.

    The first page answers a sync with an empty cursor; each page's ``next_cursor``
    (``"sandbox:<seed>:<n>"``) requests the next one; the last page has ``has_more`` false.
    ``page_size`` counts the items of all three lists together, like Plaid's ``count``.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    rng = random.Random(f"canopy-sandbox:{account_seed}")
    digest = hashlib.sha256(account_seed.encode()).hexdigest()
    account_id = f"sbx-acc-{digest[:24]}"
    counter = 0

    def new_id() -> str:
        nonlocal counter
        counter += 1
        return "sbx-" + hashlib.sha256(f"{account_seed}:txn:{counter}".encode()).hexdigest()[:32]

    # ops: (delivery day, sequence, list name, item, ids the op touches)
    ops: list[tuple[int, int, str, dict, tuple[str, ...]]] = []

    def op(day: int, kind: str, item: dict, touches: tuple[str, ...]) -> None:
        ops.append((day, len(ops), kind, item, touches))

    for event in sorted(_history(rng, start, days), key=lambda e: (e.auth_day, e.post_day)):
        posts = event.post_day < days and not event.voided
        if event.pending_first or not posts:
            pending_id = new_id()
            pending = _transaction(
                event, txn_id=pending_id, account_id=account_id, start=start, pending=True
            )
            op(event.auth_day, "added", pending, (pending_id,))
            if event.post_day < days:  # posts or is voided within the history
                removal = {"transaction_id": pending_id, "account_id": account_id}
                op(event.post_day, "removed", removal, (pending_id,))
            if posts:
                posted_id = new_id()
                posted = _transaction(
                    event,
                    txn_id=posted_id,
                    account_id=account_id,
                    start=start,
                    pending=False,
                    pending_txn_id=pending_id,
                )
                op(event.post_day, "added", posted, (posted_id,))
        else:
            posted_id = new_id()
            enrich = event.enrich_on is not None and event.enrich_on < days
            posted = _transaction(
                event,
                txn_id=posted_id,
                account_id=account_id,
                start=start,
                pending=False,
                enriched=not enrich,
            )
            op(event.post_day, "added", posted, (posted_id,))
            if enrich and event.enrich_on is not None:
                modified = _transaction(
                    event, txn_id=posted_id, account_id=account_id, start=start, pending=False
                )
                op(event.enrich_on, "modified", modified, (posted_id,))
    ops.sort(key=lambda o: (o[0], o[1]))

    chunks: list[dict[str, list[dict]]] = []
    current: dict[str, list[dict]] = {"added": [], "modified": [], "removed": []}
    size = 0
    touched: set[str] = set()
    for _day, _seq, kind, item, touches in ops:
        if size >= page_size or touched.intersection(touches):
            chunks.append(current)
            current = {"added": [], "modified": [], "removed": []}
            size = 0
            touched = set()
        current[kind].append(item)
        size += 1
        touched.update(touches)
    chunks.append(current)

    pages = []
    for number, chunk in enumerate(chunks, start=1):
        request = hashlib.sha256(f"{account_seed}:request:{number}".encode()).hexdigest()
        pages.append(
            {
                "accounts": [],
                "added": chunk["added"],
                "modified": chunk["modified"],
                "removed": chunk["removed"],
                "next_cursor": f"sandbox:{account_seed}:{number}",
                "has_more": number < len(chunks),
                "request_id": request[:15],
                "transactions_update_status": "HISTORICAL_UPDATE_COMPLETE",
            }
        )
    return pages
