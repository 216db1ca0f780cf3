"""Rolling challenges: seeded weekly and monthly ones, and the next window opened once."""

from __future__ import annotations

from datetime import date

import pytest

from forest.models import Challenge
from forest.services.challenges import challenges_roll
from tests.forest.achievement_factories import ChallengeFactory

pytestmark = pytest.mark.django_db


def test_a_new_install_has_a_weekly_and_a_monthly_challenge():
    repeats = set(Challenge.objects.exclude(repeats="").values_list("repeats", flat=True))
    assert repeats == {"weekly", "monthly"}


def test_an_ended_weekly_challenge_opens_this_week_once():
    Challenge.objects.all().delete()
    ChallengeFactory(
        code="rail-week-20261123", starts_on=date(2026, 11, 23), ends_on=date(2026, 11, 29),
        repeats="weekly", bonus_grams=70,
    )  # fmt: skip
    today = date(2026, 12, 3)  # a Thursday, the night after a missed one
    assert challenges_roll(today=today) == ["rail-week-20261130"]
    assert challenges_roll(today=today) == []  # twice: nothing more
    new = Challenge.objects.get(code="rail-week-20261130")
    assert (new.starts_on, new.ends_on, new.repeats, new.bonus_grams) == (
        date(2026, 11, 30), date(2026, 12, 6), "weekly", 70,
    )  # fmt: skip


def test_monthly_rolls_to_the_calendar_month_and_one_offs_do_not_roll():
    Challenge.objects.all().delete()
    ChallengeFactory(
        code="green-month", starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 31),
        repeats="monthly",
    )  # fmt: skip
    ChallengeFactory(code="one-off", starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 31))
    ChallengeFactory(
        code="paused", starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 31),
        repeats="weekly", is_active=False,
    )  # fmt: skip
    assert challenges_roll(today=date(2026, 2, 1)) == ["green-month-20260201"]
    new = Challenge.objects.get(code="green-month-20260201")
    assert (new.starts_on, new.ends_on) == (date(2026, 2, 1), date(2026, 2, 28))
