"""Reads on background import jobs, scoped to their owner."""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.http import Http404

from accounts.models import ImportJob, User


def import_job_progress_key(job_id: uuid.UUID | str) -> str:
    """The cache key a running import writes the bytes it has read to."""
    return f"canopy:import-job:{job_id}:bytes-read"


def import_job_get_for_user(*, user: User, job_id: uuid.UUID) -> ImportJob:
    """The user's job ``job_id``; 404 for anyone else's."""
    job = ImportJob.objects.filter(user=user, pk=job_id).select_related("import_batch").first()
    if job is None:
        raise Http404("No such import.")
    return job


def import_job_progress(job: ImportJob) -> int:
    """Rows processed: final once the job finished, estimated from bytes read while running."""
    if job.state != ImportJob.State.RUNNING or not job.rows_total or not job.file_size:
        return job.rows_processed
    read = cache.get(import_job_progress_key(job.pk)) or 0
    return min(job.rows_total, int(job.rows_total * min(read, job.file_size) / job.file_size))
