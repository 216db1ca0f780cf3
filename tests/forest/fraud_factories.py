"""Factories and pattern builders for the fraud sweep and review tests.

Each ``*_pattern`` helper writes what a real user's history looks like, through the same
services scoring and collecting use, so the ledger stays consistent.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from forest.models import EnergyDrop, EnergyHold, FraudSignal, ScoringChunk, ScoringRun
from forest.models.energy import Account, EntryKind
from forest.services.energy import drop_collect
from forest.services.ledger import ledger_append
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory, UserFactory
from tests.forest.helpers import score_all


class ScoringChunkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScoringChunk

    run = factory.LazyFunction(lambda: ScoringRun.objects.create(triggered_by="test"))
    user_id_from = 0
    user_id_to = 0


class EnergyDropFactory(factory.django.DjangoModelFactory):
    """An open drop with its earn entry on the ledger, ripe at ``ripe_at`` (default: 1 h ago)."""

    class Meta:
        model = EnergyDrop
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    action_type = "public_transport"
    grams = 52
    remaining = factory.SelfAttribute("grams")
    status = EnergyDrop.Status.OPEN
    ripe_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    expires_at = factory.LazyAttribute(lambda o: o.ripe_at + timedelta(hours=72))
    chunk = factory.SubFactory(ScoringChunkFactory)
    created_at = factory.LazyAttribute(lambda o: o.ripe_at - timedelta(hours=5))

    @factory.post_generation
    def earned(obj, create, extracted, **kwargs):
        if create:
            ledger_append(
                rows=[
                    (
                        obj.user_id,
                        Account.DROPS,
                        EntryKind.EARN,
                        obj.grams,
                        f"test:earn:drop:{obj.id}",
                        obj.id,
                    )
                ],
                now=obj.created_at,
            )


class FraudSignalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FraudSignal

    user = factory.SubFactory(UserFactory)
    kind = FraudSignal.Kind.BOT_COLLECT
    score = 80
    severity = FraudSignal.Severity.MEDIUM
    details = factory.LazyFunction(lambda: {"window_days": 7, "sniped_collects": 5})
    first_seen_at = factory.LazyFunction(timezone.now)
    last_seen_at = factory.SelfAttribute("first_seen_at")


class EnergyHoldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnergyHold

    user = factory.SubFactory(UserFactory)
    reason = "test hold"
    created_at = factory.LazyFunction(timezone.now)


def collect_pattern(user, *, days: int, seconds_after_ripe: float) -> list[EnergyDrop]:
    """One drop a day on each of the last ``days`` mornings, collected that many seconds after
    it ripened."""
    today_7am = timezone.now().replace(hour=6, minute=0, second=0, microsecond=0)
    drops = []
    for day in range(1, days + 1):
        ripe_at = today_7am - timedelta(days=day)
        drop = EnergyDropFactory(user=user, ripe_at=ripe_at)
        drop_collect(
            user_id=user.id, drop_id=drop.id, now=ripe_at + timedelta(seconds=seconds_after_ripe)
        )
        drops.append(drop)
    return drops


def refund_pattern(user, *, cycles: int, refunds: int | None = None) -> None:
    """``cycles`` repairs of EUR 20 (a fixed 150 g, within the daily cap, so a refund's
    claw-back equals what the purchase earned), each scored the night it was booked (a first
    night earns only its newest day), then ``refunds`` of them (default: all) refunded and
    scored: the refunds claw the energy back."""
    feed = LinkedFeedFactory(user=user)
    today = timezone.localdate()
    for i in reversed(range(cycles)):
        TransactionFactory(
            feed=feed,
            merchant_name="Mister Minit",
            amount=Decimal("-20.00"),
            booking_date=today - timedelta(days=2 * i + 3),
        )
        score_all()
    for i in range(cycles if refunds is None else refunds):
        TransactionFactory(
            feed=feed,
            merchant_name="Mister Minit",
            amount=Decimal("20.00"),
            booking_date=today - timedelta(days=2 * i + 2),
        )
    score_all()


def rides_pattern(user, *, days: int, rides_per_day: int, fare: str = "2.00") -> None:
    """``rides_per_day`` metro rides (52 g, capped at 208 g a day) on each of the last ``days``
    days, scored."""
    feed = LinkedFeedFactory(user=user)
    today = timezone.localdate()
    for day in range(1, days + 1):
        for _ in range(rides_per_day):
            TransactionFactory(
                feed=feed,
                merchant_name="GVB",
                amount=-Decimal(fare),
                booking_date=today - timedelta(days=day),
            )
    score_all()


def shared_account_pattern(*, users: int, provider: str = "sandbox", account_ref: str = "NL01FARM"):
    """``users`` users who each linked the same bank account."""
    result = []
    for _ in range(users):
        user = UserFactory()
        LinkedFeedFactory(user=user, provider=provider, account_ref=account_ref)
        result.append(user)
    return result
