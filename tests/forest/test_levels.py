"""Levels and green streaks: thresholds from rows, streaks from SQL islands, on /forest and /me."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from forest.models import LevelThreshold
from forest.selectors.levels import home_figures, level_progress
from tests.accounts.factories import UserFactory
from tests.forest.achievement_factories import green_action
from tests.forest.tree_factories import TreeFactory, give_energy

pytestmark = pytest.mark.django_db


def test_the_data_migration_seeds_editable_levels():
    levels = list(LevelThreshold.objects.values_list("level", "min_energy_grams", "min_trees"))
    assert levels[0] == (1, 0, 0)
    assert len(levels) >= 4
    assert [g for _l, g, _t in levels] == sorted(g for _l, g, _t in levels)


def test_level_needs_both_energy_and_trees():
    levels = [(1, "Seed", 0, 0), (2, "Sprout", 1000, 0), (3, "Sapling", 5000, 1)]
    body = level_progress(levels, energy_grams=6000, trees=0)
    assert (body["level"], body["next_level"]) == (2, 3)
    assert body["energy_grams_to_next"] == 0 and body["trees_to_next"] == 1
    assert body["progress_percent"] == 0  # energy is there, the tree is not
    half = level_progress(levels, energy_grams=500, trees=0)
    assert (half["level"], half["progress_percent"]) == (1, 50)
    top = level_progress(levels, energy_grams=9000, trees=2)
    assert (top["level"], top["next_level"], top["progress_percent"]) == (3, None, 100)
    assert level_progress([], energy_grams=5, trees=0)["level"] == 0


def test_an_operator_edit_changes_the_level(user):
    give_energy(user, 1500)
    today = timezone.localdate()
    assert home_figures(user.id, today=today)["level"]["level"] == 2
    LevelThreshold.objects.filter(level=2).update(min_energy_grams=2000)
    level = home_figures(user.id, today=today)["level"]
    assert level["level"] == 1 and level["energy_grams_to_next"] == 500


def test_matured_trees_count_toward_the_level(user):
    give_energy(user, 6000)
    today = timezone.localdate()
    assert home_figures(user.id, today=today)["level"]["level"] == 2
    TreeFactory(owner=user, status="matured", matured_at=timezone.now())
    TreeFactory(owner=user)  # still growing: not counted
    level = home_figures(user.id, today=today, locale="nl")["level"]
    assert (level["level"], level["trees"], level["name"]) == (3, 1, "Jong boompje")


def test_daily_streaks_current_and_best(user):
    today = timezone.localdate()
    # A best run of 4 long ago, then yesterday and the day before (today not yet green).
    for back in (30, 29, 28, 27, 2, 1):
        green_action(user, day=today - timedelta(days=back))
    green_action(user, day=today - timedelta(days=1))  # two on one day count once
    green_action(user, day=today, reversed_=True)  # reversed: not green
    green_action(user, day=today - timedelta(days=10), grams=-50)  # a claw-back: not green
    daily = home_figures(user.id, today=today)["streaks"]["daily"]
    assert daily == {"current": 2, "best": 4}
    # The run is broken once a whole day passes without a green action.
    assert home_figures(user.id, today=today + timedelta(days=2))["streaks"]["daily"] == {
        "current": 0,
        "best": 4,
    }


def test_weekly_streaks_count_iso_weeks(user):
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    for weeks_back in (1, 2, 3, 6):
        green_action(user, day=monday - timedelta(weeks=weeks_back) + timedelta(days=6))
    weekly = home_figures(user.id, today=today)["streaks"]["weekly"]
    assert weekly == {"current": 3, "best": 3}  # this week is not over: last week carries it
    green_action(user, day=monday)
    assert home_figures(user.id, today=today)["streaks"]["weekly"]["current"] == 4


def test_streaks_are_per_user(user):
    other = UserFactory()
    green_action(other, day=timezone.localdate())
    give_energy(other, 100_000)
    figures = home_figures(user.id, today=timezone.localdate())
    assert figures["streaks"]["daily"] == {"current": 0, "best": 0}
    assert figures["level"]["energy_grams"] == 0


def test_streaks_over_years_take_one_query(user, django_assert_num_queries):
    today = timezone.localdate()
    for back in range(0, 3 * 365, 2):  # every other day for three years
        green_action(user, day=today - timedelta(days=back))
    with django_assert_num_queries(1):
        figures = home_figures(user.id, today=today)
    assert figures["streaks"]["daily"] == {"current": 1, "best": 1}
    assert figures["streaks"]["weekly"]["best"] >= 150


def test_home_and_me_show_level_and_streaks(user_client, user):
    give_energy(user, 1200)
    green_action(user, day=timezone.localdate())
    home = user_client.get("/api/v1/forest").json()
    assert home["level"]["level"] == 2 and home["level"]["name"] == "Sprout"
    assert home["streaks"]["daily"] == {"current": 1, "best": 1}
    me = user_client.get("/api/v1/me").json()
    assert me["level"] == home["level"] and me["streaks"] == home["streaks"]
    assert me["email"] == user.email
