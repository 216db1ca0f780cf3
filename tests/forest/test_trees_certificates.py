"""Certificates: the owner's PNG and the public verification page."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from PIL import Image, ImageStat

from forest.integrations.imaging import CERTIFICATE_SIZE
from forest.models import Certificate
from partners.services.planting_orders import planting_order_reserve, planting_order_transition
from tests.accounts.factories import UserFactory
from tests.forest.tree_factories import BrandForestFactory, TreeFactory

pytestmark = pytest.mark.django_db


def planted_tree(owner, *, verified: bool = False):
    forest = BrandForestFactory(name="Amsterdamse Bos", sponsor__name="Groene Bank")
    tree = TreeFactory(owner=owner, forest=forest, status="matured", matured_at=timezone.now())
    order = planting_order_reserve(tree=tree, forest_id=forest.id).order
    planting_order_transition(order_id=order.id, to_state="funded")
    planting_order_transition(order_id=order.id, to_state="planted")
    if verified:
        planting_order_transition(order_id=order.id, to_state="verified")
    tree.refresh_from_db()
    return tree


@pytest.fixture
def owner(db):
    user = UserFactory(email="sanne.de.vries@example.nl", first_name="Sanne", last_name="de Vries")
    user.profile.display_name = ""
    user.profile.save(update_fields=["display_name"])
    return user


def test_planting_issues_one_certificate(owner):
    tree = planted_tree(owner, verified=True)
    certificate = Certificate.objects.get(tree=tree)
    assert certificate.number.startswith(f"CNP-{timezone.now():%Y}-")
    assert Certificate.objects.count() == 1


def test_the_owner_gets_a_certificate_png(owner, user_client):
    tree = planted_tree(owner)
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user=owner)
    response = client.get(f"/api/v1/trees/{tree.id}/certificate.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    assert image.size == CERTIFICATE_SIZE
    extrema = ImageStat.Stat(image.convert("L")).extrema[0]
    assert extrema[1] - extrema[0] > 100, "the certificate is blank"
    # Another user cannot fetch it.
    assert user_client.get(f"/api/v1/trees/{tree.id}/certificate.png").status_code == 404


def test_no_certificate_before_planting(user, user_client):
    tree = TreeFactory(owner=user)
    response = user_client.get(f"/api/v1/trees/{tree.id}/certificate.png")
    assert response.status_code == 404


def test_the_public_page_shows_the_tree_but_nothing_private(owner, client):
    tree = planted_tree(owner, verified=True)
    number = tree.certificate.number
    response = client.get(f"/certificates/{number}")
    assert response.status_code == 200
    html = response.content.decode()
    assert number in html
    assert "Sanne" in html
    assert "Amsterdamse Bos" in html
    assert "Groene Bank" in html
    assert "52.3" in html  # the forest's coordinates
    assert "sanne.de.vries" not in html
    assert "example.nl" not in html
    assert "de Vries" not in html


def test_the_public_page_prefers_the_display_name(owner, client):
    owner.profile.display_name = "Boomplanter"
    owner.profile.save(update_fields=["display_name"])
    tree = planted_tree(owner)
    html = client.get(f"/certificates/{tree.certificate.number}").content.decode()
    assert "Boomplanter" in html
    assert "Sanne" not in html


def test_an_unknown_certificate_is_404(client):
    assert client.get("/certificates/CNP-2026-NOPE").status_code == 404
