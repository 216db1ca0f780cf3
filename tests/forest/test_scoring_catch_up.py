"""The broker going away and coming back loses no scheduled scoring (issue 16, Faults;
docs/failure-modes.md): beat publishes the nightly run once, and a publish that fails while
the broker is down is seen from the database by the watchdog once the broker is back."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from kombu.exceptions import OperationalError as BrokerUnavailable

from config.celery_app import app
from forest import tasks
from forest.models import GreenAction, ScoringRun
from forest.scoring.jobs import scoring_run_create, scoring_run_inline
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.forest.helpers import assert_ledger_consistent

pytestmark = pytest.mark.django_db

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _nightly_scoring_scheduled(minutes_ago: int) -> None:
    """Move the nightly scoring's schedule (as an operator would in the admin) to a time
    ``minutes_ago`` minutes before now, Amsterdam time."""
    at = timezone.now().astimezone(zoneinfo.ZoneInfo("Europe/Amsterdam")) - timedelta(
        minutes=minutes_ago
    )
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=str(at.minute),
        hour=str(at.hour),
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Europe/Amsterdam",
    )
    task = PeriodicTask.objects.get(task="forest.tasks.nightly_scoring_task")
    task.crontab = crontab
    task.save(update_fields=["crontab"])


def _queued_travel() -> None:
    feed = LinkedFeedFactory()
    TransactionFactory(feed=feed, merchant_name="NS", amount=Decimal("-12.40"))
    TransactionFactory(feed=feed, merchant_name="GVB", amount=Decimal("-3.20"))


def test_a_nightly_run_lost_to_a_broker_outage_is_started_once_the_broker_is_back():
    _queued_travel()
    _nightly_scoring_scheduled(minutes_ago=20)

    # At the scheduled time beat publishes the nightly task; the broker is down.
    app.conf.task_always_eager = False  # send_task would warn that eager mode ignores it
    try:
        with (
            app.connection_for_write(CLOSED_PORT_BROKER) as down,
            pytest.raises(BrokerUnavailable),
        ):
            app.send_task(
                "forest.tasks.nightly_scoring_task",
                connection=down,
                retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.1},
            )
    finally:
        app.conf.task_always_eager = True
    assert not ScoringRun.objects.exists()  # the night is lost as far as the broker knows

    # The broker is back: the watchdog's next minute starts the run, and scores it.
    assert tasks.scoring_watchdog_task.delay().get() == 1
    run = ScoringRun.objects.get()
    assert run.triggered_by == "catch-up"
    assert run.status == ScoringRun.Status.DONE
    assert GreenAction.objects.count() == 2
    assert_ledger_consistent()

    # once: the next minute finds the night's run
    assert tasks.scoring_watchdog_task() == 0
    assert ScoringRun.objects.count() == 1


def test_the_watchdog_leaves_a_night_alone_whose_run_started():
    _queued_travel()
    _nightly_scoring_scheduled(minutes_ago=20)
    tasks.nightly_scoring_task()  # beat's message arrived

    assert tasks.scoring_watchdog_task() == 0
    assert ScoringRun.objects.filter(triggered_by="beat").count() == 1
    assert not ScoringRun.objects.filter(triggered_by="catch-up").exists()


def test_the_watchdog_gives_beat_its_grace_and_ignores_manual_runs():
    _queued_travel()
    _nightly_scoring_scheduled(minutes_ago=3)  # beat's own run may still be on its way
    assert tasks.scoring_watchdog_task() == 0

    _nightly_scoring_scheduled(minutes_ago=20)
    scoring_run_inline(scoring_run_create(triggered_by="command"))  # an operator's run
    tasks.scoring_watchdog_task()  # still the scheduled night to catch up
    assert ScoringRun.objects.filter(triggered_by="catch-up").count() == 1


def test_a_disabled_nightly_schedule_is_not_caught_up():
    _queued_travel()
    _nightly_scoring_scheduled(minutes_ago=20)
    PeriodicTask.objects.filter(task="forest.tasks.nightly_scoring_task").update(enabled=False)
    assert tasks.scoring_watchdog_task() == 0
    assert not ScoringRun.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_watchdog_resends_a_started_chunk_only_when_no_worker_holds_its_lock(monkeypatch):
    import threading

    from django.db import connection, transaction

    from forest.models import ScoringChunk

    _queued_travel()
    chunk = scoring_run_create(triggered_by="beat").chunks.get()
    ScoringChunk.objects.filter(pk=chunk.pk).update(
        started_at=timezone.now() - timedelta(minutes=1)
    )
    sent: list[int] = []
    monkeypatch.setattr(tasks.score_chunk_task, "delay", sent.append)
    locked, release = threading.Event(), threading.Event()

    def live_worker():  # holds the chunk's row lock, as score_chunk does while it scores
        try:
            with transaction.atomic():
                ScoringChunk.objects.select_for_update().get(pk=chunk.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    worker = threading.Thread(target=live_worker)
    worker.start()
    try:
        assert locked.wait(30)
        assert tasks.scoring_watchdog_task() == 0  # its worker is alive: left alone
    finally:
        release.set()
        worker.join(30)
    assert tasks.scoring_watchdog_task() == 1  # the lock went with the worker: resent
    assert tasks.scoring_watchdog_task() == 0  # once
    assert sent == [chunk.pk]


def _three_chunk_night(monkeypatch) -> None:
    """Three users' transactions queued, and runs cut into a chunk per user."""
    for _ in range(3):
        _queued_travel()
    monkeypatch.setattr(
        tasks, "scoring_run_create", lambda **kwargs: scoring_run_create(target=1, **kwargs)
    )


def _run_started_minutes_ago(minutes: int) -> None:
    ScoringRun.objects.update(started_at=timezone.now() - timedelta(minutes=minutes))


def test_chunks_a_fan_out_never_sent_are_sent_by_the_watchdog_once_the_broker_is_back(
    monkeypatch,
):
    # given a night whose fan-out loses the broker after its first chunk
    _three_chunk_night(monkeypatch)
    sent: list[int] = []

    def send_until_the_broker_goes(chunk_id: int) -> None:
        if sent:
            raise BrokerUnavailable("connection refused")
        sent.append(chunk_id)

    monkeypatch.setattr(tasks.score_chunk_task, "delay", send_until_the_broker_goes)
    with pytest.raises(BrokerUnavailable):
        tasks.nightly_scoring_task()
    chunks = list(ScoringRun.objects.get().chunks.order_by("id"))
    assert len(chunks) == 3
    assert [chunk.sent_at is not None for chunk in chunks] == [True, False, False]

    # when the broker is back, the watchdog leaves them while a fan-out may still be under way
    monkeypatch.setattr(tasks.score_chunk_task, "delay", sent.append)
    assert tasks.scoring_watchdog_task() == 0
    # then sends the two that never left, once
    _run_started_minutes_ago(3)
    assert tasks.scoring_watchdog_task() == 2
    assert sent == [chunk.id for chunk in chunks]
    assert tasks.scoring_watchdog_task() == 0


def test_a_whole_fan_out_leaves_the_watchdog_nothing_to_send(monkeypatch):
    _three_chunk_night(monkeypatch)
    sent: list[int] = []
    monkeypatch.setattr(tasks.score_chunk_task, "delay", sent.append)
    tasks.nightly_scoring_task()
    assert len(sent) == 3
    _run_started_minutes_ago(3)
    assert tasks.scoring_watchdog_task() == 0
    assert len(sent) == 3
