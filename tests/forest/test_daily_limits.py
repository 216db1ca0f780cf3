"""Daily limits on a fixed day: a time-zone change takes effect when the day in progress ends,
so it cannot reset watering, steals or claim caps (core.timezones.limit_day)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import Profile
from forest.models import EnergyTransfer
from forest.services.social import STEAL_GRACE, STEALS_PER_DAY
from partners.services.claims import CLAIMS_PER_USER_PER_DAY
from tests.accounts.factories import UserFactory
from tests.accounts.friend_factories import befriend
from tests.clients import api_client_for
from tests.forest.fraud_factories import EnergyDropFactory
from tests.forest.helpers import assert_ledger_consistent
from tests.forest.tree_factories import TreeFactory, give_energy
from tests.partners.claim_helpers import batch_with_codes

pytestmark = pytest.mark.django_db

# 11:30 in Amsterdam is 00:30 the next day in Kiritimati (UTC+14); Amsterdam's midnight is
# 12.5 hours away.
MORNING = datetime(2026, 12, 5, 11, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
MIDNIGHT = MORNING + timedelta(hours=12, minutes=30)


def _move_to(client: APIClient, tz: str) -> None:
    response = client.patch("/api/v1/me", {"time_zone": tz}, format="json")
    assert response.status_code == 200, response.content


@pytest.fixture
def friends():
    me = UserFactory(profile__time_zone="Europe/Amsterdam")
    friend = UserFactory()
    befriend(me, friend)
    return me, friend


def test_switching_to_kiritimati_does_not_allow_a_second_watering_the_same_day(friends):
    me, friend = friends
    TreeFactory(owner=friend)
    give_energy(me, 500)
    client = api_client_for(me)
    url = f"/api/v1/friends/{friend.id}/water"
    with time_machine.travel(MORNING, tick=False):
        assert client.post(url, {"grams": 10}, format="json").status_code == 200
    with time_machine.travel(MORNING + timedelta(minutes=2), tick=False):
        _move_to(client, "Pacific/Kiritimati")  # local date there: tomorrow already
    with time_machine.travel(MORNING + timedelta(minutes=5), tick=False):
        again = client.post(url, {"grams": 10}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_watered")
    # Switching back and forth within the day does not help either.
    with time_machine.travel(MORNING + timedelta(minutes=6), tick=False):
        _move_to(client, "Pacific/Pago_Pago")
        _move_to(client, "Pacific/Kiritimati")
        third = client.post(url, {"grams": 10}, format="json")
    assert third.json()["code"] == "already_watered"
    # Amsterdam's midnight ends the day; from then on the new zone counts.
    with time_machine.travel(MIDNIGHT, tick=False):
        assert client.post(url, {"grams": 10}, format="json").status_code == 200
    assert EnergyTransfer.objects.filter(kind="water").count() == 2
    assert_ledger_consistent()


def test_the_zone_change_is_kept_on_the_profile_and_moves_drops_at_once(friends):
    me, _friend = friends
    with time_machine.travel(MORNING, tick=False):
        _move_to(api_client_for(me), "Pacific/Kiritimati")
    profile = Profile.objects.get(user=me)
    assert profile.time_zone == "Pacific/Kiritimati"  # ripening and quiet hours follow at once
    assert str(profile.limit_day_pinned) == "2026-12-05"
    assert profile.limit_day_pinned_end == datetime(
        2026, 12, 6, tzinfo=ZoneInfo("Europe/Amsterdam")
    )


def test_switching_zone_does_not_reset_the_steal_limit(friends):
    me, friend = friends
    with time_machine.travel(MORNING, tick=False):
        ripe = MORNING - STEAL_GRACE - timedelta(minutes=5)
        drops = [
            EnergyDropFactory(user=friend, grams=10, ripe_at=ripe)
            for _ in range(STEALS_PER_DAY + 1)
        ]
        client = api_client_for(me)
        for drop in drops[:STEALS_PER_DAY]:
            url = f"/api/v1/friends/{friend.id}/drops/{drop.id}/steal"
            assert client.post(url).status_code == 200
        _move_to(client, "Pacific/Kiritimati")
        last = client.post(f"/api/v1/friends/{friend.id}/drops/{drops[-1].id}/steal")
    assert (last.status_code, last.json()["code"]) == (409, "daily_limit")


def test_switching_zone_does_not_reset_the_claim_cap(friends):
    me, _friend = friends
    _batch, codes = batch_with_codes(count=CLAIMS_PER_USER_PER_DAY + 1, grams=10)
    client = api_client_for(me)
    with time_machine.travel(MORNING - timedelta(hours=1), tick=False):  # 23:30 in Kiritimati
        for code in codes[:CLAIMS_PER_USER_PER_DAY]:
            assert client.post("/api/v1/claims", {"code": code}, format="json").status_code == 201
    with time_machine.travel(MORNING, tick=False):  # Kiritimati's next day has begun
        _move_to(client, "Pacific/Kiritimati")
        capped = client.post("/api/v1/claims", {"code": codes[-1]}, format="json")
    assert (capped.status_code, capped.json()["code"]) == (409, "daily_cap")
    with time_machine.travel(MIDNIGHT, tick=False):  # Amsterdam's midnight
        assert client.post("/api/v1/claims", {"code": codes[-1]}, format="json").status_code == 201
