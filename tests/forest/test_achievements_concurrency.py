"""Races on PostgreSQL: the nightly evaluation run several times at once completes each
participant once, pays each bonus once, and awards and notifies each badge once."""

from __future__ import annotations

import pytest
from django.db.models import Count

from accounts.models import Notification
from forest.models import ChallengeParticipation, EnergyLedgerEntry, UserBadge
from forest.services.badges import BADGES_BY_CODE, badge_award
from forest.services.challenges import challenge_evaluate
from tests.accounts.factories import UserFactory
from tests.concurrency import race
from tests.forest.achievement_factories import ChallengeFactory, green_action
from tests.forest.helpers import assert_ledger_consistent, balance

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_evaluations_pay_each_bonus_once():
    challenge = ChallengeFactory(bonus_grams=250)
    users = [UserFactory() for _ in range(5)]
    for user in users:
        ChallengeParticipation.objects.create(
            challenge=challenge, user=user, joined_at=challenge.created_at
        )
        for _ in range(3):
            green_action(user, action_type="rail")

    results, errors = race(lambda: challenge_evaluate(challenge), [() for _ in range(4)])

    assert not errors, errors
    assert sum(results) == 5  # whichever thread won each row
    entries = EnergyLedgerEntry.objects.filter(idempotency_key__startswith="challenge:")
    assert entries.count() == 5
    assert {balance(user) for user in users} == {250}
    assert not ChallengeParticipation.objects.filter(completed_at__isnull=True).exists()
    assert Notification.objects.count() == 5
    assert_ledger_consistent()


def test_concurrent_badge_awards_award_and_notify_once():
    users = [UserFactory() for _ in range(6)]
    for user in users:
        green_action(user)
    badge = BADGES_BY_CODE["first_green_action"]

    results, errors = race(lambda: badge_award(badge), [() for _ in range(4)])

    assert not errors, errors
    assert sum(results) == 6
    per_user = UserBadge.objects.values("user_id").annotate(n=Count("id"))
    assert sorted(row["n"] for row in per_user) == [1] * 6
    assert Notification.objects.filter(dedupe_key__startswith="badge:").count() == 6
