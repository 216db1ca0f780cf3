"""Co-planting: a team of 2 to 10 friends grows one tree, each from their own balance."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from forest.models import EnergyLedgerEntry, Tree
from forest.models.trees import Team, TeamInvitation, TeamMembership, TreeContribution
from forest.selectors.certificates import certificate_by_number, certificate_details
from forest.services.teams import team_accept, team_create
from forest.services.trees import TreeError, tree_grow, tree_start
from partners.models import PlantingOrder
from partners.services.planting_orders import planting_order_transition
from tests.accounts.factories import UserFactory
from tests.clients import api_client_for
from tests.forest.helpers import assert_ledger_consistent, balance
from tests.forest.tree_factories import BrandForestFactory, SpeciesFactory, TreeFactory, give_energy

pytestmark = pytest.mark.django_db


def named(name: str):
    user = UserFactory()
    user.profile.display_name = name
    user.profile.save(update_fields=["display_name"])
    return user


def active_team(*members) -> Team:
    team = team_create(creator_id=members[0].id, name="Buren", user_ids=[m.id for m in members[1:]])
    for member in members[1:]:
        team_accept(user_id=member.id, team_id=team.id)
    return team


@pytest.fixture
def forest():
    return BrandForestFactory(species=[SpeciesFactory(energy_cost_grams=1_000)])


def test_a_team_is_created_with_invitees_who_accept(forest):
    anna, bram = named("Anna"), named("Bram")
    response = api_client_for(anna).post(
        "/api/v1/teams", {"name": "Buren", "invite_emails": [bram.email.upper()]}, format="json"
    )
    assert response.status_code == 201, response.data
    team_id = response.data["id"]
    assert response.data["your_status"] == "active"
    # an invitee is an invitation, not a member by name: that would reveal the account
    assert [(m["name"], m["status"]) for m in response.data["members"]] == [("Anna", "active")]
    assert response.data["open_invitations"] == 1
    assert "example" not in str(response.data).lower()

    listed = api_client_for(bram).get("/api/v1/teams")
    assert [t["your_status"] for t in listed.data] == ["invited"]
    assert [m["you"] for m in listed.data[0]["members"]] == [False, True]
    accepted = api_client_for(bram).post(f"/api/v1/teams/{team_id}/accept")
    assert accepted.status_code == 200
    assert TeamMembership.objects.get(team_id=team_id, user=bram).status == "active"
    assert [(m["name"], m["status"]) for m in accepted.data["members"]] == [
        ("Anna", "active"),
        ("Bram", "active"),
    ]
    assert accepted.data["open_invitations"] == 0
    assert TeamInvitation.objects.get(team_id=team_id).status == "accepted"


def test_a_team_needs_two_to_ten_members_and_known_user_ids(forest):
    anna = UserFactory()
    others = UserFactory.create_batch(10)
    client = api_client_for(anna)

    too_many = client.post(
        "/api/v1/teams", {"name": "Big", "invite_user_ids": [u.id for u in others]}, format="json"
    )
    alone = client.post("/api/v1/teams", {"name": "Solo"}, format="json")
    unknown = client.post(
        "/api/v1/teams", {"name": "X", "invite_user_ids": [999_999]}, format="json"
    )

    assert too_many.status_code == 400
    assert too_many.data["code"] == "too_many_members"
    assert "at most 10" in too_many.data["detail"]
    assert alone.status_code == 400 and alone.data["code"] == "too_few_members"
    assert unknown.status_code == 400 and unknown.data["code"] == "unknown_invitee"
    assert not Team.objects.exists()
    ok = client.post(
        "/api/v1/teams",
        {"name": "Ten", "invite_user_ids": [u.id for u in others[:9]]},
        format="json",
    )
    assert ok.status_code == 201
    assert TeamMembership.objects.filter(team_id=ok.data["id"]).count() == 10


def test_a_team_tree_waits_for_a_second_member_and_one_grows_at_a_time(forest):
    anna, bram = UserFactory(), UserFactory()
    team = team_create(creator_id=anna.id, name="Buren", user_ids=[bram.id])
    species = forest.species.first()
    with pytest.raises(TreeError) as exc:
        tree_start(user_id=anna.id, species_id=species.id, forest_id=forest.id, team_id=team.id)
    assert exc.value.code == "too_few_members"

    team_accept(user_id=bram.id, team_id=team.id)
    response = api_client_for(bram).post(
        "/api/v1/trees", {"species": species.id, "forest": forest.id, "team": team.id}
    )
    assert response.status_code == 201, response.data
    assert response.data["team"] == {"id": team.id, "name": "Buren"}
    again = api_client_for(anna).post(
        "/api/v1/trees", {"species": species.id, "forest": forest.id, "team": team.id}
    )
    assert again.status_code == 409 and again.data["code"] == "tree_growing"
    # a member of a team still grows a personal tree of their own
    personal = api_client_for(anna).post(
        "/api/v1/trees", {"species": species.id, "forest": forest.id}
    )
    assert personal.status_code == 201
    assert Tree.objects.filter(owner=anna, status="growing").count() == 1


def test_an_outsider_cannot_start_grow_or_see_a_team_tree(forest):
    anna, bram, eve = UserFactory(), UserFactory(), UserFactory()
    team = active_team(anna, bram)
    species = forest.species.first()
    tree = tree_start(user_id=anna.id, species_id=species.id, forest_id=forest.id, team_id=team.id)
    give_energy(eve, 500)
    eve_client = api_client_for(eve)

    start = eve_client.post(
        "/api/v1/trees", {"species": species.id, "forest": forest.id, "team": team.id}
    )
    grow = eve_client.post(f"/api/v1/trees/{tree.id}/grow", {"grams": 100})
    detail = eve_client.get(f"/api/v1/teams/{team.id}")
    accept = eve_client.post(f"/api/v1/teams/{team.id}/accept")

    assert start.status_code == 404 and start.data["code"] == "team_not_found"
    assert grow.status_code == 404 and grow.data["detail"] == "No such tree."
    assert detail.status_code == 404
    assert accept.status_code == 404
    assert eve_client.get("/api/v1/trees").data == []
    assert balance(eve) == 500
    assert not TreeContribution.objects.exists()


def test_members_grow_from_their_own_balances_and_contributions_are_shown(forest):
    anna, bram = named("Anna"), named("Bram")
    team = active_team(anna, bram)
    species = forest.species.first()
    tree = tree_start(user_id=anna.id, species_id=species.id, forest_id=forest.id, team_id=team.id)
    give_energy(anna, 300)
    give_energy(bram, 2_000)

    tree_grow(user_id=anna.id, tree_id=tree.id)
    tree_grow(user_id=bram.id, tree_id=tree.id, grams=200)
    response = api_client_for(anna).get("/api/v1/trees")

    assert response.status_code == 200
    [body] = response.data
    assert body["energy_grams"] == 500
    assert body["team"]["name"] == "Buren"
    assert body["contributions"] == [
        {"name": "Anna", "grams": 300, "you": True},
        {"name": "Bram", "grams": 200, "you": False},
    ]
    assert balance(anna) == 0 and balance(bram) == 1_800
    assert balance(anna, "tree") == 300 and balance(bram, "tree") == 200
    keys = set(
        EnergyLedgerEntry.objects.filter(kind="grow").values_list("idempotency_key", flat=True)
    )
    assert len(keys) == 4  # two entries per grow, none shared between members
    assert sum(TreeContribution.objects.filter(tree=tree).values_list("grams", flat=True)) == 500
    assert_ledger_consistent()


def test_the_same_request_id_from_two_members_grows_twice_but_a_retry_once(forest):
    anna, bram = UserFactory(), UserFactory()
    team = active_team(anna, bram)
    species = forest.species.first()
    tree = tree_start(user_id=anna.id, species_id=species.id, forest_id=forest.id, team_id=team.id)
    give_energy(anna, 500)
    give_energy(bram, 500)
    request_id = str(uuid.uuid4())

    first = tree_grow(user_id=anna.id, tree_id=tree.id, grams=100, request_key=request_id)
    retry = tree_grow(user_id=anna.id, tree_id=tree.id, grams=100, request_key=request_id)
    other = tree_grow(user_id=bram.id, tree_id=tree.id, grams=100, request_key=request_id)

    assert (first.grams, retry.replayed, other.grams) == (100, True, 100)
    tree.refresh_from_db()
    assert tree.energy_grams == 200
    assert_ledger_consistent()


def test_a_member_who_left_cannot_grow_but_stays_on_the_tree(forest):
    anna, bram = named("Anna"), named("Bram")
    team = active_team(anna, bram)
    species = forest.species.first()
    tree = tree_start(user_id=anna.id, species_id=species.id, forest_id=forest.id, team_id=team.id)
    give_energy(bram, 1_000)
    tree_grow(user_id=bram.id, tree_id=tree.id, grams=100)

    left = api_client_for(bram).post(f"/api/v1/teams/{team.id}/leave")
    grow = api_client_for(bram).post(f"/api/v1/trees/{tree.id}/grow", {"grams": 100})

    assert left.status_code == 204
    assert grow.status_code == 404
    # still listed for Bram: he grew part of it
    assert [t["id"] for t in api_client_for(bram).get("/api/v1/trees").data] == [tree.id]
    assert api_client_for(bram).get(f"/api/v1/teams/{team.id}").status_code == 404


def test_a_team_tree_at_100_percent_is_funded_and_its_certificate_names_every_member(forest):
    anna, bram, cas = named("Anna"), named("Bram"), named("Cas")
    team = active_team(anna, bram, cas)
    species = forest.species.first()
    tree = tree_start(user_id=bram.id, species_id=species.id, forest_id=forest.id, team_id=team.id)
    give_energy(anna, 600)
    give_energy(bram, 1_000)

    tree_grow(user_id=anna.id, tree_id=tree.id)
    result = tree_grow(user_id=bram.id, tree_id=tree.id)

    assert result.matured and result.funded
    assert result.grams == 400 and balance(bram) == 600  # never more than the tree needs
    order = PlantingOrder.objects.get(tree=tree)
    assert order.price == Decimal("1.00")
    planting_order_transition(order_id=order.id, to_state="funded")
    planting_order_transition(order_id=order.id, to_state="planted", at=timezone.now())
    tree.refresh_from_db()
    details = certificate_details(certificate_by_number(tree.certificate.number))
    assert details["holders"] == ["Anna", "Bram", "Cas"]  # largest share first, then the rest
    page = APIClient().get(f"/certificates/{tree.certificate.number}")
    assert page.status_code == 200
    assert "Anna, Bram, Cas" in page.content.decode()
    assert anna.email not in page.content.decode()
    png = api_client_for(cas).get(f"/api/v1/trees/{tree.id}/certificate.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert (
        api_client_for(UserFactory()).get(f"/api/v1/trees/{tree.id}/certificate.png").status_code
        == 404
    )
    assert_ledger_consistent()


def test_a_personal_tree_is_unchanged_by_teams(forest):
    anna = UserFactory()
    tree = TreeFactory(owner=anna, forest=forest)
    give_energy(anna, 100)
    tree_grow(user_id=anna.id, tree_id=tree.id)
    [body] = api_client_for(anna).get("/api/v1/trees").data
    assert body["team"] is None and body["contributions"] == []
    assert not TreeContribution.objects.exists()


def test_declining_frees_the_invitation(forest):
    anna, bram = UserFactory(), UserFactory()
    team = team_create(creator_id=anna.id, name="Buren", user_ids=[bram.id])
    response = api_client_for(bram).post(f"/api/v1/teams/{team.id}/decline")
    assert response.status_code == 204
    assert TeamMembership.objects.get(user=bram).status == "declined"
    assert api_client_for(bram).get("/api/v1/teams").data == []
    assert api_client_for(bram).post(f"/api/v1/teams/{team.id}/accept").status_code == 404


def test_a_member_may_move_the_team_tree_and_the_list_stays_in_fixed_queries(
    forest, django_assert_max_num_queries
):
    anna, bram = UserFactory(), UserFactory()
    team = active_team(anna, bram)
    species = forest.species.first()
    other = BrandForestFactory(species=[species])
    tree = tree_start(user_id=anna.id, species_id=species.id, forest_id=forest.id, team_id=team.id)
    give_energy(bram, 100)
    tree_grow(user_id=bram.id, tree_id=tree.id)
    TreeFactory(owner=bram, forest=forest)  # a personal tree next to the team's

    moved = api_client_for(bram).post(f"/api/v1/trees/{tree.id}/move", {"forest": other.id})
    client = api_client_for(bram)
    with django_assert_max_num_queries(4):  # trees, contributions + the request savepoint
        listed = client.get("/api/v1/trees")

    assert moved.status_code == 200
    assert moved.data["tree"]["forest"]["id"] == other.id
    assert [len(t["contributions"]) for t in listed.data] == [0, 1]
