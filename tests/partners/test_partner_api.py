"""The planting partners' API: key authentication, their orders, planting and survival reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from forest.models import Certificate
from partners.api.auth import PartnerRateThrottle
from partners.models import PartnerApiKey, PlantingEvidence, PlantingOrder, SurvivalCheck
from partners.services.api_keys import partner_api_key_check, partner_api_key_create
from partners.services.planting_orders import planting_order_reserve, planting_order_transition
from tests.forest.tree_factories import BrandForestFactory, PlantingPartnerFactory, TreeFactory
from tests.partners.test_photos import camera_jpeg

pytestmark = pytest.mark.django_db

IN_THE_FOREST = {"lat": 52.315, "lon": 4.84}  # inside tree_factories.AMSTERDAMSE_BOS


def funded_order(partner=None) -> PlantingOrder:
    forest = BrandForestFactory(planting_partner=partner or PlantingPartnerFactory())
    tree = TreeFactory(forest=forest, status="matured", matured_at=timezone.now())
    order = planting_order_reserve(tree=tree, forest_id=forest.id).order
    return planting_order_transition(order_id=order.id, to_state="funded")


def partner_client(partner) -> APIClient:
    _key, token = partner_api_key_create(partner=partner, name="field app")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def planted_form(seed: int = 1, **position) -> dict:
    photo = camera_jpeg(seed=seed, **IN_THE_FOREST)
    return {
        "photo": SimpleUploadedFile("plot.jpg", photo, content_type="image/jpeg"),
        "latitude": position.get("lat", IN_THE_FOREST["lat"]),
        "longitude": position.get("lon", IN_THE_FOREST["lon"]),
    }


# --- keys ----------------------------------------------------------------------------------


def test_a_key_is_stored_hashed_and_checked_in_full():
    partner = PlantingPartnerFactory()
    key, token = partner_api_key_create(partner=partner, name="ops")
    assert token.startswith(f"cnp_{key.prefix}_")
    secret = token.split("_", 2)[2]
    assert secret not in key.secret_hash and len(key.secret_hash) == 64
    assert partner_api_key_check(token) == key
    assert partner_api_key_check(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert partner_api_key_check("nonsense") is None
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    assert partner_api_key_check(token) is None


@pytest.mark.parametrize("header", [None, "Bearer cnp_nope_nope", "Token abc", "Bearer "], ids=str)
def test_the_api_refuses_requests_without_a_valid_key(header):
    funded_order()
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/partner/orders")
    assert response.status_code == 401


def test_a_signed_in_user_is_not_a_partner(user_client):
    assert user_client.get("/api/v1/partner/orders").status_code in (401, 403)


def test_an_inactive_partners_key_stops_working():
    partner = PlantingPartnerFactory()
    client = partner_client(partner)
    partner.is_active = False
    partner.save(update_fields=["is_active"])
    assert client.get("/api/v1/partner/orders").status_code == 401


# --- orders --------------------------------------------------------------------------------


def test_a_partner_lists_only_its_own_orders():
    mine = funded_order()
    funded_order()  # another partner's
    client = partner_client(mine.partner)

    response = client.get("/api/v1/partner/orders")
    filtered = client.get("/api/v1/partner/orders", {"state": "planted"})

    assert response.status_code == 200
    assert [o["id"] for o in response.data["results"]] == [mine.id]
    body = response.data["results"][0]
    assert body["state"] == "funded"
    assert body["idempotency_key"] == str(mine.idempotency_key)
    assert body["forest_area"]["type"] == "Polygon"
    assert "owner" not in body and "email" not in str(body)
    assert filtered.data["results"] == []


# --- planted -------------------------------------------------------------------------------


def test_reporting_planted_with_a_photo_plants_verifies_and_certifies():
    order = funded_order()
    planted_at = timezone.now() - timedelta(days=1)
    form = planted_form() | {"planted_at": planted_at.isoformat()}

    response = partner_client(order.partner).post(
        f"/api/v1/partner/orders/{order.id}/planted", form, format="multipart"
    )

    assert response.status_code == 201, response.data
    assert response.data["order_state"] == "verified"
    order.refresh_from_db()
    assert order.state == PlantingOrder.State.VERIFIED
    assert order.planted_at == planted_at
    assert (order.planted_latitude, order.planted_longitude) == (52.315, 4.84)
    evidence = PlantingEvidence.objects.get(order=order)
    assert evidence.photo.read().startswith(b"\xff\xd8")
    assert Certificate.objects.filter(tree_id=order.tree_id).exists()
    assert order.tree.certificate.issued_at == planted_at


@pytest.mark.parametrize(
    ("form_change", "code"),
    [
        ({"latitude": 52.37, "longitude": 4.89}, "outside_forest"),  # central Amsterdam
        ({"photo": "other-position"}, "outside_forest"),
        ({"photo": "no-gps"}, "no_gps"),
        ({"photo": "not-a-photo"}, "bad_photo"),
    ],
)
def test_bad_evidence_is_a_400_and_stores_nothing(form_change, code):
    order = funded_order()
    form = planted_form()
    photos = {
        "other-position": camera_jpeg(seed=2),  # taken in central Amsterdam
        "no-gps": camera_jpeg(seed=2, lat=None, lon=None),
        "not-a-photo": b"%PDF-1.4 not an image",
    }
    for name, value in form_change.items():
        form[name] = SimpleUploadedFile("p.jpg", photos[value]) if name == "photo" else value

    response = partner_client(order.partner).post(
        f"/api/v1/partner/orders/{order.id}/planted", form, format="multipart"
    )

    assert response.status_code == 400
    assert response.data["code"] == code, response.data
    order.refresh_from_db()
    assert order.state == PlantingOrder.State.FUNDED
    assert order.planted_at is None and order.planted_latitude is None
    assert not PlantingEvidence.objects.exists()
    assert not Certificate.objects.exists()
    assert order.events.filter(to_state="planted").count() == 0


def test_a_reused_photo_is_refused_for_the_next_order():
    first = funded_order()
    second = funded_order(partner=first.partner)
    client = partner_client(first.partner)
    ok = client.post(
        f"/api/v1/partner/orders/{first.id}/planted", planted_form(seed=3), format="multipart"
    )

    reused = client.post(
        f"/api/v1/partner/orders/{second.id}/planted", planted_form(seed=3), format="multipart"
    )

    assert ok.status_code == 201
    assert reused.status_code == 400 and reused.data["code"] == "duplicate_photo"
    second.refresh_from_db()
    assert second.state == PlantingOrder.State.FUNDED
    assert PlantingEvidence.objects.count() == 1


def test_another_partners_order_is_a_404_and_untouched():
    order = funded_order()
    stranger = partner_client(PlantingPartnerFactory())

    planted = stranger.post(
        f"/api/v1/partner/orders/{order.id}/planted", planted_form(), format="multipart"
    )
    survival = stranger.post(
        f"/api/v1/partner/orders/{order.id}/survival-checks",
        {"year": 1, "alive": True, "checked_on": "2026-01-01"},
        format="json",
    )
    missing = stranger.post(
        "/api/v1/partner/orders/999999/planted", planted_form(), format="multipart"
    )

    assert planted.status_code == survival.status_code == missing.status_code == 404
    assert planted.data == missing.data  # nothing tells the two apart
    order.refresh_from_db()
    assert order.state == PlantingOrder.State.FUNDED


def test_an_order_not_yet_funded_cannot_be_reported_planted():
    partner = PlantingPartnerFactory()
    forest = BrandForestFactory(planting_partner=partner)
    tree = TreeFactory(forest=forest, status="matured", matured_at=timezone.now())
    order = planting_order_reserve(tree=tree, forest_id=forest.id).order

    response = partner_client(partner).post(
        f"/api/v1/partner/orders/{order.id}/planted", planted_form(), format="multipart"
    )

    assert response.status_code == 400 and response.data["code"] == "not_funded"
    assert not PlantingEvidence.objects.exists()


# --- survival ------------------------------------------------------------------------------


def test_survival_checks_are_recorded_once_a_year():
    order = funded_order()
    client = partner_client(order.partner)
    client.post(f"/api/v1/partner/orders/{order.id}/planted", planted_form(), format="multipart")
    url = f"/api/v1/partner/orders/{order.id}/survival-checks"

    first = client.post(url, {"year": 1, "alive": True, "checked_on": "2026-06-01"}, format="json")
    again = client.post(url, {"year": 1, "alive": False, "checked_on": "2026-06-02"}, format="json")
    bad_year = client.post(
        url, {"year": 6, "alive": True, "checked_on": "2026-06-01"}, format="json"
    )
    future = client.post(
        url,
        {"year": 2, "alive": True, "checked_on": str(timezone.localdate() + timedelta(days=3))},
        format="json",
    )

    assert first.status_code == 201, first.data
    assert again.status_code == 400 and again.data["code"] == "already_checked"
    assert bad_year.status_code == 400 and future.status_code == 400
    order.refresh_from_db()
    assert order.state == PlantingOrder.State.SURVIVAL_CHECKED
    assert list(SurvivalCheck.objects.values_list("year", "alive")) == [(1, True)]


def test_survival_before_verification_is_refused():
    order = funded_order()
    response = partner_client(order.partner).post(
        f"/api/v1/partner/orders/{order.id}/survival-checks",
        {"year": 1, "alive": True, "checked_on": "2026-01-01"},
        format="json",
    )
    assert response.status_code == 400 and response.data["code"] == "not_verified"
    assert not SurvivalCheck.objects.exists()


# --- throttling and admin ------------------------------------------------------------------


def test_a_partner_is_throttled_across_its_keys(monkeypatch):
    monkeypatch.setattr(PartnerRateThrottle, "rate", "3/minute")
    monkeypatch.setattr(PartnerRateThrottle, "num_requests", 3, raising=False)
    monkeypatch.setattr(PartnerRateThrottle, "duration", 60, raising=False)
    partner = PlantingPartnerFactory()
    first, second = partner_client(partner), partner_client(partner)
    codes = [c.get("/api/v1/partner/orders").status_code for c in (first, second, first, second)]
    other = partner_client(PlantingPartnerFactory()).get("/api/v1/partner/orders")
    assert codes == [200, 200, 200, 429]
    assert other.status_code == 200


def test_the_admin_shows_a_new_key_once_and_stores_only_its_hash(admin_client):
    partner = PlantingPartnerFactory()
    assert admin_client.get("/admin/partners/partnerapikey/add/").status_code == 200
    response = admin_client.post(
        "/admin/partners/partnerapikey/add/",
        {"partner": partner.id, "name": "field app"},
        follow=True,
    )
    assert response.status_code == 200
    [message] = [str(m) for m in response.context["messages"] if "copy it now" in str(m)]
    token = message.rsplit(" ", 1)[-1]
    key = PartnerApiKey.objects.get()
    assert partner_api_key_check(token) == key
    assert token not in str(PartnerApiKey.objects.values().get())
    page = admin_client.get(f"/admin/partners/partnerapikey/{key.pk}/change/")
    assert page.status_code == 200 and token not in page.content.decode()
