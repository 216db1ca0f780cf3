"""Badges: each rule fires on a crafted history and not on an ordinary user, once."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Notification
from core.schedules import DEFAULT_SCHEDULES
from forest.models import BadgeCode, EnergyTransfer, TreeContribution, UserBadge
from forest.services.badges import BADGES_BY_CODE, badge_award, badges_award_all
from forest.tasks import achievements_nightly_task
from tests.accounts.factories import UserFactory
from tests.forest.achievement_factories import clear_seeded_challenges, green_action, iso_day
from tests.forest.tree_factories import TeamFactory, TreeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_own_challenges(db):
    clear_seeded_challenges()


def _award(code: str) -> set[int]:
    badge_award(BADGES_BY_CODE[code])
    return set(UserBadge.objects.filter(badge=code).values_list("user_id", flat=True))


@pytest.fixture
def ordinary():
    """A user with a few everyday green actions: earns the first badge and nothing else."""
    user = UserFactory()
    green_action(user, action_type="public_transport", grams=52)
    green_action(user, action_type="rail", grams=300)
    return user


def test_first_green_action(ordinary):
    only_reversed = UserFactory()
    green_action(only_reversed, reversed_=True)
    nothing = UserFactory()
    assert _award(BadgeCode.FIRST_GREEN_ACTION) == {ordinary.id}
    assert nothing.id not in _award(BadgeCode.FIRST_GREEN_ACTION)


def test_ten_train_trips(ordinary):
    commuter = UserFactory()
    for _ in range(10):
        green_action(commuter, action_type="rail")
    almost = UserFactory()
    for _ in range(9):
        green_action(almost, action_type="rail")
    green_action(almost, action_type="rail", reversed_=True)
    for _ in range(5):
        green_action(almost, action_type="public_transport")
    assert _award(BadgeCode.RAIL_10) == {commuter.id}


def test_four_green_weeks_in_a_row(ordinary):
    steady = UserFactory()
    # Weeks 40-43: Sunday then Monday are different weeks, any weekday counts.
    for week, weekday in [(40, 7), (41, 1), (42, 3), (43, 7)]:
        green_action(steady, day=iso_day(2026, week, weekday))
    gap = UserFactory()
    for week in [40, 41, 43, 44, 46]:  # never four consecutive weeks
        green_action(gap, day=iso_day(2026, week, 2))
    busy_week = UserFactory()
    for weekday in range(1, 8):  # seven days, but one week
        green_action(busy_week, day=iso_day(2026, 40, weekday))
    across_new_year = UserFactory()
    for year, week in [(2026, 52), (2026, 53), (2027, 1), (2027, 2)]:
        green_action(across_new_year, day=iso_day(year, week, 4))
    assert _award(BadgeCode.WEEKLY_STREAK_4) == {steady.id, across_new_year.id}


def test_five_kg_counts_earned_energy_minus_refunds(ordinary):
    saver = UserFactory()
    for _ in range(5):
        green_action(saver, grams=1000)
    refunder = UserFactory()
    green_action(refunder, grams=6000)
    green_action(refunder, grams=-1500)  # a refund claw-back
    assert _award(BadgeCode.CO2_5KG) == {saver.id}


def test_first_tree_planted(ordinary):
    planter = UserFactory()
    TreeFactory(owner=planter, status="planted", matured_at=timezone.now())
    TreeFactory(owner=ordinary)  # growing
    team_starter = UserFactory()
    TreeFactory(
        owner=team_starter,
        team=TeamFactory(created_by=team_starter),
        status="planted",
        matured_at=timezone.now(),
    )
    assert _award(BadgeCode.FIRST_TREE_PLANTED) == {planter.id}


def test_first_co_planted_tree(ordinary):
    grower, idle, other = UserFactory(), UserFactory(), UserFactory()
    team = TeamFactory(created_by=grower, members=[idle])
    planted = TreeFactory(owner=grower, team=team, status="planted", matured_at=timezone.now())
    TreeContribution.objects.create(tree=planted, user=grower, grams=500)
    TreeContribution.objects.create(tree=planted, user=idle, grams=0)
    growing = TreeFactory(owner=other, team=TeamFactory(created_by=other))
    TreeContribution.objects.create(tree=growing, user=other, grams=500)
    assert _award(BadgeCode.FIRST_CO_PLANTED) == {grower.id}


def test_first_friend_watered(ordinary):
    giver, friend = UserFactory(), UserFactory()
    EnergyTransfer.objects.create(
        kind="water",
        from_user=giver,
        to_user=friend,
        grams=10,
        day=timezone.localdate(),
        created_at=timezone.now(),
    )
    assert _award(BadgeCode.FIRST_WATERING) == {giver.id}


def test_awarding_twice_awards_and_notifies_once(ordinary):
    first = badges_award_all()
    again = badges_award_all()
    assert first[BadgeCode.FIRST_GREEN_ACTION] == 1
    assert sum(again.values()) == 0
    assert UserBadge.objects.filter(user=ordinary).count() == 1
    notes = Notification.objects.filter(user=ordinary)
    assert notes.count() == 1
    assert notes.get().dedupe_key == f"badge:first_green_action:user:{ordinary.id}"


def test_notification_in_the_users_language():
    dutch, english = UserFactory(), UserFactory()
    english.profile.locale = "en"
    english.profile.save(update_fields=["locale"])
    green_action(dutch)
    green_action(english)
    badge_award(BADGES_BY_CODE[BadgeCode.FIRST_GREEN_ACTION])
    title = Notification.objects.get(user=english).title
    assert title == "New badge: First green choice"
    assert Notification.objects.get(user=dutch).kind == Notification.Kind.SYSTEM


def test_command_prints_progress_and_task_runs(ordinary, capsys):
    call_command("award_badges")
    out = capsys.readouterr().out
    assert "badge first_green_action: 1 new" in out
    assert "Done: 1 badges awarded" in out
    assert achievements_nightly_task() == 0
    assert UserBadge.objects.count() == 1


def test_nightly_default_schedule_is_declared():
    task, cron, _ = DEFAULT_SCHEDULES["forest: badges and challenges"]
    assert task == "forest.tasks.achievements_nightly_task"
    assert int(cron["hour"]) > int(DEFAULT_SCHEDULES["forest: nightly scoring"][1]["hour"])


def test_badges_api_lists_all_with_progress(user, user_client, django_assert_max_num_queries):
    for _ in range(4):
        green_action(user, action_type="rail", grams=250)
    badges_award_all()
    with django_assert_max_num_queries(4):  # the request's savepoint and release + 2 reads
        response = user_client.get("/api/v1/badges")
    assert response.status_code == 200
    body = {b["code"]: b for b in response.json()}
    assert set(body) == set(BadgeCode.values)
    assert body["first_green_action"]["earned"] is True
    assert body["first_green_action"]["progress"] == {"current": 1, "target": 1}
    assert body["rail_10"]["earned"] is False
    assert body["rail_10"]["progress"] == {"current": 4, "target": 10}
    assert body["co2_5kg"]["progress"] == {"current": 1000, "target": 5000}
    assert body["weekly_streak_4"]["progress"] is None


def test_badges_api_needs_login(api_client):
    assert api_client.get("/api/v1/badges").status_code == 401


def test_admin_lists_awards_with_filters(client, ordinary):
    badges_award_all()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/admin/forest/userbadge/?badge__exact=first_green_action")
    assert response.status_code == 200
    assert ordinary.email in response.content.decode()
    assert client.get("/admin/forest/userbadge/add/").status_code == 403
