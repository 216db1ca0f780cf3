"""A hold (an operator's "Confirm and freeze") stops every movement of the user's energy, and
every endpoint answers it with the same 403 body (forest.services.holds)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from forest.models import EnergyDrop, EnergyLedgerEntry, EnergyTransfer, Tree
from forest.services.holds import hold_body
from forest.services.social import STEAL_GRACE
from partners.models import ClaimCode
from tests.accounts.factories import UserFactory
from tests.accounts.friend_factories import befriend
from tests.clients import api_client_for
from tests.forest.fraud_factories import EnergyDropFactory, EnergyHoldFactory
from tests.forest.helpers import assert_ledger_consistent, balance
from tests.forest.tree_factories import BrandForestFactory, TeamFactory, TreeFactory, give_energy
from tests.partners.claim_helpers import batch_with_codes

pytestmark = pytest.mark.django_db


@pytest.fixture
def held():
    """A user on hold with something to do in every corner of the game."""
    user = UserFactory(profile__locale="en")
    friend = UserFactory()
    befriend(user, friend)
    give_energy(user, 5_000)
    forest = BrandForestFactory()
    species = forest.species.first()
    other_forest = BrandForestFactory(species=[species])
    return {
        "user": user,
        "friend": friend,
        "forest": forest,
        "species": species,
        "other_forest": other_forest,
        "own_drop": EnergyDropFactory(user=user),
        "friend_drop": EnergyDropFactory(
            user=friend, grams=100, ripe_at=timezone.now() - STEAL_GRACE - timedelta(minutes=5)
        ),
        "tree": TreeFactory(owner=user, forest=forest, species=species),
        "friend_tree": TreeFactory(owner=friend, forest=forest, species=species),
        "team": TeamFactory(created_by=user, members=[friend]),
        "code": batch_with_codes(count=1)[1][0],
    }


def _movements(h) -> dict[str, tuple[str, dict]]:
    tree, team_tree = h["tree"], h.get("team_tree")
    return {
        "collect": (f"/api/v1/drops/{h['own_drop'].id}/collect", {}),
        "collect-all": ("/api/v1/drops/collect-all", {}),
        "grow": (f"/api/v1/trees/{tree.id}/grow", {"grams": 1_000}),
        "team contribution": (f"/api/v1/trees/{team_tree.id}/grow", {"grams": 100}),
        "start tree": ("/api/v1/trees", {"species": h["species"].id, "forest": h["forest"].id}),
        "start team tree": (
            "/api/v1/trees",
            {"species": h["species"].id, "forest": h["forest"].id, "team": h["team"].id},
        ),
        "move tree": (f"/api/v1/trees/{tree.id}/move", {"forest": h["other_forest"].id}),
        "water": (f"/api/v1/friends/{h['friend'].id}/water", {"grams": 10}),
        "steal": (f"/api/v1/friends/{h['friend'].id}/drops/{h['friend_drop'].id}/steal", {}),
        "claim code": ("/api/v1/claims", {"code": h["code"]}),
    }


def test_every_movement_answers_a_hold_with_the_same_403_and_moves_nothing(held):
    user = held["user"]
    # The team's tree exists (started by the friend), so the held user could contribute to it.
    held["team_tree"] = TreeFactory(
        owner=held["friend"], team=held["team"], forest=held["forest"], species=held["species"]
    )
    entries_before = EnergyLedgerEntry.objects.count()
    EnergyHoldFactory(user=user)
    client = api_client_for(user)

    answers = {}
    for name, (url, body) in _movements(held).items():
        response = client.post(url, body, format="json")
        answers[name] = (response.status_code, response.json())

    expected = (403, hold_body())
    assert answers == dict.fromkeys(answers, expected)
    assert EnergyLedgerEntry.objects.count() == entries_before  # not a gram moved
    assert balance(user) == 5_000
    assert Tree.objects.filter(owner=user).count() == 1  # no new tree, personal or team
    assert Tree.objects.get(pk=held["team_tree"].pk).energy_grams == 0
    assert Tree.objects.get(pk=held["tree"].pk).forest_id == held["forest"].id  # not moved
    assert not EnergyTransfer.objects.exists()
    assert EnergyDrop.objects.get(pk=held["own_drop"].pk).status == "open"
    assert not ClaimCode.objects.filter(redeemed_at__isnull=False).exists()
    assert_ledger_consistent()


def test_a_held_user_cannot_grow_a_tree_to_maturity(held):
    """The reported case: growing answered 200, matured the tree and funded a planting order."""
    user, tree = held["user"], held["tree"]
    EnergyHoldFactory(user=user)
    response = api_client_for(user).post(f"/api/v1/trees/{tree.id}/grow", {}, format="json")
    assert (response.status_code, response.json()) == (403, hold_body())
    tree.refresh_from_db()
    assert (tree.status, tree.energy_grams) == (Tree.Status.GROWING, 0)


def test_the_hold_body_is_dutch_for_dutch_clients(held):
    EnergyHoldFactory(user=held["user"])
    tree = held["tree"]
    response = api_client_for(held["user"]).post(
        f"/api/v1/trees/{tree.id}/grow", {"grams": 10}, format="json", HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert response.status_code == 403
    assert "gepauzeerd" in response.json()["detail"]


def test_after_release_every_movement_works_again(held):
    user = held["user"]
    EnergyHoldFactory(user=user, released_at=timezone.now())
    client = api_client_for(user)
    grow = client.post(f"/api/v1/trees/{held['tree'].id}/grow", {"grams": 100}, format="json")
    water = client.post(f"/api/v1/friends/{held['friend'].id}/water", {"grams": 10}, format="json")
    claim = client.post("/api/v1/claims", {"code": held["code"]}, format="json")
    assert (grow.status_code, water.status_code, claim.status_code) == (200, 200, 201)
    assert_ledger_consistent()
