"""Orders go to the partner only in their species' planting months."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from partners.models import PlantingOrder
from partners.services.planting_orders import planting_order_reserve, planting_orders_submit
from partners.tasks import planting_orders_submit_all_task
from tests.forest.tree_factories import (
    BrandForestFactory,
    PlantingPartnerFactory,
    SpeciesFactory,
    TreeFactory,
)

pytestmark = pytest.mark.django_db


def order_for(species, partner) -> PlantingOrder:
    forest = BrandForestFactory(species=[species], planting_partner=partner)
    tree = TreeFactory(forest=forest, species=species, status="matured", matured_at=timezone.now())
    return planting_order_reserve(tree=tree, forest_id=forest.id).order


def test_out_of_season_orders_stay_requested_with_a_reason_until_their_season():
    partner = PlantingPartnerFactory()
    winter = SpeciesFactory(name_en="Oak", planting_months=[11, 12, 1, 2, 3])
    all_year = SpeciesFactory(planting_months=[])
    held = order_for(winter, partner)
    sent = order_for(all_year, partner)

    summer = planting_orders_submit(partner.id, today=date(2026, 7, 1))

    assert summer.funded == 1
    held.refresh_from_db()
    sent.refresh_from_db()
    assert held.state == PlantingOrder.State.REQUESTED
    assert held.hold_reason == "Out of planting season: Oak is planted in Jan, Feb, Mar, Nov, Dec."
    assert held.submit_attempts == 0 and not held.provider_reference
    assert sent.state == PlantingOrder.State.FUNDED and sent.hold_reason == ""

    # a second run the same month writes nothing new; in November the order goes out
    planting_orders_submit(partner.id, today=date(2026, 7, 2))
    assert PlantingOrder.objects.get(pk=held.pk).updated_at == held.updated_at
    november = planting_orders_submit(partner.id, today=date(2026, 11, 3))
    held.refresh_from_db()
    assert november.funded == 1
    assert held.state == PlantingOrder.State.FUNDED and held.hold_reason == ""


def test_out_of_season_orders_do_not_hold_up_a_batch():
    partner = PlantingPartnerFactory()
    winter = SpeciesFactory(planting_months=[12])
    spring = SpeciesFactory(planting_months=[4, 5])
    for _ in range(3):
        order_for(winter, partner)
    in_season = order_for(spring, partner)

    result = planting_orders_submit(partner.id, batch_size=2, today=date(2026, 4, 10))

    assert result.funded == 1
    in_season.refresh_from_db()
    assert in_season.state == PlantingOrder.State.FUNDED
    assert PlantingOrder.objects.exclude(hold_reason="").count() == 3


def test_the_reason_is_shown_in_the_admin(admin_client):
    partner = PlantingPartnerFactory()
    order_for(SpeciesFactory(name_en="Willow", planting_months=[1]), partner)
    planting_orders_submit(partner.id, today=date(2026, 6, 1))
    page = admin_client.get("/admin/partners/plantingorder/")
    assert "Out of planting season: Willow" in page.content.decode()


def test_the_nightly_task_uses_todays_month(monkeypatch):
    partner = PlantingPartnerFactory()
    this_month = timezone.localdate().month
    other_month = this_month % 12 + 1
    held = order_for(SpeciesFactory(planting_months=[other_month]), partner)
    sent = order_for(SpeciesFactory(planting_months=[this_month]), partner)

    planting_orders_submit_all_task()

    held.refresh_from_db()
    sent.refresh_from_db()
    assert (held.state, sent.state) == ("requested", "funded")
    assert held.hold_reason.startswith("Out of planting season")
