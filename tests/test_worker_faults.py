"""A SIGKILLed worker's scoring chunk is scored again within a minute, exactly once, on
RabbitMQ and on Redis (issue 16, finding 6; docs/failure-modes.md).

Each test starts real `celery -A config worker` processes on the test database, lets the
first one take a chunk that waits inside its transaction (CANOPY_TEST_SCORING_HOLD_FILE), kills
that worker's whole process group with SIGKILL, starts a second worker and waits for the
chunk to be done: on RabbitMQ the broker redelivers as soon as the dead worker's connection
closes; on Redis the message stays unacknowledged until the visibility timeout (70 minutes),
so the watchdog beat sends every minute (``scoring_watchdog_task``) sends it again. When only
the pool process running the chunk is killed (the OOM killer's usual choice), the worker
itself gives the message back (reject_on_worker_lost) on either broker.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import ChangedTransaction
from config.celery_app import app
from forest.models import GreenAction, ScoringChunk, ScoringRun
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.forest.helpers import assert_drops_match_actions, assert_ledger_consistent

logger = logging.getLogger(__name__)
pytestmark = [pytest.mark.broker, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parent.parent
# RabbitMQ runs on the development and CI machines; a vhost of one's own keeps queues apart.
AMQP_URL = os.environ.get("CANOPY_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
_broker = os.environ.get("CELERY_BROKER_URL", "")
REDIS_URL = os.environ.get(
    "CANOPY_TEST_REDIS_URL",
    _broker if _broker.startswith("redis://") else "redis://127.0.0.1:6379/0",
)
REDELIVERED_WITHIN = 60  # seconds from the SIGKILL to the chunk being done


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`celery -A config worker` in its own process group, on the test database."""

    def __init__(self, broker_url: str, name: str, log_dir: Path, *, hold_file: str = ""):
        self.log = log_dir / f"{name}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": broker_url,
            "CANOPY_TEST_TASKS_EAGER": "0",
            "CANOPY_TEST_SCORING_HOLD_FILE": hold_file,
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork"]
        command += ["--concurrency=1", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
        command += [f"--hostname={name}@%h"]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log.read_text(errors="replace"):
                return
            assert self.proc.poll() is None, self.log.read_text(errors="replace")
            time.sleep(0.2)
        raise AssertionError(f"worker not ready: {self.log.read_text(errors='replace')}")

    def kill(self) -> None:
        """SIGKILL the main process and its pool children at once, as the OOM killer or a
        lost container would: no warm shutdown, no ack, no requeue by the worker itself."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def kill_pool_child(self) -> None:
        """SIGKILL only the pool process (the one running the task); the main process lives."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        (child,) = [int(pid) for pid in children.split()]
        os.kill(child, signal.SIGKILL)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def _broker_empty(broker_url: str) -> None:
    """Leave no message of ours behind (a killed worker's unacknowledged one included)."""
    with app.connection_for_write(broker_url) as conn:
        channel = conn.default_channel
        channel.queue_declare("celery", passive=False, durable=True, auto_delete=False)
        channel.queue_purge("celery")
        if broker_url.startswith("redis://"):
            client = channel.client
            client.delete(channel.unacked_key, channel.unacked_index_key)


def _send(broker_url: str, task: str, *args) -> None:
    with app.connection_for_write(broker_url) as conn:
        app.send_task(task, args=list(args), connection=conn)


def _chunk_locked(chunk_id: int) -> bool:
    try:
        with transaction.atomic():
            list(ScoringChunk.objects.select_for_update(nowait=True).filter(pk=chunk_id))
    except DatabaseError:
        return True
    return False


def _wait(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def workers(transactional_db, catalogue, tmp_path):
    app.conf.task_always_eager = False
    started: list[Worker] = []

    def start(broker_url: str, name: str, **kwargs) -> Worker:
        worker = Worker(broker_url, name, tmp_path, **kwargs)
        started.append(worker)
        worker.wait_ready()
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
        app.conf.task_always_eager = True


def _given_three_users_who_travel_by_train_and_tram() -> int:
    for _ in range(3):
        feed = LinkedFeedFactory()
        TransactionFactory(feed=feed, merchant_name="NS", amount=Decimal("-12.40"))
        TransactionFactory(feed=feed, merchant_name="GVB", amount=Decimal("-3.20"))
    return 6


def _kill_mid_chunk_then_redo(
    workers, broker_url: str, hold: Path, *, sweep: bool = False, child_only: bool = False
) -> float:
    """Returns the seconds from the SIGKILL until the chunk was done."""
    expected_actions = _given_three_users_who_travel_by_train_and_tram()
    _broker_empty(broker_url)
    hold.touch()
    first = workers(broker_url, "doomed", hold_file=str(hold))

    _send(broker_url, "forest.tasks.nightly_scoring_task")
    _wait(lambda: ScoringChunk.objects.filter(started_at__isnull=False).exists(), timeout=60,
          what="the first worker to take the chunk")  # fmt: skip
    chunk = ScoringChunk.objects.get()
    _wait(lambda: _chunk_locked(chunk.id), timeout=30, what="the chunk's row lock")
    assert ChangedTransaction.objects.count() == expected_actions  # claimed, not committed

    killed_at = time.monotonic()
    if child_only:
        first.kill_pool_child()
        hold.unlink()  # its next pool process scores the chunk straight away
    else:
        first.kill()
        workers(broker_url, "successor")
    if sweep:
        # What beat does every minute; the watchdog takes a chunk as abandoned once its start
        # is SCORING_CHUNK_ABANDONED_AFTER_SECONDS old and its row lock has gone.
        chunk.refresh_from_db()
        assert chunk.started_at is not None
        old_enough = chunk.started_at.timestamp() + settings.SCORING_CHUNK_ABANDONED_AFTER_SECONDS
        time.sleep(max(0.0, old_enough - timezone.now().timestamp() + 0.5))
        _send(broker_url, "forest.tasks.scoring_watchdog_task")
    _wait(
        lambda: ScoringChunk.objects.filter(pk=chunk.id, status="done").exists(),
        timeout=REDELIVERED_WITHIN + 30,
        what="the chunk to be scored again",
    )
    seconds = time.monotonic() - killed_at
    logger.warning("%s: chunk done %.1f s after SIGKILL", broker_url.split(":")[0], seconds)

    # exact: every transaction scored once, balances equal their ledger, nothing left queued
    _wait(lambda: ScoringRun.objects.filter(status="done").exists(), timeout=10, what="run")
    assert GreenAction.objects.count() == expected_actions
    assert not GreenAction.objects.values("transaction_id").annotate(n=Count("id")).filter(n__gt=1)
    assert not ChangedTransaction.objects.exists()
    assert_ledger_consistent()
    assert_drops_match_actions()
    chunk.refresh_from_db()
    assert chunk.attempts == 1 and chunk.green_actions == expected_actions
    _broker_empty(broker_url)
    return seconds


def test_rabbitmq_redelivers_a_killed_workers_chunk_within_a_minute(workers, tmp_path):
    seconds = _kill_mid_chunk_then_redo(workers, AMQP_URL, tmp_path / "hold")
    assert seconds < REDELIVERED_WITHIN


def test_on_redis_the_watchdog_resends_a_killed_workers_chunk_within_a_minute(workers, tmp_path):
    seconds = _kill_mid_chunk_then_redo(workers, REDIS_URL, tmp_path / "hold", sweep=True)
    assert seconds < REDELIVERED_WITHIN


@pytest.mark.parametrize("broker", ["rabbitmq", "redis"])
def test_a_killed_pool_process_gives_its_chunk_back_to_the_broker(workers, tmp_path, broker):
    url = AMQP_URL if broker == "rabbitmq" else REDIS_URL
    seconds = _kill_mid_chunk_then_redo(workers, url, tmp_path / "hold", child_only=True)
    assert seconds < REDELIVERED_WITHIN
