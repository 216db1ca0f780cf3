"""The home screen's schema shows the tree in each of its states (issue 14), and the real
answer matches the schema the examples are drawn from."""

from __future__ import annotations

import pytest

from forest.api.serializers.trees import TreeSerializer
from tests.contract.conformance import api_schema, assert_conforms
from tests.forest.tree_factories import SpeciesFactory, TreeFactory

pytestmark = pytest.mark.django_db


def _home_examples() -> dict[str, dict]:
    operation = api_schema()["/api/v1/forest"]["GET"].definition.raw
    examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
    return {example["summary"]: example["value"] for example in examples.values()}


def test_the_schema_has_an_example_for_each_state_of_the_tree():
    examples = _home_examples()

    states = {
        name: (value["tree"]["phase"], value["tree"]["certificate_number"] is not None)
        for name, value in examples.items()
        if value["tree"] is not None
    }
    assert states == {
        "Growing": ("growing", False),
        "Matured": ("waiting_for_forest", False),
        "Awaiting planting": ("to_be_planted", False),
        "Planted": ("planted", False),
        "Certificate ready": ("planted", True),
    }
    assert any(value["tree"] is None for value in examples.values())


def test_each_example_tree_has_exactly_the_fields_the_app_gets():
    fields = set(TreeSerializer().fields)

    for name, value in _home_examples().items():
        if value["tree"] is not None:
            assert set(value["tree"]) == fields, name


def test_the_real_home_screen_matches_the_schema(user, user_client):
    TreeFactory(owner=user, species=SpeciesFactory(code="oak", energy_cost_grams=1_000))

    response = user_client.get("/api/v1/forest")

    assert response.json()["tree"]["artwork_key"] == "oak/stage-0"
    assert_conforms(response, "GET", "/api/v1/forest")
