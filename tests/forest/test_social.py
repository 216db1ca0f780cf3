"""Friends' forests: stealing a share of ripe drops, watering trees, the leaderboard."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Notification
from forest.models import EnergyDrop, EnergyLedgerEntry, EnergyTransfer, FraudSignal, Tree
from forest.services.energy import drop_collect
from forest.services.fraud import STEAL_MIN_DAYS, fraud_sweep
from forest.services.holds import EnergyOnHold
from forest.services.social import STEAL_GRACE, STEALS_PER_DAY, SocialError
from forest.services.steals import drop_steal
from forest.services.watering import friend_water
from tests.accounts.factories import UserFactory
from tests.accounts.friend_factories import befriend
from tests.clients import api_client_for
from tests.forest.fraud_factories import EnergyDropFactory, EnergyHoldFactory
from tests.forest.helpers import assert_ledger_consistent, balance
from tests.forest.tree_factories import TreeFactory, give_energy

pytestmark = pytest.mark.django_db


def ripe_drop(owner, grams=100, **kwargs) -> EnergyDrop:
    """A drop past the owner's grace period."""
    ripe_at = kwargs.pop("ripe_at", timezone.now() - STEAL_GRACE - timedelta(minutes=5))
    return EnergyDropFactory(user=owner, grams=grams, ripe_at=ripe_at, **kwargs)


@pytest.fixture
def pair():
    owner = UserFactory(profile__display_name="Olga", profile__locale="en")
    stealer = UserFactory(profile__display_name="Sam")
    befriend(owner, stealer)
    return owner, stealer


def steal_url(owner, drop) -> str:
    return f"/api/v1/friends/{owner.id}/drops/{drop.id}/steal"


# --- stealing ---------------------------------------------------------------------------------


def test_a_friend_takes_30_percent_as_two_steal_entries(pair):
    # given
    owner, stealer = pair
    drop = ripe_drop(owner, grams=52)
    # when
    response = api_client_for(stealer).post(steal_url(owner, drop))
    # then
    assert response.status_code == 200
    assert response.json() == {"drop_id": drop.id, "stolen_grams": 15, "balance_grams": 15}
    drop.refresh_from_db()
    assert drop.remaining == 37 and drop.status == "open"
    entries = EnergyLedgerEntry.objects.filter(kind="steal").order_by("grams")
    assert [(e.user_id, e.account, e.grams, e.idempotency_key) for e in entries] == [
        (owner.id, "drops", -15, f"steal:drop:{drop.id}:by:{stealer.id}:out"),
        (stealer.id, "balance", 15, f"steal:drop:{drop.id}:by:{stealer.id}:in"),
    ]
    transfer = EnergyTransfer.objects.get()
    assert (transfer.from_user_id, transfer.to_user_id, transfer.grams) == (
        owner.id,
        stealer.id,
        15,
    )
    note = Notification.objects.get(user=owner)
    assert "Sam took 15 g" in note.body
    assert_ledger_consistent()


def test_the_owner_collects_what_is_left(pair):
    owner, stealer = pair
    drop = ripe_drop(owner, grams=100)
    drop_steal(stealer_id=stealer.id, owner_id=owner.id, drop_id=drop.id)
    result = drop_collect(user_id=owner.id, drop_id=drop.id)
    assert result.grams == 70
    assert (balance(owner), balance(stealer)) == (70, 30)
    assert_ledger_consistent()


def test_one_steal_per_drop_and_the_owner_always_keeps_40_percent(pair):
    owner, stealer = pair
    others = [UserFactory() for _ in range(3)]
    for other in others:
        befriend(owner, other)
    drop = ripe_drop(owner, grams=100)
    drop_steal(stealer_id=stealer.id, owner_id=owner.id, drop_id=drop.id)
    with pytest.raises(SocialError) as twice:
        drop_steal(stealer_id=stealer.id, owner_id=owner.id, drop_id=drop.id)
    assert twice.value.code == "already_stolen"
    drop_steal(stealer_id=others[0].id, owner_id=owner.id, drop_id=drop.id)
    with pytest.raises(SocialError) as empty:
        drop_steal(stealer_id=others[1].id, owner_id=owner.id, drop_id=drop.id)
    assert empty.value.code == "nothing_left"
    drop.refresh_from_db()
    assert drop.remaining == 40
    # one inbox message per drop, however many friends came by
    assert Notification.objects.filter(user=owner).count() == 1
    assert_ledger_consistent()


def test_small_drops_give_at_least_one_gram_and_a_one_gram_drop_none(pair):
    owner, stealer = pair
    small = ripe_drop(owner, grams=3)
    assert drop_steal(stealer_id=stealer.id, owner_id=owner.id, drop_id=small.id).grams == 1
    tiny = ripe_drop(owner, grams=1)
    with pytest.raises(SocialError) as refused:
        drop_steal(stealer_id=stealer.id, owner_id=owner.id, drop_id=tiny.id)
    assert refused.value.code == "nothing_left"


@pytest.mark.parametrize(
    ("ripe_ago", "code"),
    [
        (timedelta(hours=-2), "ripening"),
        (timedelta(minutes=30), "grace_period"),
        (timedelta(hours=80), "gone"),
    ],
)
def test_unripe_grace_and_expired_drops_cannot_be_stolen(pair, ripe_ago, code):
    owner, stealer = pair
    drop = ripe_drop(owner, ripe_at=timezone.now() - ripe_ago)
    response = api_client_for(stealer).post(steal_url(owner, drop))
    assert response.status_code == 409
    assert response.json()["code"] == code
    assert not EnergyLedgerEntry.objects.filter(kind="steal").exists()


def test_a_collected_drop_cannot_be_stolen(pair):
    owner, stealer = pair
    drop = ripe_drop(owner)
    drop_collect(user_id=owner.id, drop_id=drop.id)
    with pytest.raises(SocialError) as gone:
        drop_steal(stealer_id=stealer.id, owner_id=owner.id, drop_id=drop.id)
    assert gone.value.code == "gone"


def test_opted_out_and_held_owners_are_protected_alike(pair):
    owner, stealer = pair
    drop = ripe_drop(owner)
    owner.profile.steal_opt_out = True
    owner.profile.save(update_fields=["steal_opt_out"])
    first = api_client_for(stealer).post(steal_url(owner, drop)).json()
    owner.profile.steal_opt_out = False
    owner.profile.save(update_fields=["steal_opt_out"])
    EnergyHoldFactory(user=owner)
    second = api_client_for(stealer).post(steal_url(owner, drop)).json()
    assert first == second
    assert first["code"] == "protected"
    assert not EnergyTransfer.objects.exists()


def test_a_frozen_stealer_cannot_steal(pair):
    owner, stealer = pair
    drop = ripe_drop(owner)
    EnergyHoldFactory(user=stealer)
    with pytest.raises(EnergyOnHold):
        drop_steal(stealer_id=stealer.id, owner_id=owner.id, drop_id=drop.id)
    response = api_client_for(stealer).post(steal_url(owner, drop))
    assert response.status_code == 403
    assert response.json()["code"] == "energy_on_hold"


def test_the_daily_limit_counts_steals(pair):
    owner, stealer = pair
    drops = [ripe_drop(owner, grams=10) for _ in range(STEALS_PER_DAY + 1)]
    for drop in drops[:STEALS_PER_DAY]:
        drop_steal(stealer_id=stealer.id, owner_id=owner.id, drop_id=drop.id)
    with pytest.raises(SocialError) as limit:
        drop_steal(stealer_id=stealer.id, owner_id=owner.id, drop_id=drops[-1].id)
    assert limit.value.code == "daily_limit"
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        drop_steal(stealer_id=stealer.id, owner_id=owner.id, drop_id=drops[-1].id)
    assert_ledger_consistent()


def test_strangers_and_other_peoples_drops_answer_404(pair):
    owner, stealer = pair
    stranger = UserFactory()
    drop = ripe_drop(owner)
    assert api_client_for(stranger).post(steal_url(owner, drop)).status_code == 404
    assert api_client_for(stranger).get(f"/api/v1/friends/{owner.id}/forest").status_code == 404
    # a friend's id with someone else's drop
    other_drop = ripe_drop(stranger)
    assert api_client_for(stealer).post(steal_url(owner, other_drop)).status_code == 404
    # a former friend
    api_client_for(owner).delete(f"/api/v1/friends/{stealer.id}")
    assert api_client_for(stealer).post(steal_url(owner, drop)).status_code == 404
    assert api_client_for(stealer).get(f"/api/v1/friends/{owner.id}/forest").status_code == 404
    assert api_client_for(stealer).get(f"/api/v1/friends/{stealer.id}/forest").status_code == 404
    assert not EnergyTransfer.objects.exists()


def test_the_owner_sees_who_took_how_much(pair, django_assert_max_num_queries):
    owner, stealer = pair
    drop = ripe_drop(owner, grams=100)
    drop_steal(stealer_id=stealer.id, owner_id=owner.id, drop_id=drop.id)
    TreeFactory(owner=owner)
    give_energy(stealer, 10)
    friend_water(giver_id=stealer.id, friend_id=owner.id, grams=10)
    client = api_client_for(owner)
    with django_assert_max_num_queries(3):  # the request's savepoint, its release, one read
        rows = client.get("/api/v1/friends/activity").json()
    assert [(r["direction"], r["friend_name"], r["grams"], r["drop_id"]) for r in rows] == [
        ("watered_you", "Sam", 10, None),
        ("stolen_from_you", "Sam", 30, drop.id),
    ]
    theirs = api_client_for(stealer).get("/api/v1/friends/activity").json()
    assert [r["direction"] for r in theirs] == ["you_watered", "you_stole"]
    assert api_client_for(UserFactory()).get("/api/v1/friends/activity").json() == []


# --- a friend's forest -------------------------------------------------------------------------


def test_a_friends_forest_shows_ripe_drops_and_what_you_could_take(pair):
    owner, stealer = pair
    TreeFactory(owner=owner, energy_grams=500)
    stealable = ripe_drop(owner, grams=100)
    early = ripe_drop(owner, grams=40, ripe_at=timezone.now() - timedelta(minutes=10))
    ripe_drop(owner, ripe_at=timezone.now() + timedelta(hours=3))  # not ripe: not shown
    taken = ripe_drop(owner, grams=20)
    drop_steal(stealer_id=stealer.id, owner_id=owner.id, drop_id=taken.id)
    body = api_client_for(stealer).get(f"/api/v1/friends/{owner.id}/forest").json()
    assert body["display_name"] == "Olga"
    assert body["tree"]["progress_percent"] == 50
    rows = {d["id"]: d for d in body["drops"]}
    assert set(rows) == {stealable.id, early.id, taken.id}
    assert rows[stealable.id]["stealable_grams"] == 30
    assert rows[early.id]["stealable_grams"] == 0
    assert rows[taken.id]["stealable_grams"] == 0 and rows[taken.id]["taken_by_you"]
    text = str(body)
    for private in ("action_type", "public_transport", "eur", "merchant", "@"):
        assert private not in text


def test_a_friends_forest_runs_a_fixed_number_of_queries(pair, django_assert_max_num_queries):
    owner, stealer = pair
    TreeFactory(owner=owner)
    ripe_drop(owner)
    client = api_client_for(stealer)
    with django_assert_max_num_queries(12) as few:
        client.get(f"/api/v1/friends/{owner.id}/forest")
    for _ in range(10):
        ripe_drop(owner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(f"/api/v1/friends/{owner.id}/forest").json()["drops"]) == 11


# --- watering ----------------------------------------------------------------------------------


def test_watering_moves_balance_into_the_friends_tree(pair):
    owner, giver = pair
    tree = TreeFactory(owner=owner)
    give_energy(giver, 100)
    response = api_client_for(giver).post(f"/api/v1/friends/{owner.id}/water", {"grams": 33})
    assert response.status_code == 200
    assert response.json() == {"watered_grams": 33, "balance_grams": 67, "tree_matured": False}
    tree.refresh_from_db()
    assert tree.energy_grams == 33
    assert (balance(giver), balance(owner, "tree")) == (67, 33)
    keys = set(EnergyLedgerEntry.objects.filter(kind="water").values_list("idempotency_key"))
    # The giver's own day (their profile's time zone), not the server's: from 23:00 UTC they
    # differ in Amsterdam.
    day = timezone.localdate(timezone=ZoneInfo(giver.profile.time_zone)).isoformat()
    assert keys == {
        (f"water:{giver.id}:to:{owner.id}:{day}:out",),
        (f"water:{giver.id}:to:{owner.id}:{day}:in",),
    }
    assert Notification.objects.filter(user=owner, kind="tree").count() == 1
    assert_ledger_consistent()


def test_watering_once_per_friend_per_day(pair):
    owner, giver = pair
    TreeFactory(owner=owner)
    give_energy(giver, 200)
    friend_water(giver_id=giver.id, friend_id=owner.id, grams=10)
    with pytest.raises(SocialError) as again:
        friend_water(giver_id=giver.id, friend_id=owner.id, grams=66)
    assert again.value.code == "already_watered"
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        friend_water(giver_id=giver.id, friend_id=owner.id, grams=66)
    assert balance(giver) == 124
    assert_ledger_consistent()


def test_watering_needs_the_balance_and_leaves_nothing_behind_when_refused(pair):
    owner, giver = pair
    TreeFactory(owner=owner)
    give_energy(giver, 30)
    response = api_client_for(giver).post(f"/api/v1/friends/{owner.id}/water", {"grams": 33})
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_energy"
    assert balance(giver) == 30
    assert not EnergyTransfer.objects.exists()
    assert not EnergyLedgerEntry.objects.filter(kind="water").exists()
    # refused today does not count as watered today
    give_energy(giver, 3)
    again = api_client_for(giver).post(f"/api/v1/friends/{owner.id}/water", {"grams": 33})
    assert again.status_code == 200
    assert balance(giver) == 0
    assert_ledger_consistent()


def test_watering_only_in_ant_forest_amounts_to_a_growing_tree(pair):
    owner, giver = pair
    give_energy(giver, 100)
    client = api_client_for(giver)
    bad = client.post(f"/api/v1/friends/{owner.id}/water", {"grams": 20})
    assert bad.status_code == 400
    no_tree = client.post(f"/api/v1/friends/{owner.id}/water", {"grams": 10})
    assert no_tree.status_code == 409 and no_tree.json()["code"] == "no_tree"
    stranger = UserFactory()
    TreeFactory(owner=stranger)
    assert client.post(f"/api/v1/friends/{stranger.id}/water", {"grams": 10}).status_code == 404
    EnergyHoldFactory(user=giver)
    TreeFactory(owner=owner)
    assert client.post(f"/api/v1/friends/{owner.id}/water", {"grams": 10}).status_code == 403


def test_watering_can_finish_a_tree_which_then_matures(pair):
    owner, giver = pair
    tree = TreeFactory(owner=owner, energy_grams=990)
    give_energy(giver, 66)
    result = friend_water(giver_id=giver.id, friend_id=owner.id, grams=66)
    assert result.grams == 10 and result.matured
    tree.refresh_from_db()
    assert tree.status == Tree.Status.MATURED and tree.energy_grams == 1000
    assert balance(giver) == 56
    assert_ledger_consistent()


# --- leaderboard -------------------------------------------------------------------------------


def test_the_leaderboard_ranks_you_and_friends_by_energy_earned_this_week(
    pair, django_assert_max_num_queries
):
    owner, me = pair
    other = UserFactory(profile__display_name="Tess")
    befriend(me, other)
    stranger = UserFactory()
    EnergyDropFactory(user=owner, grams=300)
    EnergyDropFactory(user=me, grams=100)
    EnergyDropFactory(user=other, grams=100)
    EnergyDropFactory(user=stranger, grams=999)
    with time_machine.travel(timezone.now() - timedelta(days=9)):
        EnergyDropFactory(user=me, grams=500)  # earned before the week: not counted
    TreeFactory(owner=other, status=Tree.Status.PLANTED, matured_at=timezone.now())
    client = api_client_for(me)
    with django_assert_max_num_queries(8):
        rows = client.get("/api/v1/friends/leaderboard").json()
    assert [(r["rank"], r["user_id"], r["earned_grams"], r["trees_planted"]) for r in rows] == [
        (1, owner.id, 300, 0),
        (2, other.id, 100, 1),
        (3, me.id, 100, 0),
    ]
    assert [r["you"] for r in rows] == [False, False, True]
    for _ in range(10):
        friend = UserFactory()
        befriend(me, friend)
        EnergyDropFactory(user=friend, grams=5)
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/v1/friends/leaderboard").json()) == 13


# --- fraud -------------------------------------------------------------------------------------


def steal_pattern(stealer, owner, *, days: int, seconds_after_open: float) -> None:
    """One drop a morning on each of the last ``days`` days, stolen that many seconds after
    it became stealable."""
    morning = timezone.now().replace(hour=6, minute=0, second=0, microsecond=0)
    for day in range(1, days + 1):
        ripe_at = morning - timedelta(days=day)
        drop = EnergyDropFactory(user=owner, ripe_at=ripe_at)
        drop_steal(
            stealer_id=stealer.id,
            owner_id=owner.id,
            drop_id=drop.id,
            now=ripe_at + STEAL_GRACE + timedelta(seconds=seconds_after_open),
        )


def test_the_sweep_flags_steals_sniped_at_the_moment_drops_open(pair):
    owner, bot = pair
    human = UserFactory()
    befriend(owner, human)
    steal_pattern(bot, owner, days=STEAL_MIN_DAYS, seconds_after_open=1)
    owner2 = UserFactory()
    befriend(owner2, human)
    steal_pattern(human, owner2, days=STEAL_MIN_DAYS + 2, seconds_after_open=95)
    counts = fraud_sweep()
    assert counts[FraudSignal.Kind.STEAL_SNIPING] == 1
    signal = FraudSignal.objects.get(kind=FraudSignal.Kind.STEAL_SNIPING)
    assert signal.user_id == bot.id
    assert signal.details["days_with_snipes"] == STEAL_MIN_DAYS
    assert signal.details["sniped_steals"] == STEAL_MIN_DAYS
    assert_ledger_consistent()
