"""A year of made-up customers scored by the real engine, to see the game's pace before shipping.

``economy_simulate`` creates six personas (users, feeds with consent, transactions), scores
them night by night through ``forest.scoring.engine`` exactly as production does, reads what
each earned, and rolls everything back. It answers the operators' question "with these caps
and species costs, how long does each kind of customer take to grow a tree?".

The simulated year starts a week before today (the consent window lets a new feed earn a
week of history) and runs into the future, so the feeds' consents cover every booking date.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Consent, Profile, Provider, Transaction, User
from accounts.normalise import normalise_merchant
from accounts.services.feeds import feed_link
from accounts.services.outbox import outbox_add
from forest.models import GreenAction, ScoringChunk, ScoringRun
from forest.scoring.engine import score_chunk
from forest.selectors.economy import offered_species

#: Days of history a new feed brings to its first night (the consent window's week).
HISTORY_DAYS = 7

# (merchant, mcc, Plaid detailed category)
_NS = ("NS", "4112", "TRANSPORTATION_PUBLIC_TRANSIT")
_GVB = ("GVB", "4111", "TRANSPORTATION_PUBLIC_TRANSIT")
_OV_FIETS = ("OV-fiets", "", "TRANSPORTATION_BIKES_AND_SCOOTERS")
_VINTED = ("Vinted", "", "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES")
_KRINGLOOP = ("Kringloop Het Goed", "5931", "GENERAL_MERCHANDISE_DISCOUNT_STORES")
_FASTNED = ("Fastned", "5552", "TRANSPORTATION_GAS")
_SHELL = ("Shell", "5541", "TRANSPORTATION_GAS")
_KLM = ("KLM", "3007", "TRAVEL_FLIGHTS")
_AH = ("Albert Heijn", "5411", "FOOD_AND_DRINK_GROCERIES")

Purchase = tuple[tuple[str, str, str], Decimal]


@dataclass(frozen=True)
class Persona:
    """A kind of customer: what they buy on a day, as ``(merchant, amount in EUR)`` pairs."""

    name: str
    day: Callable[[random.Random, date], list[Purchase]]


def _eur(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(str(round(rng.uniform(low, high), 2)))


def _weekday(day: date) -> bool:
    return day.weekday() < 5


def _groceries(rng: random.Random) -> list[Purchase]:
    return [(_AH, _eur(rng, 8, 60))] if rng.random() < 0.6 else []


def _train_commuter(rng: random.Random, day: date) -> list[Purchase]:
    """Return trips by train on four working days in five, like the demo's sandbox account."""
    out = _groceries(rng)
    if _weekday(day) and rng.random() < 0.8:
        fare = _eur(rng, 4.6, 12.4)
        out += [(_NS, fare), (_NS, fare)]
        if rng.random() < 0.5:
            out.append((_GVB, _eur(rng, 1.08, 4.6)))
        if rng.random() < 0.15:
            out.append((_OV_FIETS, Decimal("4.65")))
    return out


def _tram_and_bike(rng: random.Random, day: date) -> list[Purchase]:
    """Tram there and back on most working days, a shared bike twice a week, no car."""
    out = _groceries(rng)
    if _weekday(day) and rng.random() < 0.85:
        out += [(_GVB, _eur(rng, 1.08, 3.4)), (_GVB, _eur(rng, 1.08, 3.4))]
    elif not _weekday(day) and rng.random() < 0.4:
        out.append((_GVB, _eur(rng, 1.08, 3.4)))
    if rng.random() < 2 / 7:
        out.append((_OV_FIETS, Decimal("4.65")))
    return out


def _second_hand(rng: random.Random, day: date) -> list[Purchase]:
    """Buys clothes on Vinted about weekly and browses the kringloop twice a month."""
    out = _groceries(rng)
    if rng.random() < 1 / 7:
        out.append((_VINTED, _eur(rng, 8, 35)))
    if rng.random() < 2 / 30:
        out.append((_KRINGLOOP, _eur(rng, 5, 25)))
    return out


def _ev_driver(rng: random.Random, day: date) -> list[Purchase]:
    """Drives electric and charges at a fast charger about twice a week."""
    out = _groceries(rng)
    if rng.random() < 2 / 7:
        out.append((_FASTNED, _eur(rng, 12, 30)))
    return out


def _car_and_train(rng: random.Random, day: date) -> list[Purchase]:
    """Fills up with petrol weekly; takes the train into town twice a month."""
    out = _groceries(rng)
    if rng.random() < 1 / 7:
        out.append((_SHELL, _eur(rng, 55, 85)))
    if rng.random() < 2 / 30:
        fare = _eur(rng, 6, 18)
        out += [(_NS, fare), (_NS, fare)]
    return out


def _frequent_flyer(rng: random.Random, day: date) -> list[Purchase]:
    """Flies twice a month and drives to the airport; nothing green."""
    out = _groceries(rng)
    if rng.random() < 2 / 30:
        out.append((_KLM, _eur(rng, 150, 650)))
    if rng.random() < 1 / 7:
        out.append((_SHELL, _eur(rng, 55, 85)))
    return out


PERSONAS = (
    Persona("daily train commuter", _train_commuter),
    Persona("city tram + bike user", _tram_and_bike),
    Persona("second-hand shopper", _second_hand),
    Persona("EV driver", _ev_driver),
    Persona("car driver with occasional train", _car_and_train),
    Persona("frequent flyer", _frequent_flyer),
)


@dataclass
class PersonaResult:
    name: str
    grams: int  # energy granted over the period
    active_days: int  # days with at least one green action that earned
    days: int  # length of the period (nights since linking the bank)
    days_to_first_tree: dict[str, int | None]  # species code -> nights, None: not reached

    @property
    def grams_per_active_day(self) -> float:
        return round(self.grams / self.active_days, 1) if self.active_days else 0.0

    @property
    def grams_per_day(self) -> float:
        return round(self.grams / self.days, 1) if self.days else 0.0


class _Rollback(Exception):
    pass


def economy_simulate(
    *, days: int = 365, seed: int = 2026, progress: Callable[[int, int], None] | None = None
) -> list[PersonaResult]:
    """Score ``days`` nights of every persona with the real engine; nothing is kept."""
    species = offered_species()
    results: list[PersonaResult] = []
    try:
        with transaction.atomic():
            results = _simulate(days=days, seed=seed, species=species, progress=progress)
            raise _Rollback
    except _Rollback:
        pass
    return results


def _simulate(*, days, seed, species, progress, batch=7) -> list[PersonaResult]:
    today = timezone.localdate()
    start = today - timedelta(days=HISTORY_DAYS)
    users = [_persona_user(persona) for persona in PERSONAS]
    feeds = {user.id: _persona_feed(user) for user in users}
    rngs = {
        user.id: random.Random(f"{seed}:{p.name}") for user, p in zip(users, PERSONAS, strict=True)
    }
    day_purchases = {
        user.id: _purchases(persona, rngs[user.id], start, days + HISTORY_DAYS)
        for user, persona in zip(users, PERSONAS, strict=True)
    }
    # Night 1 is the day the bank is linked: it brings the week of history before it. Once
    # every persona has been scored (the first-night rule is behind them), nights are scored a
    # week at a time, as after an outage: the caps work per booking day, so the energy is
    # what nightly runs would grant, and a booking day's energy counts from its own night.
    ids = [user.id for user in users]
    night = 1
    while night <= days:
        settled = night > 1 and (
            GreenAction.objects.filter(user_id__in=ids).values("user_id").distinct().count()
            == len(ids)
        )
        last_night = min(night + batch - 1, days) if settled else night
        first = 0 if night == 1 else HISTORY_DAYS + night - 1
        _book(feeds, day_purchases, start, first, HISTORY_DAYS + last_night - 1)
        run = ScoringRun.objects.create(triggered_by="economy_simulate")
        for lo, hi in _chunks(users):
            chunk = ScoringChunk.objects.create(run=run, user_id_from=lo, user_id_to=hi)
            score_chunk(chunk.id)
        if progress:
            progress(last_night, days)
        night = last_night + 1
    return [
        _result(persona, user, start, days, species)
        for user, persona in zip(users, PERSONAS, strict=True)
    ]


def _chunks(users: list[User]) -> list[tuple[int, int]]:
    """One chunk for all personas if their ids are contiguous (no real customer between them
    whose queued rows the chunk would claim), else one chunk each."""
    ids = sorted(user.id for user in users)
    if User.objects.filter(id__range=(ids[0], ids[-1])).count() == len(ids):
        return [(ids[0], ids[-1])]
    return [(i, i) for i in ids]


def _persona_user(persona: Persona) -> User:
    email = f"economy-sim-{secrets.token_hex(6)}@example.invalid"
    user = User.objects.create_user(email=email, password=None)
    Profile.objects.create(user=user, display_name=persona.name, time_zone="Europe/Amsterdam")
    return user


def _persona_feed(user: User):
    return feed_link(
        user=user,
        provider=Provider.PLAID,
        account_ref=f"economy-sim-{user.id}",
        display_name="Simulated account",
        scopes=[Consent.Scope.TRANSACTIONS],
        purpose_accepted=True,
    )


def _purchases(persona: Persona, rng: random.Random, start: date, days: int):
    return [persona.day(rng, start + timedelta(days=d)) for d in range(days)]


def booked_purchase(
    *, user_id: int, feed, day: date, provider_txn_id: str, purchase: tuple, eur
) -> Transaction:
    """A persona's purchase ``((merchant, mcc, category), eur)`` as its bank books it: an
    unsaved transaction the way the importer stores a card payment (the demo books these too)."""
    merchant, mcc, category = purchase
    return Transaction(
        user_id=user_id,
        feed=feed,
        provider=feed.provider,
        provider_txn_id=provider_txn_id,
        status=Transaction.Status.BOOKED,
        amount=-eur,
        currency="EUR",
        booking_date=day,
        transaction_date=day,
        merchant_name=merchant,
        merchant_norm=normalise_merchant(merchant),
        mcc=mcc,
        provider_category=category,
        description=merchant.upper(),
    )


def _book(feeds, day_purchases, start: date, first: int, last: int) -> None:
    """The bank's bookings of days ``first`` to ``last``, queued for scoring as the importer
    leaves them."""
    rows = []
    for user_id, feed in feeds.items():
        for d in range(first, last + 1):
            day = start + timedelta(days=d)
            for n, (purchase, eur) in enumerate(day_purchases[user_id][d]):
                rows.append(
                    booked_purchase(
                        user_id=user_id, feed=feed, day=day, provider_txn_id=f"sim-{d}-{n}",
                        purchase=purchase, eur=eur,
                    )
                )  # fmt: skip
    created = Transaction.objects.bulk_create(rows)
    outbox_add(Transaction.objects.filter(id__in=[t.id for t in created]), reason="new")


def _result(persona, user, start: date, days: int, species) -> PersonaResult:
    """Energy per night: a booking day's grams arrive the night of that day, the history's on
    night 1."""
    by_night: dict[int, int] = {}
    earning_days = (
        GreenAction.objects.filter(user=user, grams__gt=0)
        .values_list("booking_date")
        .annotate(total=Sum("grams"))
    )
    for day, grams in earning_days:
        night = max(1, (day - start).days - HISTORY_DAYS + 1)
        by_night[night] = by_night.get(night, 0) + grams
    reached = {sp.code: _first_night_at(by_night, sp.energy_cost_grams, days) for sp in species}
    return PersonaResult(
        name=persona.name,
        grams=sum(by_night.values()),
        active_days=len(earning_days),
        days=days,
        days_to_first_tree=reached,
    )


def _first_night_at(by_night: dict[int, int], cost: int, days: int) -> int | None:
    total = 0
    for night in range(1, days + 1):
        total += by_night.get(night, 0)
        if total >= cost:
            return night
    return None


def results_as_json(results: list[PersonaResult]) -> dict:
    """The command's ``--json`` shape; grams per day is per active day (a day that earned)."""
    return {
        "personas": [
            {
                "name": r.name,
                "grams_per_day": r.grams_per_active_day,
                "days_to_first_tree": r.days_to_first_tree,
            }
            for r in results
        ]
    }


def iter_table(results: list[PersonaResult]) -> Iterator[str]:
    """The human-readable report: one line per persona, one column per species."""
    codes = list(results[0].days_to_first_tree) if results else []
    header = f"{'persona':34} {'g/active day':>12} {'g/day':>7} {'active':>6} " + " ".join(
        f"{code:>11}" for code in codes
    )
    yield header
    for r in results:
        cells = " ".join(
            f"{('-' if n is None else str(n)):>11}" for n in r.days_to_first_tree.values()
        )
        yield (
            f"{r.name:34} {r.grams_per_active_day:>12} {r.grams_per_day:>7} "
            f"{r.active_days:>6} {cells}"
        )
