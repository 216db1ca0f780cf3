"""A forest's page in the portal: its map data, survival-adjusted counts, evidence gallery and
the evidence photos, each only for members of the forest's sponsor."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.utils import timezone
from PIL import Image

from partners.models import SurvivalCheck
from partners.services.evidence import planting_evidence_add
from partners.services.planting_orders import planting_order_reserve, planting_order_transition
from tests.forest.tree_factories import BrandForestFactory, SpeciesFactory, TreeFactory
from tests.partners.factories import SponsorMembershipFactory
from tests.partners.portal_helpers import order_in_state
from tests.partners.test_photos import camera_jpeg

pytestmark = pytest.mark.django_db

IN_THE_FOREST = {"lat": 52.315, "lon": 4.84}  # inside tree_factories.AMSTERDAMSE_BOS


def _map_data(html: str) -> dict:
    found = re.search(
        r'<script id="forest-map-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, "the page carries its map data"
    return json.loads(found.group(1))


def _photographed_order(forest, *, seed: int = 1):
    """A planted order whose partner sent a photo taken in the forest (so: verified)."""
    tree = TreeFactory(forest=forest, status="matured", matured_at=timezone.now())
    order = planting_order_reserve(tree=tree, forest_id=forest.id).order
    planting_order_transition(order_id=order.id, to_state="funded")
    planting_order_transition(order_id=order.id, to_state="planted")
    evidence = planting_evidence_add(
        order_id=order.id, data=camera_jpeg(seed=seed, size=(1600, 1200), **IN_THE_FOREST)
    )
    return order, evidence


def test_the_forest_page_draws_outline_and_pins_coloured_by_state(portal, sponsor, settings):
    settings.CANOPY_MAP_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    forest = BrandForestFactory(sponsor=sponsor, species=[SpeciesFactory(name_en="Oak")])
    at = timezone.now()
    planted = order_in_state(forest, "planted", at=at)
    checked = order_in_state(forest, "survival_checked", at=at, alive=False)
    order_in_state(forest, "funded", at=at)  # not planted: no pin
    unlocated = order_in_state(forest, "verified", at=at)
    for order, lat in [(planted, 52.31), (checked, 52.32)]:
        order.planted_latitude, order.planted_longitude = lat, 4.84
        order.save(update_fields=["planted_latitude", "planted_longitude"])
    _photographed_order(forest)  # located by its photo

    html = portal.get(f"/partners/{sponsor.slug}/forests/{forest.pk}/").content.decode()
    data = _map_data(html)

    assert data["area"] == forest.area
    assert data["tiles"]["url"] == "https://tiles.example/{z}/{x}/{y}.png"
    markers = sorted(pin["marker"] for pin in data["pins"])
    assert markers == ["dead", "planted", "verified"]
    assert unlocated.planted_latitude is None  # no location reported: not on the map
    photo_pin = next(p for p in data["pins"] if p["marker"] == "verified")
    assert photo_pin["lat"] == pytest.approx(52.315, abs=1e-4)
    assert photo_pin["thumb"].endswith("/thumb.jpg") and photo_pin["species"]
    # Leaflet and the map script come from our own static files, the data from json_script.
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "/static/portal/forest-map.js" in html


def test_survival_adjusted_counts_stand_next_to_funded_and_planted(portal, sponsor):
    forest = BrandForestFactory(sponsor=sponsor)
    order_in_state(forest, "funded")
    order_in_state(forest, "planted")
    order_in_state(forest, "verified", alive=True)
    dead = order_in_state(forest, "survival_checked", alive=True)
    SurvivalCheck.objects.create(order=dead, year=2, checked_on=timezone.localdate(), alive=False)
    order_in_state(forest, "cancelled")

    html = portal.get(f"/partners/{sponsor.slug}/forests/{forest.pk}/").content.decode()

    assert 'data-figure="forest_funded">4<' in html
    assert 'data-figure="forest_planted">3<' in html
    assert 'data-figure="forest_surviving">2<' in html


def test_the_gallery_shows_the_forests_evidence_as_thumbnails(portal, sponsor):
    forest = BrandForestFactory(sponsor=sponsor)
    _, first = _photographed_order(forest, seed=1)
    _, second = _photographed_order(forest, seed=2)

    html = portal.get(f"/partners/{sponsor.slug}/forests/{forest.pk}/").content.decode()
    for evidence in (first, second):
        assert f"/partners/{sponsor.slug}/evidence/{evidence.pk}/thumb.jpg" in html

    response = portal.get(f"/partners/{sponsor.slug}/evidence/{first.pk}/thumb.jpg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    assert max(image.size) == 320
    assert not image.getexif(), "thumbnails carry no metadata (the stored photo's GPS stays)"
    large = Image.open(
        io.BytesIO(portal.get(f"/partners/{sponsor.slug}/evidence/{first.pk}/photo.jpg").content)
    )
    assert max(large.size) > 320
    assert portal.get(f"/partners/{sponsor.slug}/evidence/{first.pk}/huge.jpg").status_code == 404


def test_a_sponsor_never_sees_another_sponsors_forest_map_or_photos(client, sponsor):
    forest = BrandForestFactory(sponsor=sponsor)
    _, evidence = _photographed_order(forest)
    outsider = SponsorMembershipFactory()
    client.force_login(outsider.user)

    # Not through its own slug, and not through the other brand's.
    mine, theirs = outsider.sponsor.slug, sponsor.slug
    assert client.get(f"/partners/{mine}/forests/{forest.pk}/").status_code == 404
    assert client.get(f"/partners/{theirs}/forests/{forest.pk}/").status_code == 404
    assert client.get(f"/partners/{mine}/evidence/{evidence.pk}/thumb.jpg").status_code == 404
    assert client.get(f"/partners/{theirs}/evidence/{evidence.pk}/thumb.jpg").status_code == 404
    client.logout()
    response = client.get(f"/partners/{theirs}/evidence/{evidence.pk}/thumb.jpg")
    assert response.status_code == 302  # to the login page


def test_the_forest_page_runs_a_fixed_number_of_queries(
    portal, sponsor, django_assert_max_num_queries
):
    forest = BrandForestFactory(sponsor=sponsor)
    for i in range(3):
        _photographed_order(forest, seed=10 + i)
        order_in_state(forest, "survival_checked", alive=i % 2 == 0)
    with django_assert_max_num_queries(11):
        response = portal.get(f"/partners/{sponsor.slug}/forests/{forest.pk}/")
    assert len(_map_data(response.content.decode())["pins"]) == 3


def test_the_dutch_forest_page_groups_numbers_and_dates_the_dutch_way(portal, sponsor):
    forest = BrandForestFactory(sponsor=sponsor, capacity=12_500)
    _order, evidence = _photographed_order(forest)
    html = portal.get(
        f"/partners/{sponsor.slug}/forests/{forest.pk}/", HTTP_ACCEPT_LANGUAGE="nl"
    ).content.decode()
    assert "12.500" in html  # the capacity
    taken = timezone.localtime(evidence.taken_at or evidence.created_at).date()
    assert f"{taken.day}-{taken.month}-{taken.year}" in html  # the gallery's date
    pin = _map_data(html)["pins"][0]
    assert pin["planted"] == timezone.localdate().strftime("%-d-%-m-%Y")
