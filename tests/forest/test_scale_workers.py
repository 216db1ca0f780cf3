"""Scoring spreads over several Celery workers on RabbitMQ (docs/scale.md, "Workers on many
hosts"): three worker processes with distinct node names consume one queue, each chunk records
the worker that scored it, and the night's figures are those of scoring in one process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Sum

from config.celery_app import app
from forest.models import EnergyLedgerEntry, GreenAction, ScoringChunk, ScoringRun
from forest.scoring.engine import score_chunk
from forest.scoring.jobs import scoring_run_create
from forest.tasks import score_chunk_task
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.conftest import RABBITMQ_URL
from tests.forest.helpers import assert_ledger_consistent

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]

ROOT = Path(__file__).resolve().parents[2]
NODES = ["score-1", "score-2", "score-3"]


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return (
        f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/"
        f"{s['NAME']}"
    )


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def workers(transactional_db, tmp_path):
    """Three `celery worker` processes on one fresh queue, each with its own node name, all
    consuming before the test sends anything."""
    queue = f"canopy-scale-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": RABBITMQ_URL,
    }
    procs, logs = [], []
    celery = [sys.executable, "-m", "celery", "-A", "config", "worker"]
    options = ["-Q", queue, "-P", "solo", "-c", "1", "--loglevel=INFO"]
    options += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    for node in NODES:
        log = tmp_path / f"{node}.log"
        logs.append(log)
        procs.append(
            subprocess.Popen(
                [*celery, "-n", f"{node}@%h", *options],
                cwd=ROOT,
                env=env,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
            )
        )
    try:
        ready = _wait(lambda: all("ready." in log.read_text() for log in logs), 60)
        assert ready, "\n".join(log.read_text()[-2000:] for log in logs)
        yield queue
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        with app.connection_for_write(RABBITMQ_URL) as conn:
            conn.default_channel.queue_delete(queue)


def test_a_night_is_scored_by_several_workers_with_the_figures_of_one_process(workers, catalogue):
    for n in range(6):
        feed = LinkedFeedFactory()
        TransactionFactory(feed=feed, merchant_name="NS", amount=Decimal("-12.40") - n)
        TransactionFactory(feed=feed, merchant_name="GVB", amount=Decimal("-3.20"))
        TransactionFactory(feed=feed, merchant_name="Shell", amount=Decimal("-55.00"))
    run = scoring_run_create(triggered_by="test", target=3)  # one chunk per user
    chunks = list(run.chunks.order_by("id").values_list("id", flat=True))
    assert len(chunks) == 6
    # What each chunk would award, scored here in one process and rolled back.
    expected = {cid: score_chunk(cid, dry_run=True).grams_awarded for cid in chunks}
    assert all(grams > 0 for grams in expected.values())

    app.conf.task_always_eager = False
    try:
        with app.connection_for_write(RABBITMQ_URL) as conn:
            for cid in chunks:
                score_chunk_task.apply_async((cid,), queue=workers, connection=conn)
    finally:
        app.conf.task_always_eager = True

    assert _wait(lambda: ScoringRun.objects.get(pk=run.pk).status == "done", 90)
    done = {c.id: c for c in ScoringChunk.objects.filter(run=run)}
    names = {c.worker for c in done.values()}
    assert names <= {f"{node}@{os.uname().nodename}" for node in NODES}
    assert len(names) > 1, names  # the night was spread over more than one worker
    assert {cid: done[cid].grams_awarded for cid in chunks} == expected
    assert all(c.status == "done" and c.attempts == 1 for c in done.values())
    assert GreenAction.objects.count() == 18  # every transaction of the six users classified
    earned = EnergyLedgerEntry.objects.filter(kind="earn").aggregate(g=Sum("grams"))["g"]
    assert earned == sum(expected.values())
    assert_ledger_consistent()
