"""The demo brand forest and the nightly planting schedule."""

from __future__ import annotations

import pytest

from catalogue.integrations.geo import point_in_geojson
from catalogue.models import BrandForest, PlantingPartner
from core.schedules import DEFAULT_SCHEDULES
from partners.demo import seed_demo_forests
from partners.models import ForestBudgetEntry, PartnerApiKey
from partners.services.api_keys import partner_api_key_check
from partners.services.planting_orders import forest_budget_available
from tests.partners.factories import SponsorFactory

pytestmark = pytest.mark.django_db


def test_the_demo_forest_is_created_once_with_area_partner_species_budget_and_capacity():
    sponsor = SponsorFactory(slug="groene-winkel", name="Groene Winkel")

    first = list(seed_demo_forests(sponsor=sponsor))
    second = list(seed_demo_forests(sponsor=sponsor))

    forest = BrandForest.objects.get(sponsor=sponsor)
    assert point_in_geojson(52.18, 5.76, forest.area)  # on the Veluwe
    assert forest.planting_partner.kind == PlantingPartner.Kind.SANDBOX
    assert set(forest.species.values_list("code", flat=True)) == {
        "hazelaar", "ruwe-berk", "zwarte-els", "zomereik",
    }  # fmt: skip
    assert forest.capacity == 1_000
    assert forest_budget_available(forest.id) == 500
    assert ForestBudgetEntry.objects.count() == 1
    assert PlantingPartner.objects.count() == PartnerApiKey.objects.count() == 1
    token = next(line for line in first if "shown once" in line).rsplit(" ", 1)[-1]
    assert partner_api_key_check(token) is not None
    assert not any("shown once" in line for line in second)


def test_the_planting_batch_runs_nightly_after_the_scoring():
    from importlib import import_module

    task, cron, _ = DEFAULT_SCHEDULES["partners: submit planting orders"]
    scoring = DEFAULT_SCHEDULES["forest: nightly scoring"][1]
    module, name = task.rsplit(".", 1)
    assert getattr(import_module(module), name).name == task
    assert int(cron["hour"]) > int(scoring["hour"])
