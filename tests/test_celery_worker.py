"""A real Celery worker, on the real broker, changes the real database."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult

from accounts.models import Notification
from accounts.tasks import welcome_notification_task
from config.celery_app import app
from tests.accounts.factories import UserFactory

pytestmark = [pytest.mark.broker, pytest.mark.postgres]


@pytest.fixture
def real_worker(transactional_db):
    """A worker thread consuming from CELERY_BROKER_URL, with eager mode off."""
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as w:
            yield w
    finally:
        app.conf.task_always_eager = True


def wait_for(predicate, *, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_worker_runs_welcome_task_against_the_database(real_worker):
    user = UserFactory()
    assert not Notification.objects.filter(user=user).exists()

    result = welcome_notification_task.delay(user.id)
    assert not isinstance(result, EagerResult)  # sent to the broker, not run inline

    assert wait_for(lambda: Notification.objects.filter(user=user, kind="welcome").exists())
    # a redelivered task (same user) adds nothing
    welcome_notification_task.delay(user.id)
    welcome_notification_task.delay(user.id)
    time.sleep(1.0)
    assert Notification.objects.filter(user=user).count() == 1


def test_worker_scores_the_nightly_run_and_a_redelivered_chunk_changes_nothing(
    real_worker, catalogue
):
    from decimal import Decimal

    from forest.models import EnergyLedgerEntry, GreenAction, ScoringRun
    from forest.tasks import nightly_scoring_task, score_chunk_task
    from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
    from tests.forest.helpers import assert_ledger_consistent

    feed = LinkedFeedFactory()
    TransactionFactory(feed=feed, merchant_name="NS", amount=Decimal("-12.40"))
    TransactionFactory(feed=feed, merchant_name="GVB", amount=Decimal("-3.20"))

    nightly_scoring_task.delay()
    assert wait_for(lambda: ScoringRun.objects.filter(status="done").exists())
    assert GreenAction.objects.count() == 2
    entries = EnergyLedgerEntry.objects.count()

    chunk_id = ScoringRun.objects.get().chunks.get().id
    score_chunk_task.delay(chunk_id)  # a redelivery after a lost ack
    time.sleep(1.0)
    assert EnergyLedgerEntry.objects.count() == entries
    assert_ledger_consistent()
