"""Admin pages for species, trees, forests, budgets and planting orders."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from partners.models import ForestBudgetEntry, PlantingOrder
from partners.services.planting_orders import forest_budget_available, planting_order_reserve
from tests.accounts.factories import UserFactory
from tests.forest.tree_factories import BrandForestFactory, TreeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def order():
    forest = BrandForestFactory()
    tree = TreeFactory(forest=forest, status="matured", matured_at=timezone.now())
    return planting_order_reserve(tree=tree, forest_id=forest.id).order


@pytest.mark.parametrize(
    "url",
    [
        "/admin/catalogue/species/?q=oak",
        "/admin/forest/tree/?status__exact=matured",
        "/admin/forest/certificate/",
        "/admin/catalogue/plantingpartner/?kind__exact=sandbox",
        "/admin/catalogue/brandforest/?status__exact=open&q=forest",
        "/admin/partners/forestbudgetentry/?kind__exact=reserve",
        "/admin/partners/plantingorder/?state__exact=requested",
        "/admin/partners/forestbudgetentry/add/",
        "/admin/partners/survivalcheck/?alive__exact=1",
        "/admin/partners/plantingevidence/",
        "/admin/forest/team/?q=buren",
        "/admin/forest/tree/?team__isempty=0",
        "/admin/partners/partnerapikey/?revoked_at__isempty=1",
        "/admin/partners/plantingorder/?hold_reason__isempty=0",
    ],
)
def test_admin_pages_render(operator_client, order, url):
    assert operator_client.get(url).status_code == 200


def test_admin_order_page_shows_its_history(operator_client, order):
    page = operator_client.get(f"/admin/partners/plantingorder/{order.id}/change/")
    assert page.status_code == 200
    assert "budget reserved" in page.content.decode()


def test_admin_brand_forest_change_page(operator_client, order):
    page = operator_client.get(f"/admin/catalogue/brandforest/{order.forest_id}/change/")
    assert page.status_code == 200


def test_an_operator_records_a_topup(operator_client, order):
    before = forest_budget_available(order.forest_id)
    response = operator_client.post(
        "/admin/partners/forestbudgetentry/add/",
        {"forest": order.forest_id, "amount": "25.00", "memo": "invoice 2026-11"},
    )
    assert response.status_code == 302, response.content
    entry = ForestBudgetEntry.objects.get(kind="topup", memo="invoice 2026-11")
    assert entry.idempotency_key.startswith("topup:admin:")
    assert forest_budget_available(order.forest_id) == before + Decimal("25.00")


def test_the_submit_action_sends_a_partners_orders(operator_client, order):
    response = operator_client.post(
        "/admin/catalogue/plantingpartner/",
        {"action": "submit_requested_orders", "_selected_action": [order.partner_id]},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == PlantingOrder.State.FUNDED


def test_an_operator_uploads_evidence_and_records_survival(operator_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from partners.models import PlantingEvidence, SurvivalCheck
    from partners.services.planting_orders import planting_order_transition
    from tests.partners.test_photos import camera_jpeg

    forest = BrandForestFactory()
    tree = TreeFactory(forest=forest, status="matured", matured_at=timezone.now())
    order = planting_order_reserve(tree=tree, forest_id=forest.id).order
    planting_order_transition(order_id=order.id, to_state="funded")
    planting_order_transition(order_id=order.id, to_state="planted")

    outside = SimpleUploadedFile("a.jpg", camera_jpeg(seed=2), content_type="image/jpeg")
    page = operator_client.post(
        "/admin/partners/plantingevidence/add/", {"order": order.id, "upload": outside}
    )
    assert page.status_code == 200
    assert "outside" in page.content.decode()
    inside = SimpleUploadedFile(
        "b.jpg", camera_jpeg(seed=2, lat=52.315, lon=4.84), content_type="image/jpeg"
    )
    response = operator_client.post(
        "/admin/partners/plantingevidence/add/", {"order": order.id, "upload": inside}
    )
    assert response.status_code == 302, response.content
    assert PlantingEvidence.objects.filter(order=order).count() == 1
    assert operator_client.get("/admin/partners/plantingevidence/").status_code == 200

    response = operator_client.post(
        "/admin/partners/survivalcheck/add/",
        {"order": order.id, "year": 1, "alive": "on", "checked_on": "2027-11-01", "note": ""},
    )
    assert response.status_code == 302, response.content
    assert SurvivalCheck.objects.get(order=order).alive is True
    order.refresh_from_db()
    assert order.state == PlantingOrder.State.SURVIVAL_CHECKED
    duplicate = operator_client.post(
        "/admin/partners/survivalcheck/add/",
        {"order": order.id, "year": 1, "alive": "on", "checked_on": "2027-11-02", "note": ""},
    )
    assert duplicate.status_code == 200  # the form shows the error
    assert SurvivalCheck.objects.count() == 1


def test_admin_team_and_team_tree_pages_show_members_and_contributions(operator_client):
    from forest.services.teams import team_accept, team_create
    from forest.services.trees import tree_grow, tree_start
    from tests.forest.tree_factories import give_energy

    anna, bram = UserFactory(), UserFactory()
    team = team_create(creator_id=anna.id, name="Buren", user_ids=[bram.id])
    team_accept(user_id=bram.id, team_id=team.id)
    forest = BrandForestFactory()
    tree = tree_start(
        user_id=anna.id, species_id=forest.species.first().id, forest_id=forest.id, team_id=team.id
    )
    give_energy(bram, 120)
    tree_grow(user_id=bram.id, tree_id=tree.id)

    team_page = operator_client.get(f"/admin/forest/team/{team.id}/change/")
    tree_page = operator_client.get(f"/admin/forest/tree/{tree.id}/change/")

    assert team_page.status_code == tree_page.status_code == 200
    assert bram.email in team_page.content.decode()
    assert "120" in tree_page.content.decode()


def test_bulk_state_actions_move_legal_orders_and_refuse_the_rest(operator_client, order):
    other = planting_order_reserve(
        tree=TreeFactory(forest=order.forest, status="matured", matured_at=timezone.now()),
        forest_id=order.forest_id,
    ).order
    operator_client.post(
        "/admin/partners/plantingorder/",
        {"action": "mark_funded", "_selected_action": [order.id]},
    )
    response = operator_client.post(
        "/admin/partners/plantingorder/",
        {"action": "mark_planted", "_selected_action": [order.id, other.id]},
        follow=True,
    )
    texts = [str(m) for m in response.context["messages"]]
    assert "1 orders moved to planted." in texts
    assert any(t.startswith("Refused: #") for t in texts)
    order.refresh_from_db()
    other.refresh_from_db()
    assert (order.state, other.state) == ("planted", "requested")
    assert order.events.filter(to_state="planted").count() == 1


def test_cancel_action_releases_the_reservation(operator_client, order):
    before = forest_budget_available(order.forest_id)
    operator_client.post(
        "/admin/partners/plantingorder/",
        {"action": "mark_cancelled", "_selected_action": [order.id]},
    )
    order.refresh_from_db()
    assert order.state == "cancelled"
    assert forest_budget_available(order.forest_id) == before + order.price


def test_evidence_shows_as_thumbnails(operator_client):
    from partners.services.evidence import planting_evidence_add
    from partners.services.planting_orders import planting_order_transition
    from tests.partners.test_photos import camera_jpeg

    forest = BrandForestFactory()
    tree = TreeFactory(forest=forest, status="matured", matured_at=timezone.now())
    order = planting_order_reserve(tree=tree, forest_id=forest.id).order
    planting_order_transition(order_id=order.id, to_state="funded")
    planting_order_transition(order_id=order.id, to_state="planted")
    evidence = planting_evidence_add(
        order_id=order.id, data=camera_jpeg(seed=3, lat=52.315, lon=4.84)
    )
    listing = operator_client.get("/admin/partners/plantingevidence/").content.decode()
    assert f'<img src="{evidence.photo.url}"' in listing
    detail = operator_client.get(f"/admin/partners/plantingorder/{order.id}/change/")
    assert f'<img src="{evidence.photo.url}"' in detail.content.decode()
