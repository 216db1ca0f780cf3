"""The transaction importer's entry points: importability, one import as one batch, files.

How the rows are staged and merged is ``accounts.services.import_merge``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.integrations.sources.base import SourceError, SourceItem
from accounts.integrations.sources.registry import detect_format, get_source
from accounts.models import Consent, ImportBatch, LinkedFeed, Transaction, Trust, sandbox_enabled
from accounts.services.import_copy import CopyDeclined, csv_copy_stager
from accounts.services.import_merge import (
    SNAPSHOT_FORMATS,
    FileFacts,
    _ItemReader,
    _merge,
    _staging_rows,
)
from core import readcache
from core.locks import lock_rows
from core.sql import is_postgres

logger = logging.getLogger(__name__)

# Bytes a format is detected from; bytes per read while hashing a file.
DETECT_BYTES = 8 * 1024
_HASH_CHUNK = 1024 * 1024


_BATCH_RESULT_FIELDS = [
    "status",
    "count_new",
    "count_updated",
    "count_duplicate",
    "count_removed",
    "finished_at",
    "duration_ms",
    "updated_at",
]


class FeedNotImportable(Exception):
    """The feed may not receive transactions now: revoked, consent expired, or not active."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def feed_import_check(*, feed: LinkedFeed, at: datetime | None = None) -> Consent:
    """The feed's live consent; ``FeedNotImportable`` when the feed may not import now."""
    at = at or timezone.now()
    if feed.trust == Trust.SANDBOX and not sandbox_enabled():
        raise FeedNotImportable(
            "The sandbox bank is for demos only and is switched off here; nothing is imported.",
            code="sandbox_disabled",
        )
    if feed.status == LinkedFeed.Status.REVOKED:
        raise FeedNotImportable(
            "This feed was revoked; nothing is imported into it.", code="feed_revoked"
        )
    if feed.status == LinkedFeed.Status.EXPIRED:
        raise FeedNotImportable(
            "The consent for this feed has expired; renew it before importing.",
            code="consent_expired",
        )
    consent = (
        Consent.objects.filter(feed=feed, revoked_at__isnull=True)
        .order_by("-granted_at", "-id")
        .first()
    )
    if consent is None or not consent.is_live(at):
        raise FeedNotImportable(
            "The consent for this feed is not live; renew it before importing.",
            code="consent_expired",
        )
    return consent


def transactions_import(
    *,
    feed: LinkedFeed,
    items: Iterable[SourceItem],
    source: str,
    format: str,
    file_name: str = "",
    file_sha256: str = "",
    delivery_id: str = "",
    next_cursor: str | None = None,
    stage: Callable[[Any, str, FileFacts], int] | None = None,
) -> ImportBatch:
    """Import ``items`` into ``feed`` in one transaction and return the ``ImportBatch``.

    Returns a batch with status ``rejected`` (nothing imported, ``errors`` names the line and
    field) when the items raise ``SourceError``. Raises ``FeedNotImportable`` for a revoked or
    expired feed. A file (``file_sha256``) or webhook delivery (``delivery_id``) this feed
    already imported imports nothing again: the batch counts its items as duplicates and
    ``batch.duplicate_of`` (not stored) is the earlier import. ``next_cursor``, when given, is
    stored on the feed in the same transaction, so an aggregator cursor never moves past rows
    that were not committed. ``stage`` fills the staging table instead of ``items`` (the
    PostgreSQL COPY path for CSV, ``accounts.services.import_copy``); its ``CopyDeclined``
    propagates, with everything rolled back.
    """
    started = time.monotonic()
    reader = _ItemReader(items)
    batch = ImportBatch(
        feed=feed,
        source=source,
        format=format,
        file_name=file_name[:255],
        file_sha256=file_sha256,
        delivery_id=delivery_id[:128],
    )
    try:
        with transaction.atomic():
            # The row lock serialises imports into one feed, and makes a revocation wait for
            # a running import (whose rows it then erases) instead of racing it.
            locked = lock_rows(LinkedFeed.objects).get(pk=feed.pk)
            feed_import_check(feed=locked)
            previous = _previous_import(
                feed=locked, file_sha256=file_sha256, delivery_id=delivery_id
            )
            if previous is None:
                batch.save()
                facts = FileFacts()
                counts = _merge(
                    feed=locked,
                    batch=batch,
                    rows=_staging_rows(locked, reader, facts),
                    snapshot=format in SNAPSHOT_FORMATS,
                    facts=facts,
                    stage=stage,
                )
                _check_feed_size(locked)
                readcache.user_changed(locked.user_id)  # the transactions list
                batch.count_new = counts.new
                batch.count_updated = counts.updated
                batch.count_removed = counts.removed
                batch.count_duplicate = counts.items - counts.new - counts.updated
            else:
                batch.count_duplicate = (
                    previous.count_new
                    + previous.count_updated
                    + previous.count_duplicate
                    + previous.count_removed
                )
            now = timezone.now()
            batch.status = ImportBatch.Status.DONE
            batch.finished_at = now
            batch.duration_ms = _elapsed_ms(started)
            if batch.pk is None:
                batch.save()
            else:
                batch.save(update_fields=_BATCH_RESULT_FIELDS)
            feed.last_synced_at = now
            feed.last_error = ""
            feed_fields = ["last_synced_at", "last_error", "updated_at"]
            if next_cursor is not None:
                feed.cursor = next_cursor
                feed_fields.append("cursor")
            feed.save(update_fields=feed_fields)
    except SourceError as exc:
        return _record_refused(
            batch,
            status=ImportBatch.Status.REJECTED,
            error=exc.as_dict(),
            count_rejected=reader.count
            + (1 if reader.source_failed else 0)
            + getattr(stage, "staged", 0),
            started=started,
            last_error=f"Import rejected: {exc}",
        )
    except (FeedNotImportable, CopyDeclined):
        raise
    except Exception as exc:
        # Not the input's fault (the database, a bug): record it if possible, then surface it.
        logger.exception("import into feed %s failed", feed.pk)
        try:
            _record_refused(
                batch,
                status=ImportBatch.Status.FAILED,
                error={"line": None, "where": "", "field": "", "message": type(exc).__name__},
                count_rejected=reader.count,
                started=started,
                last_error=f"Import failed: {type(exc).__name__}",
            )
        except Exception:
            logger.exception("could not record the failed import into feed %s", feed.pk)
        raise
    batch.duplicate_of = previous
    return batch


def _check_feed_size(feed: LinkedFeed) -> None:
    """Refuse the whole import (rolled back, batch rejected) past the per-feed bound."""
    limit = settings.CANOPY_MAX_TRANSACTIONS_PER_FEED
    if Transaction.objects.filter(feed=feed).count() > limit:
        raise SourceError(
            gettext("A feed holds at most %(limit)d transactions; this import would exceed it.")
            % {"limit": limit},
            field="transactions",
        )


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _previous_import(*, feed: LinkedFeed, file_sha256: str, delivery_id: str) -> ImportBatch | None:
    if not file_sha256 and not delivery_id:
        return None
    done = ImportBatch.objects.filter(feed=feed, status=ImportBatch.Status.DONE)
    if file_sha256:
        done = done.filter(file_sha256=file_sha256)
    else:
        done = done.filter(delivery_id=delivery_id)
    return done.order_by("created_at", "id").first()


def _record_refused(
    batch: ImportBatch,
    *,
    status: str,
    error: dict,
    count_rejected: int,
    started: float,
    last_error: str,
) -> ImportBatch:
    """Record an import that imported nothing, after its transaction was rolled back."""
    now = timezone.now()
    refused = ImportBatch(
        feed=batch.feed,
        source=batch.source,
        format=batch.format,
        status=status,
        file_name=batch.file_name,
        file_sha256=batch.file_sha256,
        delivery_id=batch.delivery_id,
        count_rejected=count_rejected,
        errors=[error],
        duration_ms=_elapsed_ms(started),
        finished_at=now,
    )
    with transaction.atomic():
        refused.save()
        LinkedFeed.objects.filter(pk=batch.feed_id).update(
            last_error=last_error[:2000], updated_at=now
        )
    batch.feed.last_error = last_error[:2000]
    refused.duplicate_of = None
    return refused


# --------------------------------------------------------------------------------------------
# Reading items
# --------------------------------------------------------------------------------------------


def file_format(file: BinaryIO, format: str | None = None) -> str:
    """The format of a bank file: ``format`` checked, or detected from the first bytes.

    Raises ``SourceError`` for an unknown or unsupported format. Leaves the file at its start.
    """
    file.seek(0)
    head = file.read(DETECT_BYTES)
    file.seek(0)
    format = format or detect_format(head)
    get_source(format)
    return format


def feed_file_import(
    *,
    feed: LinkedFeed,
    file: BinaryIO,
    file_name: str,
    source: str,
    format: str | None = None,
    reading: Callable[[BinaryIO], BinaryIO] | None = None,
) -> ImportBatch:
    """Import a bank file (seekable, binary) into a feed: the upload API and the command.

    The file is hashed (an identical file is not imported twice), its format detected from its
    first bytes unless given, then parsed and imported in one ``transactions_import``.
    ``reading`` may wrap the stream the parser reads (the command's progress bar). Raises
    ``SourceError`` for an unknown format and ``FeedNotImportable``; a malformed file is a
    rejected batch, not an exception.
    """
    sha256 = hashlib.sha256()
    file.seek(0)
    head = file.read(DETECT_BYTES)
    sha256.update(head)
    for chunk in iter(lambda: file.read(_HASH_CHUNK), b""):
        sha256.update(chunk)
    file.seek(0)
    format = format or detect_format(head)
    parser = get_source(format)
    if format == "csv" and settings.CANOPY_IMPORT_COPY and is_postgres():
        try:
            return transactions_import(
                feed=feed,
                items=(),
                source=source,
                format=format,
                file_name=file_name,
                file_sha256=sha256.hexdigest(),
                stage=csv_copy_stager(
                    reading(file) if reading else file, unstable_ids=feed.unstable_ids
                ),
            )
        except CopyDeclined as declined:
            # Rolled back: the Python path imports the file, or rejects it with line and field.
            logger.info("CSV import into feed %s takes the Python path: %s", feed.pk, declined)
            file.seek(0)
    return transactions_import(
        feed=feed,
        items=parser.parse(reading(file) if reading else file),
        source=source,
        format=format,
        file_name=file_name,
        file_sha256=sha256.hexdigest(),
    )
