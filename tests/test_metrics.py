"""GET /metrics: not public (a bearer token or an allowed address), and what it counts:
requests, Celery task durations, scoring runs' transactions and grams, expired drops,
planting orders by state, scoring and ledger health."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from celery import shared_task
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from forest.models import EnergyDrop, LedgerAudit, ScoringRun
from forest.scoring.jobs import scoring_run_create, scoring_run_fail
from forest.services.energy import drops_expire
from partners.models import PlantingOrder
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.forest.helpers import score_all
from tests.partners.test_planting import make_order

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-0123456789-abcdefghijklmnop"
ROOT = Path(__file__).resolve().parent.parent


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }


@pytest.fixture
def metrics_token(settings):
    settings.CANOPY_METRICS_TOKEN = TOKEN
    settings.CANOPY_METRICS_ALLOWED_IPS = []


# --- access -------------------------------------------------------------------------------


def test_without_a_token_or_address_list_nobody_reads_the_metrics(client, settings):
    settings.CANOPY_METRICS_TOKEN = ""
    settings.CANOPY_METRICS_ALLOWED_IPS = []
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 403


def test_the_bearer_token_opens_the_metrics_and_a_wrong_one_is_a_401(client, metrics_token):
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    ok = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert ok.status_code == 200
    assert b"django_http_requests_total_by_method_total" in ok.content
    assert b"canopy_planting_orders" in ok.content


def test_an_allowed_address_reads_without_a_token_through_the_trusted_proxies(client, settings):
    settings.CANOPY_METRICS_TOKEN = ""
    settings.CANOPY_METRICS_ALLOWED_IPS = ["10.0.0.0/8", "192.0.2.7"]
    settings.CANOPY_TRUSTED_PROXIES = 1
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="192.0.2.7").status_code == 200
    # A client cannot claim an allowed address: only the proxy's last hop counts.
    spoofed = client.get("/metrics", HTTP_X_FORWARDED_FOR="10.0.0.1, 198.51.100.9")
    assert spoofed.status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="198.51.100.9").status_code == 403


def test_the_metrics_answer_only_get(client, metrics_token):
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


# --- what is counted -----------------------------------------------------------------------


def test_a_finished_scoring_run_adds_its_totals_once(
    client, metrics_token, django_capture_on_commit_callbacks
):
    feed = LinkedFeedFactory()
    TransactionFactory(feed=feed, merchant_name="GVB", amount=Decimal("-3.20"))
    TransactionFactory(feed=feed, merchant_name="NS", amount=Decimal("-12.40"))
    before = (
        sample("canopy_scoring_transactions_total"),
        sample("canopy_scoring_grams_awarded_total"),
        sample("canopy_scoring_runs_total", outcome="done"),
    )

    with django_capture_on_commit_callbacks(execute=True):
        total = score_all()
        score_all()  # nothing left in the outbox: a run of no chunks adds nothing but itself

    assert total.transactions_scored == 2 and total.grams_awarded > 0
    assert sample("canopy_scoring_transactions_total") - before[0] == 2
    assert sample("canopy_scoring_grams_awarded_total") - before[1] == total.grams_awarded
    assert sample("canopy_scoring_runs_total", outcome="done") - before[2] == 2
    metrics = scrape(client)
    assert metrics[("canopy_scoring_last_success_timestamp_seconds", ())] > 0
    assert metrics[("canopy_scoring_run_running_seconds", ())] == 0


def test_a_failed_run_is_counted_and_a_stuck_one_shows_its_age(
    client, metrics_token, django_capture_on_commit_callbacks
):
    failed_before = sample("canopy_scoring_runs_total", outcome="failed")
    failed = scoring_run_create(triggered_by="test")
    with django_capture_on_commit_callbacks(execute=True):
        assert scoring_run_fail(failed.id, "boom")
        assert not scoring_run_fail(failed.id, "again")  # counted once
    assert sample("canopy_scoring_runs_total", outcome="failed") - failed_before == 1

    stuck = scoring_run_create(triggered_by="test")
    ScoringRun.objects.filter(pk=stuck.pk).update(started_at=timezone.now() - timedelta(hours=3))
    metrics = scrape(client)
    assert metrics[("canopy_scoring_run_running_seconds", ())] >= 3 * 3600
    assert metrics[("canopy_scoring_last_failure_timestamp_seconds", ())] > 0


def test_expired_drops_are_counted_per_batch(
    user, metrics_token, django_capture_on_commit_callbacks
):
    feed = LinkedFeedFactory(user=user)
    TransactionFactory(feed=feed, merchant_name="GVB", amount=Decimal("-3.20"))
    TransactionFactory(feed=feed, merchant_name="NS", amount=Decimal("-12.40"))
    score_all()
    grams = sum(EnergyDrop.objects.values_list("remaining", flat=True))
    later = EnergyDrop.objects.order_by("-expires_at").first().expires_at + timedelta(hours=1)
    before = sample("canopy_drops_expired_total"), sample("canopy_drops_expired_grams_total")

    with django_capture_on_commit_callbacks(execute=True):
        assert drops_expire(now=later) == 2
        assert drops_expire(now=later) == 0

    assert sample("canopy_drops_expired_total") - before[0] == 2
    assert sample("canopy_drops_expired_grams_total") - before[1] == grams


def test_planting_orders_by_state_and_ledger_drift_are_read_at_scrape_time(
    client, metrics_token, django_assert_max_num_queries
):
    order = make_order(budget="5.00")
    make_order(budget="5.00")
    PlantingOrder.objects.filter(pk=order.pk).update(
        state=PlantingOrder.State.FUNDED, updated_at=timezone.now() - timedelta(days=2)
    )
    LedgerAudit.objects.create(balances_checked=10, drift_count=3)

    # Three reads (runs, last audit, orders by state) and the request's savepoint and release.
    with django_assert_max_num_queries(5):
        metrics = scrape(client)

    assert metrics[("canopy_planting_orders", (("state", "requested"),))] == 1
    assert metrics[("canopy_planting_orders", (("state", "funded"),))] == 1
    assert metrics[("canopy_planting_orders", (("state", "planted"),))] == 0
    assert metrics[("canopy_planting_order_oldest_seconds", (("state", "funded"),))] >= 2 * 86400
    assert metrics[("canopy_ledger_drift", ())] == 3


@pytest.mark.postgres
def test_the_order_gauges_read_an_index_not_the_orders_table(db):
    from django.db import connection, transaction

    from partners.metrics import orders_by_state

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # as on a table too big to scan
        plan = orders_by_state().explain()

    assert "Index Only Scan using partners_order_state_age" in plan


@shared_task(name="tests.metrics_probe")
def _probe_task(fail: bool = False) -> int:
    if fail:
        raise ValueError("probe")
    return 1


def test_celery_task_durations_are_observed_by_task_and_state():
    name = "canopy_celery_task_duration_seconds_count"
    ok_before = sample(name, task="tests.metrics_probe", state="SUCCESS")
    bad_before = sample(name, task="tests.metrics_probe", state="FAILURE")

    _probe_task.apply()
    _probe_task.apply(kwargs={"fail": True}, throw=False)  # as a worker runs it

    assert sample(name, task="tests.metrics_probe", state="SUCCESS") - ok_before == 1
    assert sample(name, task="tests.metrics_probe", state="FAILURE") - bad_before == 1


def test_requests_are_counted_by_django_prometheus(client, metrics_token):
    before = sample("django_http_responses_total_by_status_total", status="200")
    client.get("/healthz")
    assert sample("django_http_responses_total_by_status_total", status="200") - before == 1


def test_multiprocess_mode_sums_the_processes_written_to_the_directory(
    client, metrics_token, tmp_path, monkeypatch
):
    """Two processes (two gunicorn workers, say) count into PROMETHEUS_MULTIPROC_DIR; the
    /metrics view of any process serves their sum, and the scrape-time gauges after it."""
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    count = (
        "import django; django.setup();"
        "from forest.metrics import DROPS_EXPIRED; DROPS_EXPIRED.inc(3)"
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], cwd=ROOT, env=env, check=True, timeout=60)
    assert len(list(tmp_path.glob("counter_*.db"))) == 2

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    metrics = scrape(client)

    assert metrics[("canopy_drops_expired_total", ())] == 6
    assert ("canopy_planting_orders", (("state", "requested"),)) in metrics
