"""Thin Celery tasks for the forest. Each is idempotent, so acks_late redelivery is safe."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from forest.models import ScoringChunk, ScoringRun
from forest.scoring.engine import score_chunk
from forest.scoring.jobs import (
    scoring_chunk_start,
    scoring_chunks_abandoned,
    scoring_chunks_lost,
    scoring_chunks_send,
    scoring_chunks_unsent,
    scoring_run_create,
    scoring_run_fail,
    scoring_run_finish_if_done,
    scoring_run_missed,
)
from forest.services.achievements import achievements_nightly
from forest.services.energy import drops_expire, ledger_audit
from forest.services.fraud import fraud_sweep
from forest.services.push_moments import (
    campaign_news_notify,
    drops_expiring_notify,
    ripe_energy_notify,
    steals_summary_notify,
)

logger = logging.getLogger(__name__)


@shared_task
def nightly_scoring_task(triggered_by: str = "beat") -> int:
    """Create tonight's run and fan its chunks out to the workers. If a send fails (the broker
    went away meanwhile), the chunks not sent stay pending and unsent, and the watchdog sends
    them once the broker is back (scoring_chunks_unsent)."""
    run = scoring_run_create(triggered_by=triggered_by)
    scoring_chunks_send(list(run.chunks.values_list("id", flat=True)), score_chunk_task.delay)
    return run.id


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def score_chunk_task(self, chunk_id: int) -> None:
    """Score one chunk; a second delivery of the same chunk finds it done and does nothing."""
    chunk = ScoringChunk.objects.filter(pk=chunk_id).only("run_id").first()
    if chunk is None or not scoring_chunk_start(chunk_id):
        return
    try:
        score_chunk(chunk_id, worker=self.request.hostname or "")
    except OperationalError:
        if self.request.retries >= self.max_retries:
            scoring_run_fail(chunk.run_id, f"chunk {chunk_id}: gave up after retries")
        raise  # retried by autoretry_for
    except Exception as exc:
        scoring_run_fail(chunk.run_id, f"chunk {chunk_id}: {exc}")
        raise
    scoring_run_finish_if_done(chunk.run_id)


@shared_task
def scoring_chunks_requeue_task() -> int:
    """Send again the chunks of running runs whose tasks were lost (see settings
    SCORING_CHUNK_LOST_AFTER_MINUTES); a chunk already done is a no-op for its worker."""
    lost = scoring_chunks_lost(
        older_than=timedelta(minutes=settings.SCORING_CHUNK_LOST_AFTER_MINUTES)
    )
    scoring_chunks_send(lost, score_chunk_task.delay)
    return len(lost)


@shared_task
def scoring_watchdog_task() -> int:
    """Every minute (docs/failure-modes.md): send again the chunks whose worker died mid-chunk
    (started, row no longer locked), send the chunks a fan-out never sent (the broker went
    away midway), and start the nightly run if beat's publish of it was lost to a broker
    outage. Returns how many chunks it sent (a caught-up run's included)."""
    abandoned = scoring_chunks_abandoned(
        started_before=timedelta(seconds=settings.SCORING_CHUNK_ABANDONED_AFTER_SECONDS)
    )
    scoring_chunks_send(abandoned, score_chunk_task.delay)
    if abandoned:
        logger.warning("scoring chunks %s lost their worker; sent again", abandoned)
    sent = len(abandoned)
    unsent = scoring_chunks_unsent(
        older_than=timedelta(seconds=settings.SCORING_CHUNK_UNSENT_AFTER_SECONDS),
        send=score_chunk_task.delay,
    )
    if unsent:
        logger.warning("scoring chunks %s were never sent to the broker; sent now", unsent)
    sent += len(unsent)
    missed = scoring_run_missed(
        grace=timedelta(minutes=settings.SCORING_CATCH_UP_AFTER_MINUTES),
        within=timedelta(hours=settings.SCORING_CATCH_UP_WITHIN_HOURS),
    )
    if missed is not None:
        logger.warning("the nightly scoring due at %s never started; starting it now", missed)
        run = ScoringRun.objects.get(pk=nightly_scoring_task("catch-up"))
        sent += run.chunks.count()
    return sent


@shared_task
def drops_expire_task() -> int:
    return drops_expire()


@shared_task
def ledger_audit_task() -> int:
    audit = ledger_audit()
    if audit.drift_count:
        logger.error(
            "energy ledger drift: %d balances or open drops differ from their entries",
            audit.drift_count,
        )
    return audit.drift_count


@shared_task
def fraud_sweep_task() -> int:
    """Raise or refresh fraud signals for operators to review; returns how many."""
    return sum(fraud_sweep().values())


@shared_task
def achievements_nightly_task() -> int:
    """Award badges and complete challenges (bonus paid once); returns how many of both."""
    result = achievements_nightly()
    return sum(result["badges"].values()) + sum(result["challenges"].values())


# The moments on the phone (docs/push.md): each dedupes per user and day, so a retried or
# redelivered run tells nobody twice.
@shared_task
def ripe_energy_notify_task() -> int:
    return ripe_energy_notify()


@shared_task
def drops_expiring_notify_task() -> int:
    return drops_expiring_notify()


@shared_task
def steals_summary_notify_task() -> int:
    return steals_summary_notify()


@shared_task
def campaign_news_notify_task() -> int:
    return campaign_news_notify()
