"""One day of the living demo: the bank's bookings, the nightly jobs in their scheduled order,
and the consumers' morning habits. ``seed_demo`` runs these for every day of the history with
the clock set back (``demo.clock``); ``demo_advance`` runs them now, for the days it adds.

Nothing here writes energy itself: the bookings go to the consumers' sandbox feeds and the
outbox as the importer leaves them, the scoring engine turns them into drops, and every gram
moves afterwards through the game's services (collect, grow, steal, water, redeem), so the
ledger audit finds no drift.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import ChangedTransaction, LinkedFeed, Transaction
from accounts.services.outbox import outbox_add
from demo.cast import CONSUMERS, FRIENDS, Consumer
from forest.models import EnergyBalance, EnergyDrop, Tree
from forest.models.energy import Account
from forest.scoring.jobs import scoring_run_create, scoring_run_inline
from forest.services.achievements import achievements_nightly
from forest.services.economy_simulation import PERSONAS, booked_purchase
from forest.services.energy import drops_collect_all, drops_expire, ledger_audit
from forest.services.fraud import fraud_sweep
from forest.services.holds import EnergyOnHold
from forest.services.social import NotFriends, SocialError
from forest.services.steals import drop_steal
from forest.services.trees import TreeError, tree_grow, tree_start
from forest.services.watering import friend_water
from partners.demo import demo_partner_reports
from partners.models import PlantingOrder
from partners.services.planting_orders import planting_orders_submit

_PERSONAS = {persona.name: persona for persona in PERSONAS}


@dataclass
class Member:
    """A consumer of the demo as the day's code needs them."""

    consumer: Consumer
    user_id: int
    feed_id: int | None = None
    forest_id: int | None = None
    team_id: int | None = None


def book(members: list[Member], days: list[date]) -> int:
    """The sandbox banks' bookings of ``days`` for every linked member, queued for scoring."""
    rows = []
    feeds = {f.pk: f for f in LinkedFeed.objects.filter(pk__in=[m.feed_id for m in members])}
    for member in members:
        feed = feeds.get(member.feed_id) if member.feed_id else None
        if feed is None:
            continue
        persona = _PERSONAS[member.consumer.persona]
        for day in days:
            rng = random.Random(f"demo:{member.consumer.key}:{day.isoformat()}")
            for n, (purchase, eur) in enumerate(persona.day(rng, day)):
                rows.append(
                    booked_purchase(
                        user_id=member.user_id,
                        feed=feed,
                        day=day,
                        provider_txn_id=f"demo-{member.consumer.key}-{day.isoformat()}-{n}",
                        purchase=purchase,
                        eur=eur,
                    )
                )
    if not rows:
        return 0
    created = Transaction.objects.bulk_create(rows, ignore_conflicts=True)
    keys = [t.provider_txn_id for t in created]
    outbox_add(Transaction.objects.filter(provider_txn_id__in=keys), reason="new")
    return len(rows)


def night(*, now: datetime | None = None) -> Iterator[str]:
    """The nightly jobs in the order their schedules run them (core/schedules.py): scoring at
    02:00, planting orders at 03:30 (and the partner's own work), the ledger audit at 04:30,
    the fraud sweep at 04:45, badges and challenges at 05:00; drops expire every hour."""
    now = now or timezone.now()
    drops_expire(now=now)
    if ChangedTransaction.objects.exists():
        run = scoring_run_create(triggered_by="demo")
        total = scoring_run_inline(run)
        yield f"scoring: {total.transactions_scored} transactions, {total.grams_awarded:,} g"
    partner_ids = (
        PlantingOrder.objects.filter(state=PlantingOrder.State.REQUESTED)
        .values_list("partner_id", flat=True)
        .distinct()
    )
    for partner_id in sorted(set(partner_ids)):
        funded = planting_orders_submit(partner_id, today=timezone.localdate(now)).funded
        if funded:
            yield f"planting orders: {funded} accepted by the partner"
    yield from demo_partner_reports(now=now)
    audit = ledger_audit()
    yield f"ledger audit: drift {audit.drift_count}"
    raised = sum(fraud_sweep(now=now).values())
    if raised:
        yield f"fraud sweep: {raised} open signal(s)"
    awarded = achievements_nightly(now=now)
    badges = sum(awarded["badges"].values())
    if badges:
        yield f"badges and challenges: {badges} badge(s) awarded"


def morning(
    members: list[Member],
    *,
    day: date,
    skip: frozenset[int] | set[int] = frozenset(),
    now: datetime | None = None,
) -> None:
    """The consumers open the app: collect what is ripe, grow their tree (a new one when the
    last matured), steal a little from a friend and water Sanne's tree now and then."""
    now = now or timezone.now()
    by_key = {m.consumer.key: m for m in members}
    for member in members:
        rng = random.Random(f"demo-morning:{member.consumer.key}:{day.isoformat()}")
        if member.user_id in skip or rng.random() > member.consumer.collects:
            continue
        try:
            with transaction.atomic():
                drops_collect_all(user_id=member.user_id, now=now)
                _grow(member, rng, now)
        except (EnergyOnHold, TreeError):
            continue
        sanne = by_key.get("sanne")
        if sanne and member.consumer.key in FRIENDS and rng.random() < 0.25:
            _steal_and_water(member, sanne, rng, now)


def _balance(user_id: int) -> int:
    row = EnergyBalance.objects.filter(user_id=user_id, account=Account.BALANCE).first()
    return row.grams if row else 0


#: People tap "grow" once a few days' energy has gathered, not for every drop.
GROW_FROM_GRAMS = 500


def _grow(member: Member, rng: random.Random, now: datetime) -> None:
    balance = _balance(member.user_id)
    if balance < GROW_FROM_GRAMS:
        return
    share = int(balance * member.consumer.grows)
    if member.team_id and share > 1:
        team_tree = Tree.objects.filter(team_id=member.team_id, status=Tree.Status.GROWING).first()
        if team_tree:
            half = share // 2
            tree_grow(
                user_id=member.user_id,
                tree_id=team_tree.pk,
                grams=half,
                request_key=f"demo:{now:%Y%m%d}",
                now=now,
            )
            share -= half
    tree = Tree.objects.filter(
        owner_id=member.user_id, team__isnull=True, status=Tree.Status.GROWING
    ).first()
    if tree is None and member.forest_id:
        from catalogue.models import BrandForest

        forest = BrandForest.objects.get(pk=member.forest_id)
        species = list(forest.species.filter(is_active=True).order_by("energy_cost_grams"))
        chosen = [sp for sp in species if sp.code == member.consumer.species] or species[:2]
        if not chosen:
            return
        tree = tree_start(
            user_id=member.user_id, species_id=rng.choice(chosen).pk, forest_id=forest.pk
        )
    if tree is not None and share > 0:
        # A request key, as the app sends one: one grow per tree and morning.
        key = f"demo:{now:%Y%m%d}"
        tree_grow(user_id=member.user_id, tree_id=tree.pk, grams=share, request_key=key, now=now)


def _steal_and_water(member: Member, sanne: Member, rng: random.Random, now: datetime) -> None:
    """A friend takes a share of one of Sanne's ripe drops, or waters her tree."""
    try:
        with transaction.atomic():
            if rng.random() < 0.5:
                drop = (
                    EnergyDrop.objects.filter(
                        user_id=sanne.user_id, status=EnergyDrop.Status.OPEN, ripe_at__lte=now
                    )
                    .order_by("-grams")
                    .first()
                )
                if drop is not None:
                    drop_steal(
                        stealer_id=member.user_id, owner_id=sanne.user_id, drop_id=drop.pk, now=now
                    )
            elif _balance(member.user_id) >= 33:
                friend_water(giver_id=member.user_id, friend_id=sanne.user_id, grams=33, now=now)
    except (NotFriends, SocialError, EnergyOnHold, TreeError, EnergyDrop.DoesNotExist):
        pass


def consumers_by_key() -> dict[str, Consumer]:
    return {c.key: c for c in CONSUMERS}


def ripen_and_age(days: int, *, now: datetime | None = None) -> tuple[int, int]:
    """``demo_advance``'s clock: every open drop is ``days`` older (ripening ones ripen, those
    past their 72 hours expire through the expiry job). Only the drops' deadlines move; their
    grams stay where the ledger put them."""
    now = now or timezone.now()
    shift = timedelta(days=days)
    opened = list(EnergyDrop.objects.filter(status=EnergyDrop.Status.OPEN).only("id", "ripe_at"))
    for drop in opened:
        drop.ripe_at = min(drop.ripe_at - shift, now)
    EnergyDrop.objects.bulk_update(opened, ["ripe_at"], batch_size=500)
    from django.db.models import F

    EnergyDrop.objects.filter(status=EnergyDrop.Status.OPEN).update(
        expires_at=F("expires_at") - shift
    )
    return len(opened), drops_expire(now=now)
