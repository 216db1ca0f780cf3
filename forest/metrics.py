"""The game's Prometheus metrics (docs/observability.md).

Counters are moved where the work happens, once per set-based step, never per transaction:
a finished scoring run adds its chunks' totals (``scoring_run_finish_if_done`` finishes a
run exactly once, so a redelivered chunk counts nothing twice), an expiry batch adds how many
drops and grams it expired. They count from the process's start (Prometheus' ``increase()``
handles restarts); with PROMETHEUS_MULTIPROC_DIR set, every worker process's counts are summed.

``ForestCollector`` is read at scrape time, from the database, in two queries: how the
scoring runs stand (the oldest still running, the last success and failure) and the last
ledger audit's drift. It is registered by the metrics view, not globally.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily, Metric

from forest.models import LedgerAudit, ScoringRun

SCORING_TRANSACTIONS = Counter(
    "canopy_scoring_transactions",
    "Transactions scored by finished scoring runs.",
)
SCORING_GRAMS = Counter(
    "canopy_scoring_grams_awarded",
    "Grams of green energy awarded by finished scoring runs.",
)
SCORING_RUNS = Counter(
    "canopy_scoring_runs",
    "Scoring runs that ended, by outcome (done, failed).",
    ["outcome"],
)
DROPS_EXPIRED = Counter("canopy_drops_expired", "Energy drops expired uncollected.")
DROPS_EXPIRED_GRAMS = Counter(
    "canopy_drops_expired_grams", "Grams left in energy drops when they expired."
)


def scoring_run_counted(*, outcome: str, transactions: int = 0, grams: int = 0) -> None:
    """Count one ended run, once its transaction commits (a rolled-back finish counts nothing)."""

    def count() -> None:
        SCORING_RUNS.labels(outcome=outcome).inc()
        if transactions:
            SCORING_TRANSACTIONS.inc(transactions)
        if grams:
            SCORING_GRAMS.inc(grams)

    transaction.on_commit(count)


def drops_expired_counted(*, drops: int, grams: int) -> None:
    def count() -> None:
        DROPS_EXPIRED.inc(drops)
        DROPS_EXPIRED_GRAMS.inc(grams)

    if drops:
        transaction.on_commit(count)


def _timestamp(value) -> float:
    return value.timestamp() if value else 0.0


class ForestCollector:
    """Scoring and ledger health, read from the database at scrape time."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        runs = ScoringRun.objects.aggregate(
            oldest_running=Min("started_at", filter=Q(status=ScoringRun.Status.RUNNING)),
            last_done=Max("finished_at", filter=Q(status=ScoringRun.Status.DONE)),
            last_failed=Max("finished_at", filter=Q(status=ScoringRun.Status.FAILED)),
        )
        oldest = runs["oldest_running"]
        yield GaugeMetricFamily(
            "canopy_scoring_run_running_seconds",
            "How long the oldest scoring run still running has run (0: none running).",
            value=(now - oldest).total_seconds() if oldest else 0.0,
        )
        yield GaugeMetricFamily(
            "canopy_scoring_last_success_timestamp_seconds",
            "When the last scoring run finished done (Unix time; 0: never).",
            value=_timestamp(runs["last_done"]),
        )
        yield GaugeMetricFamily(
            "canopy_scoring_last_failure_timestamp_seconds",
            "When the last scoring run was marked failed (Unix time; 0: never).",
            value=_timestamp(runs["last_failed"]),
        )
        audit = LedgerAudit.objects.order_by("-checked_at").values("checked_at", "drift_count")
        last = audit.first()
        yield GaugeMetricFamily(
            "canopy_ledger_drift",
            "Balances and open drops that differ from their ledger entries at the last audit.",
            value=last["drift_count"] if last else 0,
        )
        yield GaugeMetricFamily(
            "canopy_ledger_audit_timestamp_seconds",
            "When the ledger was last audited (Unix time; 0: never).",
            value=_timestamp(last["checked_at"]) if last else 0.0,
        )
