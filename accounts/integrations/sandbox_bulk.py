"""A fast, deterministic stream of ``NormalisedTransaction`` items for many users (benchmarks)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import fields
from datetime import date, timedelta
from decimal import Decimal

from accounts.integrations.sources.base import NormalisedTransaction
from accounts.models import TRANSACTION_BANK_FIELDS

# --------------------------------------------------------------------------------------------
# Fast NormalisedTransaction stream for benchmarks
# --------------------------------------------------------------------------------------------

# (weight, merchant name, MCC or "" for non-card payments, provider category, description,
#  amount range in cents (low, high); positive = money IN, i.e. the NormalisedTransaction sign)
# Weights add up to 100; the first block (41) matches green-action rules of forest.catalogue.
_BENCH_TEMPLATES: tuple[tuple[int | float, str, str, str, str, tuple[int, int]], ...] = (
    (12, "NS", "4112", "TRANSPORTATION_PUBLIC_TRANSIT", "NS GROEP IZ NS REIZIGERS", (-2_500, -250)),
    (6, "GVB", "4111", "TRANSPORTATION_PUBLIC_TRANSIT", "GVB OVPAY AMSTERDAM", (-460, -108)),
    (3, "RET", "4111", "TRANSPORTATION_PUBLIC_TRANSIT", "RET ROTTERDAM", (-460, -108)),
    (2, "HTM", "4111", "TRANSPORTATION_PUBLIC_TRANSIT", "HTM DEN HAAG", (-460, -108)),
    (2, "Arriva", "4131", "TRANSPORTATION_PUBLIC_TRANSIT", "ARRIVA BUS", (-900, -150)),
    (1, "Qbuzz", "4131", "TRANSPORTATION_PUBLIC_TRANSIT", "QBUZZ GRONINGEN", (-900, -150)),
    (3, "OV-fiets", "", "TRANSPORTATION_BIKES_AND_SCOOTERS", "NS OV-FIETS", (-465, -465)),
    (1, "Lime", "", "TRANSPORTATION_BIKES_AND_SCOOTERS", "LIME*RIDE", (-800, -150)),
    (1, "Felyx", "", "TRANSPORTATION_BIKES_AND_SCOOTERS", "FELYX SHARING", (-900, -200)),
    (3, "Vinted", "", "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES", "VINTED", (-4_500, -600)),
    (
        2,
        "Kringloop Het Goed",
        "5931",
        "GENERAL_MERCHANDISE_DISCOUNT_STORES",
        "KRINGLOOP HET GOED",
        (-4_000, -250),
    ),
    (
        1,
        "Marktplaats",
        "",
        "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES",
        "MARKTPLAATS BV",
        (-6_000, -500),
    ),
    (1, "Fastned", "5552", "", "FASTNED", (-4_500, -800)),
    (1, "Shell Recharge", "5552", "", "SHELL RECHARGE", (-3_000, -500)),
    (0.5, "Mister Minit", "7251", "", "MISTER MINIT", (-4_500, -1_000)),
    (
        0.5,
        "Swapfiets",
        "",
        "TRANSPORTATION_BIKES_AND_SCOOTERS",
        "SWAPFIETS ABONNEMENT",
        (-2_290, -1_690),
    ),
    (
        1,
        "Vattenfall",
        "4900",
        "RENT_AND_UTILITIES_GAS_AND_ELECTRICITY",
        "VATTENFALL TERMIJNBEDRAG DIGITALE FACTUUR",
        (-18_500, -9_800),
    ),
    (16, "Albert Heijn", "5411", "FOOD_AND_DRINK_GROCERIES", "ALBERT HEIJN 1452", (-9_500, -150)),
    (10, "Jumbo", "5411", "FOOD_AND_DRINK_GROCERIES", "JUMBO 4021", (-9_500, -150)),
    (5, "Lidl", "5411", "FOOD_AND_DRINK_GROCERIES", "LIDL 0873", (-7_500, -150)),
    (3, "HEMA", "5311", "GENERAL_MERCHANDISE_DEPARTMENT_STORES", "HEMA", (-4_000, -200)),
    (3, "Kruidvat", "5912", "MEDICAL_PHARMACIES_AND_SUPPLEMENTS", "KRUIDVAT 7712", (-3_500, -150)),
    (4, "bol.com", "", "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES", "BOL.COM", (-12_000, -800)),
    (4, "Thuisbezorgd.nl", "5814", "FOOD_AND_DRINK_FAST_FOOD", "THUISBEZORGD.NL", (-4_500, -1_200)),
    (3, "Cafe de Jaren", "5812", "FOOD_AND_DRINK_RESTAURANT", "CAFE DE JAREN", (-9_000, -350)),
    (4, "Shell", "5541", "TRANSPORTATION_GAS", "SHELL 7331", (-8_200, -2_000)),
    (1, "BP", "5542", "TRANSPORTATION_GAS", "BP EXPRESS", (-8_200, -2_000)),
    (0.5, "KLM", "3010", "TRAVEL_FLIGHTS", "KLM ROYAL DUTCH AIRLINES", (-42_000, -9_000)),
    (0.5, "Ryanair", "4511", "TRAVEL_FLIGHTS", "RYANAIR", (-25_000, -2_500)),
    (1, "Netflix", "4899", "ENTERTAINMENT_TV_AND_MOVIES", "NETFLIX.COM", (-1_799, -899)),
    (1, "Spotify", "5815", "ENTERTAINMENT_MUSIC_AND_AUDIO", "SPOTIFY", (-1_799, -1_099)),
    (1, "Action", "5331", "GENERAL_MERCHANDISE_DISCOUNT_STORES", "ACTION 1322", (-3_000, -150)),
    (1, "", "", "INCOME_WAGES", "SALARIS ACME BV", (265_000, 345_000)),
    (1, "", "", "RENT_AND_UTILITIES_RENT", "HUUR WONINGSTICHTING ROCHDALE", (-143_000, -98_500)),
)

# The order generate_transactions passes NormalisedTransaction's fields in, positionally.
_POSITIONAL_FIELDS = ("provider_txn_id", *TRANSACTION_BANK_FIELDS)
_POSITIONAL_OK = (
    tuple(f.name for f in fields(NormalisedTransaction))[: len(_POSITIONAL_FIELDS)]
    == _POSITIONAL_FIELDS
)

_SLOTS = 200  # weights x 2 are whole numbers that add up to 200
_AMOUNTS_PER_TEMPLATE = 64  # precomputed amounts per template, picked by 6 random bits


def _bench_table(rng: random.Random) -> list[tuple[str, str, str, str, str, tuple[Decimal, ...]]]:
    table = []
    for weight, merchant, mcc, category, description, (low, high) in _BENCH_TEMPLATES:
        merchant_id = f"sbx-ent-{merchant.lower().replace(' ', '-')}" if merchant else ""
        amounts = tuple(
            Decimal(rng.randint(low, high)).scaleb(-2) for _ in range(_AMOUNTS_PER_TEMPLATE)
        )
        row = (merchant, merchant_id, mcc, category, description, amounts)
        table.extend([row] * round(weight * 2))
    if len(table) != _SLOTS:
        raise AssertionError(f"benchmark template weights give {len(table)} slots, not {_SLOTS}")
    return table


def generate_transactions(
    *, n: int, users: int, start: date, days: int, seed: int = 0
) -> Iterator[tuple[int, NormalisedTransaction]]:
    """Yield ``n`` booked EUR transactions as ``(user_index, NormalisedTransaction)``.

    Users are ``0 .. users - 1``; booking dates fall in ``start .. start + days - 1`` (the
    transaction date is the same day or the day before); about 40 % of the items come from
    merchants the green-action catalogue rewards, card-style merchants carry their MCC, and
    ``provider_txn_id`` is unique within the stream (``"bench:<seed>:<i>"``). Built for
    speed: templates, amounts and dates are precomputed, so each item costs one random draw.
    """
    if users < 1 or days < 1:
        raise ValueError("users and days must be at least 1")
    rng = random.Random(seed)
    table = _bench_table(rng)
    date_pairs: list[tuple[date, date]] = []
    for d in range(days):
        booked = start + timedelta(days=d)
        date_pairs.append((booked, booked))
        date_pairs.append((booked, booked - timedelta(days=1)))
    n_dates = len(date_pairs)
    getrandbits = rng.getrandbits
    prefix = f"bench:{seed}:"
    transaction = NormalisedTransaction
    if not _POSITIONAL_OK:  # base.py changed its field order: slower, but still correct
        yield from _generate_with_keywords(n, users, table, date_pairs, getrandbits, prefix)
        return
    for i in range(n):
        r = getrandbits(96)
        merchant, merchant_id, mcc, category, description, amounts = table[(r & 0xFFFF) % _SLOTS]
        booked, transacted = date_pairs[((r >> 16) & 0xFFFFFF) % n_dates]
        # Positional arguments: about 20 % faster than keywords for a frozen dataclass.
        yield (
            (r >> 48) % users,
            transaction(
                prefix + str(i),
                "booked",
                amounts[(r >> 40) & 63],
                "EUR",
                booked,
                transacted,
                merchant,
                merchant_id,
                mcc,
                category,
                description,
            ),
        )


def _generate_with_keywords(
    n: int,
    users: int,
    table: list[tuple[str, str, str, str, str, tuple[Decimal, ...]]],
    date_pairs: list[tuple[date, date]],
    getrandbits: Callable[[int], int],
    prefix: str,
) -> Iterator[tuple[int, NormalisedTransaction]]:
    n_dates = len(date_pairs)
    for i in range(n):
        r = getrandbits(96)
        merchant, merchant_id, mcc, category, description, amounts = table[(r & 0xFFFF) % _SLOTS]
        booked, transacted = date_pairs[((r >> 16) & 0xFFFFFF) % n_dates]
        yield (
            (r >> 48) % users,
            NormalisedTransaction(
                provider_txn_id=prefix + str(i),
                status="booked",
                amount=amounts[(r >> 40) & 63],
                currency="EUR",
                booking_date=booked,
                transaction_date=transacted,
                merchant_name=merchant,
                merchant_id=merchant_id,
                mcc=mcc,
                provider_category=category,
                description=description,
            ),
        )
