"""Large uploads: stored encrypted, imported by a Celery task, polled by the app.

``import_job_create`` stores the uploaded file in the default storage, encrypted with the
field-encryption keys (``accounts.services.crypto``) one 1 MB chunk per Fernet token (a line of
the stored file), so neither storing nor reading holds the file in memory. It counts the file's
records while storing (``rows_total``). ``import_job_run`` (the task) decrypts it into a
temporary file, imports it with ``feed_file_import`` (the COPY path for CSV when
``CANOPY_IMPORT_COPY`` is on) and marks the job done or failed *in the same transaction* as the
import, then deletes the stored file. Run twice (a retried or redelivered task), the second run
finds the job finished and does nothing; were it to run the import again, the file's hash makes
it a duplicate.

Progress (``rows_processed`` while running) is the share of the file's bytes the import has
read, times ``rows_total``; the running task writes it to the cache, not the database, since
the import's own transaction is not visible until it commits.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import BinaryIO, cast

from django.core.cache import cache
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.integrations.sources.base import SourceError
from accounts.models import ImportBatch, ImportJob, LinkedFeed, User
from accounts.selectors.import_jobs import import_job_progress_key
from accounts.services.crypto import decrypt_bytes, encrypt_bytes
from accounts.services.importing import FeedNotImportable, feed_file_import

logger = logging.getLogger(__name__)

_CHUNK = 1024 * 1024
# How often a running import writes its progress to the cache.
_PROGRESS_EVERY_SECONDS = 0.5
# What marks one record in each format, for rows_total (JSON: not counted).
_RECORD_MARKERS: dict[str, tuple[bytes, ...]] = {
    "camt053": (b"<Ntry>", b"<Ntry "),
    "ofx": (b"<STMTTRN>",),
}


def import_job_create(
    *, user: User, feed: LinkedFeed, file: BinaryIO, file_name: str, format: str
) -> ImportJob:
    """Store ``file`` encrypted and queue its import; the job to poll."""
    job = ImportJob(user=user, feed=feed, file_name=file_name[:255], format=format)
    size = 0
    newlines = 0
    markers = _RECORD_MARKERS.get(format, ())
    records = 0
    last_byte = b""
    tail = b""
    file.seek(0)
    # Encrypted into a local temporary file first, then saved once: any storage backend.
    with tempfile.TemporaryFile() as sealed:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            size += len(chunk)
            newlines += chunk.count(b"\n")
            last_byte = chunk[-1:]
            window = tail + chunk  # a marker split over two chunks is counted once
            records += sum(window.count(marker) for marker in markers)
            records -= sum(tail.count(marker) for marker in markers)
            tail = chunk[-16:]
            sealed.write(encrypt_bytes(chunk) + b"\n")
        sealed.seek(0)
        name = default_storage.save(f"{_folder(feed.pk)}/{job.id}.enc", File(sealed))
    job.stored_name = name
    job.file_size = size
    if format == "csv":
        # Lines after the header; a CSV value spanning lines makes this an upper bound.
        job.rows_total = max(newlines + (1 if last_byte not in (b"", b"\n") else 0) - 1, 0)
    elif markers:
        job.rows_total = records
    job.save()
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _folder(feed_id: int) -> str:
    """Where a feed's waiting files are stored: one folder, so revocation finds them all."""
    return f"imports/feed-{feed_id}"


def _enqueue(job_id: uuid.UUID) -> None:
    from accounts.tasks import import_job_run_task

    import_job_run_task.delay(str(job_id))


@contextlib.contextmanager
def _decrypted(job: ImportJob) -> Iterator[BinaryIO]:
    """The stored file, decrypted into a temporary file on local disk (seekable)."""
    with tempfile.TemporaryFile() as plain:
        with default_storage.open(job.stored_name, "rb") as stored:
            for line in stored:
                token = line.strip()
                if token:
                    plain.write(decrypt_bytes(token))
        plain.seek(0)
        yield cast(BinaryIO, plain)


class _ProgressReader:
    """Counts the bytes the importer reads and puts the count in the cache now and then."""

    def __init__(self, raw: BinaryIO, key: str) -> None:
        self._raw = raw
        self._key = key
        self._read = 0
        self._written = 0.0

    def _count(self, count: int) -> None:
        self._read += count
        now = time.monotonic()
        if now - self._written >= _PROGRESS_EVERY_SECONDS:
            self._written = now
            cache.set(self._key, self._read, timeout=24 * 3600)

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._count(len(data))
        return data

    def read1(self, size: int = -1) -> bytes:
        data = self._raw.read1(size)  # type: ignore[attr-defined]
        self._count(len(data))
        return data

    def readinto(self, buffer) -> int:
        count = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self._count(count or 0)
        return count

    def readline(self, size: int = -1) -> bytes:
        data = self._raw.readline(size)
        self._count(len(data))
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset == 0 and whence == 0:
            self._read = 0  # read again from the start (the COPY path declined)
        return self._raw.seek(offset, whence)

    def __iter__(self):
        return iter(self.readline, b"")

    def __getattr__(self, name: str):
        return getattr(self._raw, name)


def import_job_run(*, job_id: uuid.UUID | str) -> ImportJob | None:
    """Import a queued job's file (the task). Idempotent: a finished job is left as it is."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("feed").filter(pk=job_id).first()
        if job is None or job.state in (ImportJob.State.DONE, ImportJob.State.FAILED):
            return job
        job.state = ImportJob.State.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.attempts += 1
        job.save(update_fields=["state", "started_at", "attempts", "updated_at"])
    try:
        with transaction.atomic():
            # Locked again: a second delivery of the task waits here, then finds it done.
            job = ImportJob.objects.select_for_update().select_related("feed").get(pk=job.pk)
            if job.state != ImportJob.State.RUNNING:
                return job
            _run_locked(job)
    except Exception:
        logger.exception("import job %s failed", job.pk)
        raise
    _discard(job)
    return job


def _run_locked(job: ImportJob) -> None:
    """The import and the job's outcome, in the caller's transaction."""
    error: dict | None = None
    batch: ImportBatch | None = None
    try:
        with _decrypted(job) as plain:
            batch = feed_file_import(
                feed=job.feed,
                file=plain,
                file_name=job.file_name,
                source=ImportBatch.Source.UPLOAD,
                format=job.format,
                reading=lambda stream: cast(
                    BinaryIO, _ProgressReader(stream, import_job_progress_key(job.pk))
                ),
            )
    except SourceError as exc:
        error = exc.as_dict()
    except FeedNotImportable as exc:
        error = {"line": None, "field": "", "where": "", "message": exc.message}
    if batch is not None and batch.status != ImportBatch.Status.DONE:
        error = (batch.errors or [{}])[0]
    job.import_batch = (batch.duplicate_of or batch) if batch is not None else None
    if error is not None:
        job.state = ImportJob.State.FAILED
        job.error = {
            "line": error.get("line"),
            "field": error.get("field", ""),
            "where": error.get("where", ""),
            "message": error.get("message", ""),
        }
        job.rows_processed = 0
    else:
        done = job.import_batch
        assert done is not None
        job.state = ImportJob.State.DONE
        job.rows_processed = (
            done.count_new + done.count_updated + done.count_duplicate + done.count_removed
        )
        if job.rows_total is None or job.rows_total != job.rows_processed:
            job.rows_total = job.rows_processed
    job.finished_at = timezone.now()
    job.save()


def import_job_fail(*, job_id: uuid.UUID | str, message: str) -> None:
    """A job whose task gave up (retries exhausted): failed, its file deleted."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state in (ImportJob.State.DONE, ImportJob.State.FAILED):
            return
        job.state = ImportJob.State.FAILED
        job.error = {"line": None, "field": "", "where": "", "message": message}
        job.finished_at = timezone.now()
        job.save()
    _discard(job)


def _discard(job: ImportJob) -> None:
    """Delete the stored file of a finished job (the import keeps what it needs)."""
    if job.state not in (ImportJob.State.DONE, ImportJob.State.FAILED) or not job.stored_name:
        return
    default_storage.delete(job.stored_name)
    cache.delete(import_job_progress_key(job.pk))
    ImportJob.objects.filter(pk=job.pk).update(stored_name="")
    job.stored_name = ""


def import_jobs_cancel_for_feed(*, feed_id: int) -> int:
    """Fail the feed's waiting background imports and delete their stored files (revocation).

    A job whose import is running holds its row lock: this waits for it, and then finds it
    finished (its file already deleted).
    """
    waiting = ImportJob.objects.filter(
        feed_id=feed_id, state__in=[ImportJob.State.QUEUED, ImportJob.State.RUNNING]
    )
    cancelled = waiting.update(
        state=ImportJob.State.FAILED,
        error={
            "line": None,
            "field": "",
            "where": "",
            "message": "This feed was revoked; nothing is imported into it.",
        },
        stored_name="",
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )

    def delete() -> None:
        # The whole folder: the jobs' rows may be gone already (an account erased).
        folder = _folder(feed_id)
        if default_storage.exists(folder):
            for name in default_storage.listdir(folder)[1]:
                default_storage.delete(f"{folder}/{name}")

    transaction.on_commit(delete)
    return cancelled
