"""The home screen is never stale: what a request changes shows on the next home request.

The home screen reads outside a transaction, with compiled queries and a cached user
(issue 13); these tests hold that a collect, a new tree and a deactivation are seen at once,
through a real token as the app sends it.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from forest.models import EnergyDrop
from tests.accounts.factories import DEFAULT_PASSWORD, LinkedFeedFactory, TransactionFactory
from tests.forest.helpers import assert_ledger_consistent, score_all

pytestmark = pytest.mark.django_db


def _app(user) -> APIClient:
    tokens = APIClient().post(
        "/api/v1/auth/token", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert tokens.status_code == 200, tokens.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    return client


@pytest.fixture
def app(user) -> APIClient:
    return _app(user)


def test_a_collect_shows_on_the_next_home_request(user):
    feed = LinkedFeedFactory(user=user)
    TransactionFactory(feed=feed, merchant_name="NS", amount=Decimal("-12.40"))
    score_all()
    drop = EnergyDrop.objects.get(user=user)
    with time_machine.travel(drop.ripe_at + timedelta(minutes=1)):
        app = _app(user)  # a token of that moment: access tokens last 15 minutes
        before = app.get("/api/v1/forest").json()
        assert before["balance_grams"] == 0
        assert [(d["id"], d["state"]) for d in before["drops"]] == [(drop.id, "ripe")]
        assert before["uncollected_grams"] == drop.grams

        collected = app.post(f"/api/v1/drops/{drop.id}/collect")
        assert collected.status_code == 200, collected.content

        after = app.get("/api/v1/forest").json()
    assert after["balance_grams"] == drop.grams
    assert after["uncollected_grams"] == 0
    assert after["drops"] == []
    assert after["level"]["energy_grams"] == before["level"]["energy_grams"]
    assert_ledger_consistent()


def test_the_home_drops_keep_their_shape(app, user):
    feed = LinkedFeedFactory(user=user)
    TransactionFactory(feed=feed, merchant_name="GVB", amount=Decimal("-3.20"))
    score_all()
    drop = EnergyDrop.objects.get(user=user)
    body = app.get("/api/v1/forest").json()
    assert body["drops"] == [
        {
            "id": drop.id,
            "action_type": drop.action_type,
            "grams": drop.remaining,
            "state": "ripening",
            "ripe_at": drop.ripe_at.isoformat().replace("+00:00", "Z"),
            "expires_at": drop.expires_at.isoformat().replace("+00:00", "Z"),
        }
    ]


def test_a_new_tree_shows_on_the_next_home_request(app):
    from tests.forest.tree_factories import BrandForestFactory

    forest = BrandForestFactory()
    species = forest.species.first()
    assert app.get("/api/v1/forest").json()["tree"] is None
    started = app.post("/api/v1/trees", {"species": species.id, "forest": forest.id}, format="json")
    assert started.status_code == 201, started.content
    tree = app.get("/api/v1/forest").json()["tree"]
    assert tree["id"] == started.json()["id"]
    assert tree["phase"] == "growing"


def test_a_deactivated_user_gets_no_home_screen(app, user):
    assert app.get("/api/v1/forest").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert app.get("/api/v1/forest").status_code == 401
