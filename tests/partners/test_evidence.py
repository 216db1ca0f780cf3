"""Planting evidence (sanitised photos, GPS inside the forest, no reused photos) and survival."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone
from PIL import Image

from forest.models import Tree
from partners.models import PlantingEvidence, PlantingOrder, SurvivalCheck
from partners.services.evidence import (
    EvidenceRejected,
    planting_evidence_add,
    survival_check_record,
)
from partners.services.planting_orders import planting_order_reserve, planting_order_transition
from tests.forest.tree_factories import BrandForestFactory, TreeFactory
from tests.partners.test_photos import camera_jpeg, encode, scene

pytestmark = pytest.mark.django_db

IN_THE_FOREST = {"lat": 52.315, "lon": 4.84}  # inside tree_factories.AMSTERDAMSE_BOS


def planted_order(**forest_kwargs) -> PlantingOrder:
    forest = BrandForestFactory(**forest_kwargs)
    tree = TreeFactory(forest=forest, status="matured", matured_at=timezone.now())
    order = planting_order_reserve(tree=tree, forest_id=forest.id).order
    planting_order_transition(order_id=order.id, to_state="funded")
    return planting_order_transition(order_id=order.id, to_state="planted")


def test_a_photo_taken_in_the_forest_verifies_the_order():
    order = planted_order()
    evidence = planting_evidence_add(order_id=order.id, data=camera_jpeg(seed=1, **IN_THE_FOREST))
    order.refresh_from_db()
    assert order.state == PlantingOrder.State.VERIFIED
    assert order.verified_at is not None
    assert evidence.latitude == pytest.approx(52.315, abs=1e-4)
    stored = evidence.photo.read()
    assert stored.startswith(b"\xff\xd8")
    assert b"Jan Jansen" not in stored  # metadata stripped
    assert b"SN-0042" not in stored


def test_a_photo_taken_outside_the_forest_is_rejected():
    order = planted_order()
    with pytest.raises(EvidenceRejected) as exc:
        planting_evidence_add(order_id=order.id, data=camera_jpeg(seed=1))  # central Amsterdam
    assert exc.value.code == "outside_forest"
    order.refresh_from_db()
    assert order.state == PlantingOrder.State.PLANTED
    assert not PlantingEvidence.objects.exists()


def test_a_photo_without_gps_is_rejected():
    order = planted_order()
    with pytest.raises(EvidenceRejected) as exc:
        planting_evidence_add(order_id=order.id, data=camera_jpeg(seed=1, lat=None, lon=None))
    assert exc.value.code == "no_gps"


def test_a_file_that_is_not_a_photo_is_rejected():
    order = planted_order()
    with pytest.raises(EvidenceRejected) as exc:
        planting_evidence_add(order_id=order.id, data=b"%PDF-1.4 not a photo")
    assert exc.value.code == "bad_photo"


def test_a_reused_photo_for_another_order_is_rejected_even_resized():
    first = planted_order()
    second = planted_order(planting_partner=first.partner)
    planting_evidence_add(
        order_id=first.id, data=camera_jpeg(seed=7, size=(1600, 1200), **IN_THE_FOREST)
    )
    from tests.partners.test_photos import camera_exif

    resized = scene(7, (1600, 1200)).resize((700, 525), Image.Resampling.BILINEAR)
    reused = encode(resized, quality=55, exif=camera_exif(**IN_THE_FOREST))
    with pytest.raises(EvidenceRejected) as exc:
        planting_evidence_add(order_id=second.id, data=reused)
    assert exc.value.code == "duplicate_photo"
    second.refresh_from_db()
    assert second.state == PlantingOrder.State.PLANTED
    # A different photo is fine.
    planting_evidence_add(order_id=second.id, data=camera_jpeg(seed=8, **IN_THE_FOREST))


def test_evidence_before_planting_is_rejected():
    forest = BrandForestFactory()
    tree = TreeFactory(forest=forest, status="matured", matured_at=timezone.now())
    order = planting_order_reserve(tree=tree, forest_id=forest.id).order
    with pytest.raises(EvidenceRejected) as exc:
        planting_evidence_add(order_id=order.id, data=camera_jpeg(seed=1, **IN_THE_FOREST))
    assert exc.value.code == "not_planted"


def test_survival_checks_once_a_year_and_show_on_the_tree(user_client, user):
    order = planted_order()
    Tree.objects.filter(pk=order.tree_id).update(owner=user)
    planting_evidence_add(order_id=order.id, data=camera_jpeg(seed=3, **IN_THE_FOREST))

    survival_check_record(order_id=order.id, year=1, alive=True, checked_on=date(2027, 11, 1))
    order.refresh_from_db()
    assert order.state == PlantingOrder.State.SURVIVAL_CHECKED
    with pytest.raises(EvidenceRejected) as exc:
        survival_check_record(order_id=order.id, year=1, alive=True, checked_on=date(2027, 11, 2))
    assert exc.value.code == "already_checked"
    tree = user_client.get("/api/v1/trees").json()[0]
    assert (tree["status"], tree["alive"]) == ("planted", True)

    survival_check_record(order_id=order.id, year=2, alive=False, checked_on=date(2028, 11, 1))
    assert SurvivalCheck.objects.filter(order=order).count() == 2
    tree = user_client.get("/api/v1/trees").json()[0]
    assert tree["alive"] is False


def test_impact_counts_are_survival_adjusted(user_client, user):
    alive, dead, unchecked = planted_order(), planted_order(), planted_order()
    for n, order in enumerate([alive, dead, unchecked]):
        Tree.objects.filter(pk=order.tree_id).update(owner=user)
        planting_evidence_add(order_id=order.id, data=camera_jpeg(seed=20 + n, **IN_THE_FOREST))
    survival_check_record(order_id=alive.id, year=1, alive=True, checked_on=date(2027, 11, 1))
    survival_check_record(order_id=dead.id, year=1, alive=True, checked_on=date(2027, 11, 1))
    survival_check_record(order_id=dead.id, year=2, alive=False, checked_on=date(2028, 11, 1))
    TreeFactory(owner=user)  # growing: not counted
    TreeFactory(owner=user, status="matured", matured_at=timezone.now())
    body = user_client.get("/api/v1/trees/impact").json()
    assert body == {"grown": 4, "planted": 3, "surviving": 2}


def test_survival_is_checked_only_after_verification():
    order = planted_order()
    with pytest.raises(EvidenceRejected) as exc:
        survival_check_record(order_id=order.id, year=1, alive=True, checked_on=date(2027, 1, 1))
    assert exc.value.code == "not_verified"
