"""The home screen, collecting drops and the ledger statement, through the API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from forest.models import EnergyDrop, EnergyLedgerEntry
from forest.services.energy import drops_expire
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory, UserFactory
from tests.forest.helpers import (
    assert_ledger_consistent,
    balance,
    ripe_time,
    score_all,
    two_rides_scored,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(user):
    return two_rides_scored(user)


def test_home_shows_ripening_drops_balance_and_caps(user_client, scored):
    body = user_client.get("/api/v1/forest").json()
    assert body["balance_grams"] == 0
    assert body["uncollected_grams"] == 52 + 200  # the train at its daily cap
    assert {d["state"] for d in body["drops"]} == {"ripening"}
    assert {c["action_type"] for c in body["caps_today"]} >= {"rail", "public_transport"}
    assert body["tree"] is None


def test_home_runs_a_fixed_number_of_queries(user_client, user, django_assert_max_num_queries):
    feed = LinkedFeedFactory(user=user)
    TransactionFactory(feed=feed, merchant_name="GVB", amount=Decimal("-3.20"))
    score_all()
    # the savepoint pair, balances+level+streaks, drops, caps, the current tree
    with django_assert_max_num_queries(6):
        user_client.get("/api/v1/forest")
    for day in range(1, 30):
        TransactionFactory(
            feed=feed, merchant_name="NS", amount=Decimal("-5"),
            booking_date=timezone.localdate() - timedelta(days=day),
        )  # fmt: skip
        score_all()
    assert EnergyDrop.objects.filter(user=user).count() >= 30
    with django_assert_max_num_queries(6):
        response = user_client.get("/api/v1/forest")
    assert len(response.json()["drops"]) >= 30


def test_collect_a_ripe_drop_moves_grams_to_the_balance(user_client, user, scored):
    drop = EnergyDrop.objects.get(action_type="rail")
    with time_machine.travel(ripe_time()):
        response = user_client.post(f"/api/v1/drops/{drop.id}/collect")
        assert response.status_code == 200, response.content
        assert response.json() == {
            "collected_drops": 1, "collected_grams": 200, "balance_grams": 200
        }  # fmt: skip
        again = user_client.post(f"/api/v1/drops/{drop.id}/collect")
    assert again.status_code == 409
    assert again.json()["code"] == "collected"
    assert balance(user) == 200
    assert_ledger_consistent()


def test_collect_before_ripe_is_409(user_client, scored):
    drop = EnergyDrop.objects.first()
    response = user_client.post(f"/api/v1/drops/{drop.id}/collect")
    assert response.status_code == 409
    assert response.json()["code"] == "ripening"


def test_collect_after_expiry_is_409_and_changes_nothing(user_client, user, scored):
    drop = EnergyDrop.objects.first()
    entries = EnergyLedgerEntry.objects.count()
    with time_machine.travel(drop.expires_at + timedelta(minutes=1)):
        response = user_client.post(f"/api/v1/drops/{drop.id}/collect")
    assert response.status_code == 409
    assert response.json()["code"] == "expired"
    assert EnergyLedgerEntry.objects.count() == entries
    assert balance(user) == 0


def test_someone_elses_drop_and_an_unknown_drop_are_404(api_client, scored):
    drop = EnergyDrop.objects.first()
    api_client.force_authenticate(UserFactory())
    with time_machine.travel(ripe_time()):
        assert api_client.post(f"/api/v1/drops/{drop.id}/collect").status_code == 404
        assert api_client.post("/api/v1/drops/999999/collect").status_code == 404
    drop.refresh_from_db()
    assert drop.status == "open"


def test_collect_all_takes_every_ripe_drop_once(user_client, user, scored):
    with time_machine.travel(ripe_time()):
        first = user_client.post("/api/v1/drops/collect-all").json()
        second = user_client.post("/api/v1/drops/collect-all").json()
    assert (first["collected_drops"], first["collected_grams"]) == (2, 252)
    assert second["collected_grams"] == 0
    assert balance(user) == 252
    assert_ledger_consistent()


def test_expiry_task_expires_uncollected_drops_once(user, scored):
    drop = EnergyDrop.objects.first()
    later = drop.expires_at + timedelta(hours=1)
    assert drops_expire(now=later) == 2
    assert drops_expire(now=later) == 0
    assert balance(user, "drops") == 0
    assert EnergyLedgerEntry.objects.filter(kind="expire").count() == 2
    assert_ledger_consistent()


def test_ledger_statement_is_paginated_and_own(user_client, user, scored):
    other = UserFactory()
    feed = LinkedFeedFactory(user=other)
    TransactionFactory(feed=feed, merchant_name="GVB")
    score_all()
    body = user_client.get("/api/v1/ledger?page_size=1").json()
    assert body["count"] == 2
    assert len(body["results"]) == 1
    assert body["results"][0]["kind"] == "earn"


def test_ledger_entries_cannot_be_changed_or_deleted(scored):
    entry = EnergyLedgerEntry.objects.first()
    entry.grams = 1_000_000
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


@pytest.mark.postgres
def test_the_database_refuses_to_update_ledger_rows(scored):
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        EnergyLedgerEntry.objects.update(grams=0)
    assert not EnergyLedgerEntry.objects.filter(grams=0).exists()


def test_audit_finds_no_drift_and_reports_drift_it_sees(scored):
    from forest.models import EnergyBalance
    from forest.services.energy import ledger_audit

    assert ledger_audit().drift_count == 0
    EnergyBalance.objects.filter(account="drops").update(grams=1)  # a bug would do this
    audit = ledger_audit()
    assert audit.drift_count == 1
    assert audit.drifts[0]["cached"] == 1
