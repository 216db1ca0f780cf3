"""The PostgreSQL COPY path for CSV files: PostgreSQL parses the file, SQL checks it.

The Python path (``accounts.integrations.sources.csv_source`` → ``import_merge``) reads ~20k
rows/s; PostgreSQL parses the same CSV ~30 times faster. On PostgreSQL with
``CANOPY_IMPORT_COPY`` (on by default), ``feed_file_import`` first offers a CSV file to this path:

1. ``import_copy_load``: the header is read with the CSV source's own ``read_header``; the
   rest of the bytes go untouched into ``COPY … (FORMAT csv)`` of a temp table of text columns,
   1 MB at a time (memory flat in the file size), looked at only with ``bytes`` methods: no
   quotes, one kind of line ending, and whether the file is *clean* (``_Scan``).
2. ``import_copy_clean``: a clean file whose rows all carry an id is checked, cast and written
   by one ``INSERT … SELECT``: straight into the transactions table and the scoring queue when
   the feed holds none of its ids (an empty feed, the next statement), else into the merge's
   staging table.
3. ``import_copy_general``: any other file goes through set-based passes that trim, check,
   fingerprint (SHA-256 in SQL, the occurrence among identical items by a window function)
   and stage it.

Merchant and descriptor normalisation stays in Python (``accounts.normalise``), over the
*distinct* names and descriptions only. Then ``import_merge`` merges the staging table exactly
as for the Python path.

The path is exact or it declines: whenever a file is not certain to give the same rows as the
Python path -- quotes (PostgreSQL and Python read a quote inside an unquoted value
differently), blank lines, mixed line endings, bytes that are not UTF-8, Unicode blanks, more
than two decimals, a value PostgreSQL reads but Python would not, PostgreSQL reading another
number of rows than the file has lines, and *any* row the checks refuse -- it raises
``CopyDeclined`` inside the import's transaction (or savepoint), everything is rolled back,
and the caller imports the file through the Python path, which then accepts it or rejects it
with its line and field. So a rejected file's error is the Python path's error by construction.
"""

from __future__ import annotations

import uuid
from typing import Any, BinaryIO

from accounts.integrations.sources.csv_source import COLUMNS
from accounts.services.import_copy_clean import _insert_direct, _stage_clean
from accounts.services.import_copy_general import _stage
from accounts.services.import_copy_load import CopyDeclined, _load, _Loaded
from accounts.services.import_merge import FileFacts


class CsvCopyStager:
    """A ``stage(cursor, table, facts)`` for ``import_merge._merge`` that fills its staging
    table from the CSV ``stream`` (seekable; read from the start). ``staged``: rows staged, for
    the count of a batch the merge then rejects (two items with one id).

    ``direct(cursor, feed=…, batch=…, now=…)``, which the merge asks first, imports a clean
    file whose ids are all new to the feed straight from the COPY'd table: no staging table,
    nothing to update (``_insert_direct``)."""

    def __init__(self, stream: BinaryIO, *, unstable_ids: bool) -> None:
        self.stream = stream
        self.unstable_ids = unstable_ids
        self.staged = 0
        self._loaded: _Loaded | None = None

    def _load(self, cursor: Any) -> _Loaded:
        if self._loaded is None:
            self._loaded = _load(cursor, f"canopy_csv_{uuid.uuid4().hex[:16]}", self.stream)
        return self._loaded

    def direct(self, cursor: Any, *, feed: Any, batch: Any, now: Any) -> tuple[int, int] | None:
        """(New rows, rows removed), or None: stage the file for the merge."""
        if self.unstable_ids:
            return None
        loaded = self._load(cursor)
        if not loaded.clean(cursor):
            return None
        done = _insert_direct(cursor, loaded, feed=feed, batch=batch, now=now)
        if done is not None:
            self.staged = done[0]
        return done

    def __call__(self, cursor: Any, table: str, facts: FileFacts) -> int:
        loaded = self._load(cursor)
        if not self.unstable_ids and loaded.clean(cursor):
            self.staged = _stage_clean(cursor, table, loaded, facts)
        else:
            self.staged = _stage(cursor, table, facts, loaded, unstable_ids=self.unstable_ids)
        return self.staged


csv_copy_stager = CsvCopyStager


__all__ = ["COLUMNS", "CopyDeclined", "CsvCopyStager", "csv_copy_stager"]
