"""Crafted histories for the badge and challenge tests."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from forest.models import Challenge, GreenAction

_txn_ids = itertools.count(10_000_000)


def green_action(user, *, action_type="rail", grams=100, day=None, reversed_=False):
    """A scored green action without the transaction behind it (the badges read only these)."""
    now = timezone.now()
    return GreenAction.objects.create(
        transaction_id=next(_txn_ids),  # the key has no database constraint
        chunk_id=1,
        user=user,
        action_type=action_type,
        booking_date=day or timezone.localdate(),
        amount=Decimal("-5.00"),
        currency="EUR",
        eur_amount=Decimal("5.00"),
        estimated_grams=grams,
        base_grams=grams,
        grams=grams,
        created_at=now,
        reversed_at=now if reversed_ else None,
    )


class ChallengeFactory(factory.django.DjangoModelFactory):
    """An open count challenge: three train trips this week, 100 g bonus."""

    class Meta:
        model = Challenge

    code = factory.Sequence(lambda n: f"challenge-{n}")
    title_en = "Take the train three times"
    title_nl = "Neem drie keer de trein"
    text_en = "Three train trips in the window."
    text_nl = "Drie treinritten in de periode."
    action_types = factory.LazyFunction(lambda: ["rail"])
    target_count = 3
    target_grams = None
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=3))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=3))
    bonus_grams = 100


def iso_day(year: int, week: int, weekday: int) -> date:
    return date.fromisocalendar(year, week, weekday)


def clear_seeded_challenges() -> None:
    """The rolling weekly and monthly challenges the migration seeds, removed so a test counts
    only the challenges it made (tests/forest/test_challenge_roll.py covers the seeds)."""
    Challenge.objects.exclude(repeats="").delete()
