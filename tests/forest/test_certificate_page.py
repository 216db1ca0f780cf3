"""The public certificate page: photo, small map, evidence and survival, and a shared link
that previews the certificate image (Open Graph)."""

from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest
from django.utils import timezone
from PIL import Image

from forest.integrations.imaging import CERTIFICATE_SIZE
from partners.services.evidence import planting_evidence_add, survival_check_record
from partners.services.planting_orders import planting_order_reserve, planting_order_transition
from tests.forest.tree_factories import BrandForestFactory, SpeciesFactory, TreeFactory
from tests.partners.test_photos import camera_jpeg

pytestmark = pytest.mark.django_db


def _tree(*, photo: bool):
    forest = BrandForestFactory(name="Amsterdamse Bos", sponsor__name="Groene Bank")
    species = SpeciesFactory(name_en="Pedunculate oak", name_nl="Zomereik")
    tree = TreeFactory(forest=forest, species=species, status="matured", matured_at=timezone.now())
    order = planting_order_reserve(tree=tree, forest_id=forest.id).order
    planting_order_transition(order_id=order.id, to_state="funded")
    planting_order_transition(order_id=order.id, to_state="planted")
    if photo:
        planting_evidence_add(
            order_id=order.id, data=camera_jpeg(seed=3, size=(1200, 900), lat=52.315, lon=4.84)
        )
    tree.refresh_from_db()
    return tree, order


def _meta(html: str, prop: str) -> str:
    found = re.search(rf'<meta property="{re.escape(prop)}" content="([^"]*)"', html)
    assert found, prop
    return found.group(1)


def test_the_page_shows_photo_map_evidence_and_survival(client, settings):
    settings.SITE_URL = "https://canopy.example"
    tree, order = _tree(photo=True)
    survival_check_record(order_id=order.id, year=1, checked_on=date(2027, 6, 1), alive=True)
    number = tree.certificate.number

    html = client.get(f"/certificates/{number}").content.decode()

    assert f'src="/certificates/{number}/photo.jpg"' in html
    assert "Verified: a photo taken in the forest" not in html  # survival checked since
    assert "checked for survival since" in html
    assert "Year 1 (" in html and "alive" in html
    assert "Groene Bank" in html and "Pedunculate oak" in html
    data = json.loads(
        re.search(r'id="certificate-map-data" type="application/json">(.*?)</script>', html).group(
            1
        )
    )
    assert data["area"] == tree.forest.area
    [pin] = data["pins"]
    assert pin["lat"] == pytest.approx(52.315, abs=1e-4)
    assert pin["marker"] == "survival_checked"
    # A shared link previews the certificate image.
    assert _meta(html, "og:url") == f"https://canopy.example/certificates/{number}"
    assert _meta(html, "og:image") == f"https://canopy.example/certificates/{number}.png"
    assert number in _meta(html, "og:title")


def test_the_certificate_image_and_photo_are_public_and_clean(client):
    tree, _ = _tree(photo=True)
    number = tree.certificate.number

    image = client.get(f"/certificates/{number}.png")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert "public" in image["Cache-Control"]
    assert Image.open(io.BytesIO(image.content)).size == CERTIFICATE_SIZE

    photo = client.get(f"/certificates/{number}/photo.jpg")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    picture = Image.open(io.BytesIO(photo.content))
    assert not picture.getexif(), "no GPS or camera metadata on the public photo"
    thumb = Image.open(io.BytesIO(client.get(f"/certificates/{number}/thumb.jpg").content))
    assert max(thumb.size) == 320 < max(picture.size)


def test_without_a_photo_the_page_says_planted_and_has_no_photo(client):
    tree, _ = _tree(photo=False)
    number = tree.certificate.number
    html = client.get(f"/certificates/{number}").content.decode()
    assert "Planted: reported by the planting partner" in html
    assert "/photo.jpg" not in html
    assert "None yet: the planting partner checks every year" in html
    assert client.get(f"/certificates/{number}/photo.jpg").status_code == 404
    assert client.get(f"/certificates/{number}/huge.jpg").status_code == 404


def test_unknown_certificates_have_no_image_or_photo(client):
    assert client.get("/certificates/CNP-2026-NOPE.png").status_code == 404
    assert client.get("/certificates/CNP-2026-NOPE/photo.jpg").status_code == 404


def test_the_dutch_page_dates_the_planting_the_dutch_way(client):
    tree, order = _tree(photo=True)
    survival_check_record(order_id=order.id, year=1, checked_on=date(2026, 12, 3), alive=True)
    html = client.get(
        f"/certificates/{tree.certificate.number}", HTTP_ACCEPT_LANGUAGE="nl"
    ).content.decode()
    assert "Zomereik" in html
    assert "(3-12-2026)" in html  # the survival check, in the Dutch short date format
