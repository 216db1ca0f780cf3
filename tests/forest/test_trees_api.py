"""Species, forests, starting a tree and growing it with collected energy, through the API."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from catalogue.models import BrandForest, Species
from forest.models import EnergyDrop, EnergyLedgerEntry, Tree
from forest.services.energy import drops_collect_all
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory, UserFactory
from tests.clients import api_client_for
from tests.forest.helpers import assert_ledger_consistent, balance, score_all
from tests.forest.tree_factories import BrandForestFactory, SpeciesFactory, TreeFactory, give_energy

pytestmark = pytest.mark.django_db


def test_species_are_seeded_with_ant_forest_costs(user_client):
    body = user_client.get("/api/v1/species").json()
    costs = {s["code"]: s["energy_cost_grams"] for s in body}
    assert costs["saxaul"] == 17_900
    assert costs["red-willow"] == 22_400
    assert {"zomereik", "ruwe-berk", "zwarte-els", "hazelaar"} <= set(costs)
    saxaul = next(s for s in body if s["code"] == "saxaul")
    assert saxaul["stage_thresholds"] == [5, 15, 30, 50, 70, 100]
    assert saxaul["latin_name"] == "Haloxylon ammodendron"


def test_species_names_follow_the_language(user_client):
    body = user_client.get("/api/v1/species", HTTP_ACCEPT_LANGUAGE="nl").json()
    assert next(s for s in body if s["code"] == "zomereik")["name"] == "Zomereik"


def test_forests_lists_open_forests_with_room_and_their_species(user_client):
    oak = Species.objects.get(code="zomereik")
    open_forest = BrandForestFactory(name="Open", species=[oak], capacity=3, budget="2.50")
    BrandForestFactory(name="Closed", status=BrandForest.Status.CLOSED)
    full = BrandForestFactory(name="Full", capacity=1)
    TreeFactory(forest=full, status=Tree.Status.MATURED, matured_at="2026-11-01T00:00Z")
    from partners.services.planting_orders import planting_order_reserve

    planting_order_reserve(tree=Tree.objects.get(forest=full), forest_id=full.id)

    body = user_client.get("/api/v1/forests").json()
    assert [f["name"] for f in body] == ["Open"]
    forest = body[0]
    assert forest["id"] == open_forest.id
    assert forest["capacity_left"] == 3
    assert forest["funded_trees_left"] == 2
    assert [s["code"] for s in forest["species"]] == ["zomereik"]
    assert forest["sponsor"] == open_forest.sponsor.name


def test_forests_list_runs_a_fixed_number_of_queries(user_client, django_assert_max_num_queries):
    for _ in range(3):
        BrandForestFactory()
    with django_assert_max_num_queries(4):  # 2 + the request savepoint
        assert len(user_client.get("/api/v1/forests").json()) == 3
    for _ in range(10):
        BrandForestFactory(species=[SpeciesFactory(), SpeciesFactory()])
    with django_assert_max_num_queries(4):  # 2 + the request savepoint
        assert len(user_client.get("/api/v1/forests").json()) == 13


def test_start_a_tree(user_client, user):
    forest = BrandForestFactory()
    species = forest.species.get()
    response = user_client.post(
        "/api/v1/trees", {"species": species.id, "forest": forest.id}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "growing"
    assert body["stage"] == 0
    assert body["progress_percent"] == 0
    assert body["needed_grams"] == species.energy_cost_grams
    tree = Tree.objects.get(owner=user)
    assert (tree.species_id, tree.forest_id, tree.energy_grams) == (species.id, forest.id, 0)


def test_a_second_growing_tree_is_refused(user_client, user):
    forest = BrandForestFactory()
    payload = {"species": forest.species.get().id, "forest": forest.id}
    assert user_client.post("/api/v1/trees", payload, format="json").status_code == 201
    response = user_client.post("/api/v1/trees", payload, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "tree_growing"
    assert "already growing" in response.json()["detail"]
    assert Tree.objects.filter(owner=user).count() == 1


@pytest.mark.parametrize("status", [BrandForest.Status.CLOSED, BrandForest.Status.FULL])
def test_a_forest_that_is_not_open_is_refused(user_client, user, status):
    forest = BrandForestFactory(status=status)
    response = user_client.post(
        "/api/v1/trees", {"species": forest.species.get().id, "forest": forest.id}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "forest_not_open"
    assert not Tree.objects.filter(owner=user).exists()


def test_a_species_the_forest_does_not_plant_is_refused(user_client, user):
    forest = BrandForestFactory()
    other = SpeciesFactory()
    response = user_client.post(
        "/api/v1/trees", {"species": other.id, "forest": forest.id}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "species_not_offered"
    assert not Tree.objects.filter(owner=user).exists()


def test_unknown_species_or_forest_is_400(user_client):
    forest = BrandForestFactory()
    missing_species = {"species": 999_999, "forest": forest.id}
    missing_forest = {"species": forest.species.get().id, "forest": 999_999}
    assert user_client.post("/api/v1/trees", missing_species, format="json").status_code == 400
    assert user_client.post("/api/v1/trees", missing_forest, format="json").status_code == 400
    assert user_client.post("/api/v1/trees", {}, format="json").status_code == 400


def test_grow_moves_grams_from_the_balance_into_the_tree(user_client, user):
    tree = TreeFactory(owner=user, species=SpeciesFactory(energy_cost_grams=1_000))
    give_energy(user, 400)
    response = user_client.post(f"/api/v1/trees/{tree.id}/grow", {"grams": 150}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["grown_grams"] == 150
    assert body["balance_grams"] == 250
    assert body["tree"]["energy_grams"] == 150
    assert body["tree"]["progress_percent"] == 15
    assert body["tree"]["stage"] == 2  # 5 % and 15 % reached
    assert body["matured"] is False
    tree.refresh_from_db()
    assert tree.energy_grams == 150
    assert balance(user) == 250
    assert balance(user, "tree") == 150
    grow = EnergyLedgerEntry.objects.filter(kind="grow").order_by("grams")
    assert [(e.account, e.grams) for e in grow] == [("balance", -150), ("tree", 150)]
    assert_ledger_consistent()


def test_grow_without_grams_uses_the_whole_balance_but_never_more_than_needed(user_client, user):
    tree = TreeFactory(owner=user, species=SpeciesFactory(energy_cost_grams=1_000))
    give_energy(user, 300)
    body = user_client.post(f"/api/v1/trees/{tree.id}/grow", {}, format="json").json()
    assert (body["grown_grams"], body["balance_grams"]) == (300, 0)
    give_energy(user, 5_000)
    body = user_client.post(f"/api/v1/trees/{tree.id}/grow", {}, format="json").json()
    assert body["grown_grams"] == 700
    assert body["balance_grams"] == 4_300
    assert body["tree"]["energy_grams"] == 1_000
    assert body["tree"]["stage"] == 6
    assert body["matured"] is True
    assert_ledger_consistent()


def test_grow_more_than_the_balance_is_refused(user_client, user):
    tree = TreeFactory(owner=user)
    give_energy(user, 100)
    response = user_client.post(f"/api/v1/trees/{tree.id}/grow", {"grams": 101}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_energy"
    assert balance(user) == 100
    assert not EnergyLedgerEntry.objects.filter(kind="grow").exists()


def test_grow_with_no_energy_is_refused(user_client, user):
    tree = TreeFactory(owner=user)
    response = user_client.post(f"/api/v1/trees/{tree.id}/grow", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "no_energy"


def test_a_retried_grow_with_the_same_request_id_moves_energy_once(user_client, user):
    tree = TreeFactory(owner=user)
    give_energy(user, 500)
    payload = {"grams": 200, "request_id": str(uuid.uuid4())}
    first = user_client.post(f"/api/v1/trees/{tree.id}/grow", payload, format="json")
    again = user_client.post(f"/api/v1/trees/{tree.id}/grow", payload, format="json")
    assert first.status_code == again.status_code == 200
    assert again.json()["grown_grams"] == 0
    assert again.json()["tree"]["energy_grams"] == 200
    assert balance(user) == 300
    assert EnergyLedgerEntry.objects.filter(kind="grow").count() == 2
    key = EnergyLedgerEntry.objects.get(kind="grow", account="tree").idempotency_key
    assert key == f"grow:tree:{tree.id}:{payload['request_id']}:in"


def test_grows_without_request_id_get_counter_keys(user_client, user):
    tree = TreeFactory(owner=user)
    give_energy(user, 500)
    for _ in range(3):
        user_client.post(f"/api/v1/trees/{tree.id}/grow", {"grams": 10}, format="json")
    keys = set(
        EnergyLedgerEntry.objects.filter(kind="grow", account="tree").values_list(
            "idempotency_key", flat=True
        )
    )
    assert keys == {f"grow:tree:{tree.id}:{n}:in" for n in (1, 2, 3)}


def test_another_users_tree_is_404(user_client, user):
    stranger_tree = TreeFactory()
    give_energy(user, 500)
    for url, payload in [
        (f"/api/v1/trees/{stranger_tree.id}/grow", {"grams": 10}),
        (f"/api/v1/trees/{stranger_tree.id}/move", {"forest": BrandForestFactory().id}),
    ]:
        response = user_client.post(url, payload, format="json")
        assert response.status_code == 404
    assert user_client.get(f"/api/v1/trees/{stranger_tree.id}/certificate.png").status_code == 404
    stranger_tree.refresh_from_db()
    assert stranger_tree.energy_grams == 0
    assert balance(user) == 500
    assert all(t["id"] != stranger_tree.id for t in user_client.get("/api/v1/trees").json())


def test_trees_list_shows_own_trees_with_stage_and_progress(user_client, user):
    species = SpeciesFactory(energy_cost_grams=2_000)
    old = TreeFactory(
        owner=user, species=species, energy_grams=2_000, status="matured",
        matured_at="2026-10-01T00:00Z",
    )  # fmt: skip
    current = TreeFactory(owner=user, species=species, energy_grams=700)
    TreeFactory()  # someone else's
    body = user_client.get("/api/v1/trees").json()
    assert [t["id"] for t in body] == [current.id, old.id]
    assert (body[0]["stage"], body[0]["progress_percent"]) == (3, 35)
    assert (body[1]["stage"], body[1]["progress_percent"]) == (6, 100)


def test_trees_list_runs_a_fixed_number_of_queries(user, django_assert_max_num_queries):
    client = api_client_for(user)
    TreeFactory(owner=user)
    with django_assert_max_num_queries(3):  # 1 + the request savepoint
        client.get("/api/v1/trees")
    for _ in range(8):
        TreeFactory(owner=user, status="matured", matured_at="2026-10-01T00:00Z")
    with django_assert_max_num_queries(3):  # 1 + the request savepoint
        assert len(client.get("/api/v1/trees").json()) == 9


def test_home_shows_the_growing_tree_in_a_fixed_number_of_queries(
    user, django_assert_max_num_queries
):
    client = api_client_for(user)
    assert client.get("/api/v1/forest").json()["tree"] is None
    tree = TreeFactory(owner=user, species=SpeciesFactory(energy_cost_grams=1_000))
    give_energy(user, 520)
    client.post(f"/api/v1/trees/{tree.id}/grow", {"grams": 500}, format="json")
    with django_assert_max_num_queries(7):  # as test_energy_api: +1 for the tree
        body = client.get("/api/v1/forest").json()
    assert body["tree"]["id"] == tree.id
    assert body["tree"]["stage"] == 4
    assert body["tree"]["progress_percent"] == 50
    assert body["balance_grams"] == 20
    for _ in range(5):
        TreeFactory(owner=user, status="matured", matured_at="2026-10-01T00:00Z")
    with django_assert_max_num_queries(7):  # as test_energy_api: +1 for the tree
        assert client.get("/api/v1/forest").json()["tree"]["id"] == tree.id


def test_energy_earned_from_transactions_grows_a_tree_end_to_end(user_client, user):
    feed = LinkedFeedFactory(user=user)
    TransactionFactory(feed=feed, merchant_name="NS", amount=Decimal("-12.40"))
    score_all()
    ripe = EnergyDrop.objects.get(user=user).ripe_at + timedelta(minutes=1)
    with time_machine.travel(ripe):
        collected = drops_collect_all(user_id=user.id)
    assert collected.grams > 0
    forest = BrandForestFactory(species=[Species.objects.get(code="saxaul")])
    tree_id = user_client.post(
        "/api/v1/trees", {"species": forest.species.get().id, "forest": forest.id}, format="json"
    ).json()["id"]
    body = user_client.post(f"/api/v1/trees/{tree_id}/grow", {}, format="json").json()
    assert body["grown_grams"] == collected.grams
    assert body["tree"]["energy_grams"] == collected.grams
    assert balance(user) == 0
    assert balance(user, "tree") == collected.grams
    assert_ledger_consistent()


def test_users_can_each_grow_one_tree(db):
    a, b = UserFactory(), UserFactory()
    forest = BrandForestFactory()
    payload = {"species": forest.species.get().id, "forest": forest.id}
    assert api_client_for(a).post("/api/v1/trees", payload, format="json").status_code == 201
    assert api_client_for(b).post("/api/v1/trees", payload, format="json").status_code == 201


def test_the_idempotency_key_header_works_like_request_id(user_client, user):
    tree = TreeFactory(owner=user)
    give_energy(user, 500)
    key = str(uuid.uuid4())
    for _ in range(2):
        response = user_client.post(
            f"/api/v1/trees/{tree.id}/grow", {"grams": 50}, format="json",
            HTTP_IDEMPOTENCY_KEY=key,
        )  # fmt: skip
        assert response.status_code == 200
    assert balance(user) == 450
    bad = user_client.post(
        f"/api/v1/trees/{tree.id}/grow", {"grams": 50}, format="json", HTTP_IDEMPOTENCY_KEY="3"
    )
    assert bad.status_code == 400
    assert balance(user) == 450


def test_a_tree_whose_species_got_cheaper_matures_on_the_next_grow(user_client, user):
    species = SpeciesFactory(energy_cost_grams=1_000)
    tree = TreeFactory(owner=user, species=species, energy_grams=0)
    give_energy(user, 900)
    user_client.post(f"/api/v1/trees/{tree.id}/grow", {}, format="json")
    Species.objects.filter(pk=species.pk).update(energy_cost_grams=800)
    body = user_client.post(f"/api/v1/trees/{tree.id}/grow", {}, format="json").json()
    assert (body["matured"], body["grown_grams"], body["funded"]) == (True, 0, True)
    assert balance(user, "tree") == 900
    assert_ledger_consistent()
