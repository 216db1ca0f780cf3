"""GET /api/v1/me/export: everything Canopy holds about the user, theirs only, streamed."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Notification, Transaction
from accounts.services.devices import push_device_register
from partners.services.planting_orders import planting_order_reserve, planting_order_transition
from tests.accounts.factories import (
    LinkedFeedFactory,
    PlaidItemFactory,
    TransactionFactory,
    UserFactory,
)
from tests.forest.helpers import score_all
from tests.forest.tree_factories import BrandForestFactory, TreeFactory, give_energy

pytestmark = pytest.mark.django_db

TOKEN = "access-production-1f0e1c9a-7b64-4d9e-9a55-0c3f2b7e8d41"
ITEM_ID = "Ed6bjNrDLJfGvZWwnkQlfxwoNz54B5C97ejBr"


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def _export(client) -> tuple[StreamingHttpResponse, dict, str]:
    response = client.get("/api/v1/me/export")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return response, json.loads(text), text


def _planted_tree(owner):
    forest = BrandForestFactory(name="Amsterdamse Bos", sponsor__name="Groene Bank")
    tree = TreeFactory(owner=owner, forest=forest, status="matured", matured_at=timezone.now())
    order = planting_order_reserve(tree=tree, forest_id=forest.id).order
    planting_order_transition(order_id=order.id, to_state="funded")
    planting_order_transition(order_id=order.id, to_state="planted")
    tree.refresh_from_db()
    return tree


def _bulk_transactions(feed, n: int) -> None:
    Transaction.objects.bulk_create(
        Transaction(
            user_id=feed.user_id,
            feed=feed,
            provider=feed.provider,
            provider_txn_id=f"bulk-{feed.pk}-{i}",
            status="booked",
            amount=Decimal("-2.50"),
            currency="EUR",
            booking_date=date(2026, 11, 1),
            merchant_name="NS Groep",
            description=f"NS reis {i}",
            raw={"i": i},
        )
        for i in range(n)
    )


def test_the_export_holds_the_users_data_and_nobody_elses():
    # given
    sanne = UserFactory(email="sanne@example.nl", first_name="Sanne", last_name="de Vries")
    feed = LinkedFeedFactory(user=sanne, account_ref="NL91ABNA0417164300")
    TransactionFactory(feed=feed, merchant_name="GVB")
    other = UserFactory(email="bram@example.org", first_name="Bram")
    other_feed = LinkedFeedFactory(user=other, account_ref="NL02RABO0123456789")
    TransactionFactory(feed=other_feed, merchant_name="Vinted Bram", description="Jas van Bram")
    Notification.objects.create(user=other, kind="system", title="Bram's inbox", dedupe_key="b")
    Notification.objects.create(user=sanne, kind="system", title="Sanne's inbox", dedupe_key="s")
    score_all()
    give_energy(sanne, 500)
    tree = _planted_tree(sanne)
    push_device_register(user_id=sanne.pk, token="sanne-phone-token", platform="ios")
    push_device_register(user_id=other.pk, token="bram-phone-token", platform="android")

    # when
    response, doc, text = _export(_client(sanne))

    # then
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"].startswith('attachment; filename="canopy-export-')
    assert response["Content-Type"].startswith("application/json")
    assert doc["profile"]["email"] == "sanne@example.nl"
    assert doc["profile"]["last_name"] == "de Vries"
    assert [f["account_ref"] for f in doc["feeds"]] == ["NL91ABNA0417164300"]
    assert [c["feed_id"] for c in doc["consents"]] == [feed.id]
    [txn] = doc["transactions"]
    assert txn["merchant_name"] == "GVB"
    assert txn["green_action"]["action_type"] == "public_transport"
    assert txn["green_action"]["grams"] > 0
    assert [a["transaction_id"] for a in doc["green_actions"]] == [txn["id"]]
    assert doc["drops"] and doc["ledger"]
    balances = {b["account"]: b["grams"] for b in doc["balances"]}
    assert balances["balance"] == 500
    assert [t["id"] for t in doc["trees"]] == [tree.id]
    assert [o["tree_id"] for o in doc["planting_orders"]] == [tree.id]
    [certificate] = doc["certificates"]
    assert certificate["number"] == tree.certificate.number
    assert certificate["verification_url"] == (
        f"http://testserver/certificates/{tree.certificate.number}"
    )
    # Her own inbox message, and the planting's (in her language).
    assert doc["notifications"][0]["title"] == "Sanne's inbox"
    assert [n["kind"] for n in doc["notifications"]] == ["system", "tree"]
    [device] = doc["push_devices"]
    assert device["token"] == "sanne-phone-token" and device["platform"] == "ios"
    # Nothing of Bram's.
    for foreign in (
        "bram@example.org",
        "Bram",
        "NL02RABO0123456789",
        "Vinted",
        "Jas van",
        "bram-phone",
    ):
        assert foreign not in text


def test_no_access_token_is_ever_exported():
    user = UserFactory()
    feed = LinkedFeedFactory(user=user, provider="plaid", account_ref="acc-ing-1")
    item = PlaidItemFactory(feed=feed, adapter="plaid", access_token=TOKEN, item_id=ITEM_ID)

    _, doc, text = _export(_client(user))

    assert doc["feeds"][0]["plaid_adapter"] == "plaid"
    for secret in (TOKEN, ITEM_ID, item.access_token_ciphertext, item.item_id_ciphertext):
        assert secret not in text
    assert "access_token" not in text and "ciphertext" not in text and "sha256" not in text


def test_team_data_is_exported_without_other_peoples_addresses():
    from tests.forest.tree_factories import TeamFactory, TeamInvitationFactory

    user = UserFactory()
    team = TeamFactory(created_by=user, name="De Fietsers")
    TeamInvitationFactory(team=team, invited_by=user, email="cas.geheim@example.org")

    _, doc, text = _export(_client(user))

    assert [m["team_name"] for m in doc["team_memberships"]] == ["De Fietsers"]
    assert [i["status"] for i in doc["team_invitations"]] == ["pending"]
    assert "cas.geheim" not in text


def test_friends_are_exported_by_id_without_their_names():
    from tests.accounts.friend_factories import befriend

    user, friend = UserFactory(), UserFactory(first_name="Cas", email="cas.vriend@example.org")
    befriend(user, friend)

    _, doc, text = _export(_client(user))

    (friendship,) = doc["friendships"]
    assert {friendship["user_low_id"], friendship["user_high_id"]} == {user.pk, friend.pk}
    assert doc["energy_transfers"] == []
    assert "cas.vriend" not in text and "Cas" not in text


def test_the_number_of_queries_does_not_grow_with_the_data(django_assert_max_num_queries):
    small = UserFactory()
    LinkedFeedFactory(user=small)
    big = UserFactory()
    for _ in range(3):
        _bulk_transactions(LinkedFeedFactory(user=big), 700)
    Notification.objects.bulk_create(
        Notification(user=big, kind="system", title=f"n{i}", dedupe_key=f"n{i}") for i in range(300)
    )
    for _ in range(5):
        give_energy(big, 10)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        _export(_client(small))
    with django_assert_max_num_queries(len(few.captured_queries)):
        _, doc, _ = _export(_client(big))

    assert len(doc["transactions"]) == 2100
    assert len(doc["notifications"]) == 300
    assert len(doc["ledger"]) == 5


def test_the_export_is_throttled_per_user():
    client = _client(UserFactory())
    for _ in range(5):
        _export(client)
    response = client.get("/api/v1/me/export")
    assert response.status_code == 429


def test_the_export_needs_a_login(api_client):
    assert api_client.get("/api/v1/me/export").status_code == 401


def test_the_schema_documents_both_operations(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    export = schema["paths"]["/api/v1/me/export"]["get"]
    assert "200" in export["responses"]
    assert export["responses"]["200"]["content"]["application/json"]["examples"]
    delete = schema["paths"]["/api/v1/me"]["delete"]
    assert delete["requestBody"]["content"]["application/json"]["examples"]
    assert {"204", "400"} <= set(delete["responses"])
