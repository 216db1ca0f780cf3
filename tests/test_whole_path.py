"""The whole path on PostgreSQL: bank transactions to a verified tree with a certificate.

transactions -> import -> nightly scoring -> collect -> grow -> mature -> planting order ->
batch to the sandbox partner -> evidence through the partner API -> verified -> certificate PNG.
"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from PIL import Image, ImageStat

from accounts.services.importing import transactions_import
from forest.models import EnergyDrop
from partners.models import PlantingOrder
from partners.services.planting_orders import planting_orders_submit
from tests.accounts.factories import LinkedFeedFactory
from tests.accounts.feed_helpers import txn
from tests.forest.helpers import assert_ledger_consistent, balance, score_all
from tests.forest.tree_factories import BrandForestFactory, SpeciesFactory
from tests.partners.test_partner_api import partner_client, planted_form

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
COST = 150


def test_from_bank_transactions_to_a_verified_tree_and_its_certificate(user, user_client):
    # A sponsor's forest offers a (test-sized) small tree and has budget for it: one night's
    # rail energy, capped per day (docs/economy.md), grows it.
    species = SpeciesFactory(energy_cost_grams=COST, name_en="Hazel")
    forest = BrandForestFactory(species=[species], price_per_tree=Decimal("0.60"))

    # The bank feed brings two train rides and a fuel purchase.
    feed = LinkedFeedFactory(user=user, provider="plaid")
    today = timezone.localdate()
    transactions_import(
        feed=feed,
        items=iter(
            [
                txn("ns-1", booking_date=today, amount=Decimal("-12.40")),
                txn("ns-2", booking_date=today, amount=Decimal("-6.20")),
                txn(
                    "shell",
                    booking_date=today,
                    merchant_name="Shell",
                    mcc="5541",
                    amount=Decimal("-60.00"),
                ),
            ]
        ),
        source="pull",
        format="plaid",
    )

    # The nightly scoring turns them into a ripening drop.
    result = score_all()
    assert (result.transactions_scored, result.green_actions) == (3, 3)
    drop = EnergyDrop.objects.get(user=user)
    assert drop.action_type == "rail" and drop.grams > COST

    # Next morning the user collects it and plants the energy into a tree.
    with time_machine.travel(drop.ripe_at + timedelta(minutes=5)):
        collected = user_client.post("/api/v1/drops/collect-all").json()
    assert collected["collected_grams"] == drop.grams
    tree = user_client.post("/api/v1/trees", {"species": species.id, "forest": forest.id})
    assert tree.status_code == 201, tree.content
    tree_id = tree.json()["id"]
    grown = user_client.post(f"/api/v1/trees/{tree_id}/grow", {})
    assert grown.status_code == 200, grown.content
    assert balance(user) == drop.grams - COST
    assert balance(user, "tree") == COST

    # Maturity reserved the forest's budget and created a planting order.
    order = PlantingOrder.objects.get(tree_id=tree_id)
    assert order.state == "requested"

    # The nightly batch sends it to the (sandbox) planting partner, which accepts it.
    assert planting_orders_submit(forest.planting_partner_id).funded == 1
    order.refresh_from_db()
    assert order.state == "funded" and order.provider_reference

    # The partner reports planting with a geotagged photo from inside the forest.
    reported = partner_client(forest.planting_partner).post(
        f"/api/v1/partner/orders/{order.id}/planted", planted_form(), format="multipart"
    )
    assert reported.status_code == 201, reported.content
    order.refresh_from_db()
    assert order.state == "verified"

    # The user downloads the certificate: a real, non-blank PNG.
    png = user_client.get(f"/api/v1/trees/{tree_id}/certificate.png")
    assert png.status_code == 200
    image = Image.open(
        io.BytesIO(b"".join(png.streaming_content) if png.streaming else png.content)
    )
    assert image.format == "PNG"
    assert image.size == (1600, 1131)
    assert max(ImageStat.Stat(image.convert("L")).stddev) > 20
    assert_ledger_consistent()
