"""Races on PostgreSQL: friends stealing from one drop while its owner collects it, and a
double-submitted watering. No drop is overdrawn and no gram is created or lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from forest.models import EnergyDrop, EnergyLedgerEntry, EnergyTransfer, Tree
from forest.services.energy import DropNotCollectable, drop_collect
from forest.services.social import STEAL_GRACE, SocialError
from forest.services.steals import drop_steal
from forest.services.watering import friend_water
from tests.accounts.factories import UserFactory
from tests.accounts.friend_factories import befriend
from tests.concurrency import race
from tests.forest.fraud_factories import EnergyDropFactory
from tests.forest.helpers import assert_ledger_consistent, balance
from tests.forest.tree_factories import TreeFactory, give_energy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _ripe_drop(owner, grams: int) -> EnergyDrop:
    return EnergyDropFactory(
        user=owner, grams=grams, ripe_at=timezone.now() - STEAL_GRACE - timedelta(minutes=1)
    )


def _steal(stealer_id: int, owner_id: int, drop_id: int):
    try:
        return ("stolen", drop_steal(stealer_id=stealer_id, owner_id=owner_id, drop_id=drop_id))
    except SocialError as exc:
        return ("refused", exc.code)


def _collect(owner_id: int, drop_id: int):
    try:
        return ("collected", drop_collect(user_id=owner_id, drop_id=drop_id))
    except DropNotCollectable as exc:
        return ("refused", exc.code)


def _act(kind: str, *args):
    return _steal(*args) if kind == "steal" else _collect(*args)


def test_friends_stealing_while_the_owner_collects_never_overdraw_the_drop():
    owner = UserFactory()
    friends = [UserFactory() for _ in range(5)]
    for friend in friends:
        befriend(owner, friend)
    drop = _ripe_drop(owner, grams=100)
    jobs = [("steal", f.id, owner.id, drop.id) for f in friends]
    jobs.append(("collect", owner.id, drop.id))
    results, errors = race(_act, jobs)
    assert not errors, errors
    drop.refresh_from_db()
    assert drop.status == "collected" and drop.remaining >= 40
    stolen = sum(r[1].grams for r in results if r[0] == "stolen")
    collected = [r[1].grams for r in results if r[0] == "collected"]
    assert len(collected) == 1
    # every gram of the drop went to exactly one place
    assert stolen + collected[0] == 100
    assert stolen <= 60
    assert balance(owner) == collected[0]
    assert sum(balance(f) for f in friends) == stolen
    assert (EnergyTransfer.objects.aggregate(s=Sum("grams"))["s"] or 0) == stolen
    assert_ledger_consistent()


def test_many_friends_on_one_drop_take_at_most_their_shares():
    owner = UserFactory()
    friends = [UserFactory() for _ in range(6)]
    for friend in friends:
        befriend(owner, friend)
    drop = _ripe_drop(owner, grams=1000)
    results, errors = race(_steal, [(f.id, owner.id, drop.id) for f in friends])
    assert not errors, errors
    won = [r[1].grams for r in results if r[0] == "stolen"]
    assert won == [300, 300]  # then the owner's 40 % is all that is left
    assert {r[1] for r in results if r[0] == "refused"} == {"nothing_left"}
    drop.refresh_from_db()
    assert drop.remaining == 400
    assert_ledger_consistent()


def test_one_friend_double_submitting_a_steal_takes_once():
    owner, friend = UserFactory(), UserFactory()
    befriend(owner, friend)
    drop = _ripe_drop(owner, grams=100)
    results, errors = race(_steal, [(friend.id, owner.id, drop.id)] * 4)
    assert not errors, errors
    assert sorted(r[0] for r in results) == ["refused"] * 3 + ["stolen"]
    assert balance(friend) == 30
    assert EnergyLedgerEntry.objects.filter(kind="steal").count() == 2
    assert_ledger_consistent()


def test_friends_stealing_from_each_other_at_once_do_not_deadlock():
    users = [UserFactory() for _ in range(4)]
    for i, a in enumerate(users):
        for b in users[i + 1 :]:
            befriend(a, b)
    jobs = []
    for owner in users:
        drop = _ripe_drop(owner, grams=100)
        jobs += [(stealer.id, owner.id, drop.id) for stealer in users if stealer != owner]
    results, errors = race(_steal, jobs)
    assert not errors, errors
    assert sorted(r[1].grams for r in results if r[0] == "stolen") == [30] * 8
    assert sorted(r[1] for r in results if r[0] == "refused") == ["nothing_left"] * 4
    assert_ledger_consistent()


def test_a_double_submitted_watering_waters_once():
    friend, giver = UserFactory(), UserFactory()
    befriend(friend, giver)
    tree = TreeFactory(owner=friend)
    give_energy(giver, 100)

    def water():
        try:
            return friend_water(giver_id=giver.id, friend_id=friend.id, grams=66).grams
        except SocialError as exc:
            return exc.code

    results, errors = race(water, [()] * 4)
    assert not errors, errors
    assert sorted(results, key=str) == [66, "already_watered", "already_watered", "already_watered"]
    tree.refresh_from_db()
    assert tree.energy_grams == 66
    assert balance(giver) == 34
    assert_ledger_consistent()


def test_watering_several_friends_at_once_never_makes_the_balance_negative():
    giver = UserFactory()
    friends = [UserFactory() for _ in range(4)]
    for friend in friends:
        befriend(giver, friend)
        TreeFactory(owner=friend)
    give_energy(giver, 100)  # enough for one 66 g watering, not two

    def water(friend_id):
        try:
            return friend_water(giver_id=giver.id, friend_id=friend_id, grams=66).grams
        except SocialError as exc:
            return exc.code

    results, errors = race(water, [(f.id,) for f in friends])
    assert not errors, errors
    assert sorted(results, key=str) == [66] + ["insufficient_energy"] * 3
    assert balance(giver) == 34
    assert Tree.objects.aggregate(s=Sum("energy_grams"))["s"] == 66
    assert_ledger_consistent()
