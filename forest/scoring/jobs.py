"""Splitting the nightly work into chunks of users that any number of workers can score."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from accounts.models import ChangedTransaction
from forest.metrics import scoring_run_counted
from forest.models import ScoringChunk, ScoringRun
from forest.scoring.engine import ChunkResult, score_chunk

# ~20k transactions per chunk keeps each chunk's transaction to a few seconds on PostgreSQL,
# far below the 25-minute soft time limit, while amortising the fixed per-chunk statements.
TARGET_TRANSACTIONS_PER_CHUNK = 20_000


def chunk_bounds(
    counts: list[tuple[int, int]], *, target: int = TARGET_TRANSACTIONS_PER_CHUNK
) -> list[tuple[int, int]]:
    """Group (user id, transactions) rows, sorted by user id, into id ranges of about ``target``."""
    bounds: list[tuple[int, int]] = []
    start = None
    running = 0
    for user_id, count in counts:
        if start is None:
            start = user_id
        running += count
        if running >= target:
            bounds.append((start, user_id))
            start, running = None, 0
    if start is not None:
        bounds.append((start, counts[-1][0]))
    return bounds


def scoring_run_create(
    *,
    triggered_by: str = "beat",
    since: date | None = None,
    only_user_id: int | None = None,
    target: int = TARGET_TRANSACTIONS_PER_CHUNK,
) -> ScoringRun:
    """A run with one chunk per range of users with transactions in the outbox (reading it)."""
    queued = ChangedTransaction.objects.all()
    if only_user_id:
        queued = queued.filter(user_id=only_user_id)
    counts = list(
        queued.order_by("user_id")
        .values("user_id")
        .annotate(n=Count("pk"))
        .values_list("user_id", "n")
    )
    with transaction.atomic():
        run = ScoringRun.objects.create(
            triggered_by=triggered_by, since=since, only_user_id=only_user_id
        )
        bounds = chunk_bounds(counts, target=target)
        ScoringChunk.objects.bulk_create(
            [ScoringChunk(run=run, user_id_from=lo, user_id_to=hi) for lo, hi in bounds]
        )
    return run


def scoring_run_finish_if_done(run_id: int) -> bool:
    """Mark the run done once no chunk is pending; True for the one call that did. That call
    adds the run's totals to the metrics (one aggregate over its chunks, not per transaction)."""
    if ScoringChunk.objects.filter(run_id=run_id, status=ScoringChunk.Status.PENDING).exists():
        return False
    finished = bool(
        ScoringRun.objects.filter(id=run_id, status=ScoringRun.Status.RUNNING).update(
            status=ScoringRun.Status.DONE, finished_at=timezone.now()
        )
    )
    if finished:
        totals = ScoringChunk.objects.filter(run_id=run_id).aggregate(
            transactions=Sum("transactions_scored"), grams=Sum("grams_awarded")
        )
        scoring_run_counted(
            outcome="done",
            transactions=totals["transactions"] or 0,
            grams=totals["grams"] or 0,
        )
    return finished


def scoring_run_fail(run_id: int, error: str) -> bool:
    """Mark a run failed with why, so it does not stay "running" for ever; True if it was."""
    failed = bool(
        ScoringRun.objects.filter(id=run_id, status=ScoringRun.Status.RUNNING).update(
            status=ScoringRun.Status.FAILED, finished_at=timezone.now(), error=error[:2000]
        )
    )
    if failed:
        scoring_run_counted(outcome="failed")
    return failed


def scoring_chunks_lost(*, older_than: timedelta) -> list[int]:
    """Pending chunks of running runs started more than ``older_than`` ago: their task was
    lost (a broker restart, a purge); scoring them again is safe, a done chunk is a no-op."""
    cutoff = timezone.now() - older_than
    return list(
        ScoringChunk.objects.filter(
            status=ScoringChunk.Status.PENDING,
            run__status=ScoringRun.Status.RUNNING,
            run__started_at__lt=cutoff,
        )
        .order_by("id")
        .values_list("id", flat=True)
    )


def scoring_chunks_sent(chunk_ids: list[int]) -> None:
    """Note that these chunks' tasks are in the broker (one UPDATE for all of them)."""
    if chunk_ids:
        ScoringChunk.objects.filter(pk__in=chunk_ids).update(sent_at=timezone.now())


def scoring_chunks_unsent(*, older_than: timedelta, send: Callable[[int], object]) -> list[int]:
    """``send`` the pending chunks of runs started more than ``older_than`` ago that were
    neither sent nor started: the fan-out stopped before their message left (the broker went
    away midway). They are sent under their row locks and marked sent in the same
    transaction, so two watchdogs at the same moment do not both send one; if a send fails, the
    marks roll back and the next minute tries again (a chunk sent twice is a no-op the second
    time). Returns the ids sent."""
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        ids = _pending_chunks_locked(
            sent_at__isnull=True, started_at__isnull=True, run__started_at__lt=cutoff
        )
        for chunk_id in ids:
            send(chunk_id)
        scoring_chunks_sent(ids)
    return ids


def scoring_chunks_send(chunk_ids: list[int], send: Callable[[int], object]) -> None:
    """The night's fan-out: ``send`` each chunk, noting them sent a hundred at a time and when
    a send fails, so the watchdog sends only what never left."""
    sent: list[int] = []
    try:
        for chunk_id in chunk_ids:
            send(chunk_id)
            sent.append(chunk_id)
            if len(sent) == 100:
                scoring_chunks_sent(sent)
                sent = []
    finally:
        scoring_chunks_sent(sent)


def scoring_chunk_start(chunk_id: int) -> bool:
    """Note that a worker took the chunk (committed at once, outside the scoring transaction);
    False if it is done already, so a redelivery returns without waiting for its lock."""
    return bool(
        ScoringChunk.objects.filter(pk=chunk_id, status=ScoringChunk.Status.PENDING).update(
            started_at=timezone.now()
        )
    )


def _pending_chunks_locked(**conditions) -> list[int]:
    """The ids of the pending chunks of running runs that meet ``conditions``, row-locked for
    the caller's transaction; a chunk another transaction holds (its worker) is skipped."""
    return list(
        # of=self: the chunk rows only, not their run's (lock order, core/locks.py)
        ScoringChunk.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            status=ScoringChunk.Status.PENDING, run__status=ScoringRun.Status.RUNNING, **conditions
        )
        .order_by("id")
        .values_list("id", flat=True)
    )


def scoring_chunks_abandoned(*, started_before: timedelta) -> list[int]:
    """Pending chunks that a worker took (``started_at``) more than ``started_before`` ago and
    whose row is no longer locked: a live worker holds its chunk's row lock until it commits,
    and the database drops a killed worker's lock with its connection, so these lost their
    worker. Each is handed out once (``started_at`` cleared under the lock): two sweepers at
    the same moment do not both resend it. On SQLite, which has no row locks, every started
    pending chunk counts; resending one that is still running only makes a no-op delivery."""
    cutoff = timezone.now() - started_before
    with transaction.atomic():
        ids = _pending_chunks_locked(started_at__lt=cutoff)
        if ids:
            ScoringChunk.objects.filter(pk__in=ids).update(started_at=None)
    return ids


NIGHTLY_TASK = "forest.tasks.nightly_scoring_task"
SCHEDULED_TRIGGERS = ("beat", "catch-up")


def scoring_run_missed(
    *, grace: timedelta, within: timedelta, now: datetime | None = None
) -> datetime | None:
    """The nightly run's last scheduled time if no scheduled run has started since (and it is
    more than ``grace`` but less than ``within`` ago), else None.

    Beat publishes the nightly task once, at its time; if the broker is down then, the
    publish fails and beat does not try again until the next night. The schedule (operators
    edit it in the admin) and the runs are both in the database, so a missed night is seen
    from there once the broker is back (``forest.tasks.scoring_watchdog_task``).
    """
    # lazy: django-celery-beat's models are the schedule's store, read only here.
    from django_celery_beat.models import PeriodicTask

    now = now or timezone.now()
    task = (
        PeriodicTask.objects.filter(task=NIGHTLY_TASK, enabled=True, crontab__isnull=False)
        .select_related("crontab")
        .order_by("id")
        .first()
    )
    if task is None or task.crontab is None:
        return None
    last_run = (
        ScoringRun.objects.filter(triggered_by__in=SCHEDULED_TRIGGERS)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    reference = max(last_run or now - within, now - within)
    schedule = task.crontab.schedule
    schedule.nowfun = lambda: now.astimezone(schedule.tz)
    due_at = now + schedule.remaining_estimate(reference)
    if due_at <= now - grace:
        return due_at
    return None


def scoring_run_inline(
    run: ScoringRun,
    *,
    dry_run: bool = False,
    progress: Callable[[ScoringChunk, ChunkResult | None], None] | None = None,
) -> ChunkResult:
    """Score every chunk of ``run`` in this process (the management command and `make run`)."""
    total = ChunkResult()
    for chunk in ScoringChunk.objects.filter(run=run).order_by("user_id_from"):
        try:
            result = score_chunk(chunk.id, dry_run=dry_run)
        except Exception as exc:
            if not dry_run:
                scoring_run_fail(run.id, f"chunk {chunk.id}: {exc}")
            raise
        if result is not None:
            total.transactions_scored += result.transactions_scored
            total.green_actions += result.green_actions
            total.grams_awarded += result.grams_awarded
            total.reversals += result.reversals
            total.skipped += result.skipped
            total.skipped_examples.extend(result.skipped_examples)
            total.awards.extend(result.awards)
        if progress:
            progress(chunk, result)
    if dry_run:
        ScoringChunk.objects.filter(run=run).delete()
        run.delete()
    else:
        scoring_run_finish_if_done(run.id)
    return total
