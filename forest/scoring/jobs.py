"""Splitting the nightly work into chunks of users that any number of workers can score."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

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
