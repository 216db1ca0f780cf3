"""The COPY path's first step: the CSV file's bytes into a temp table of text columns.

``_load`` reads the header with the CSV source's own ``read_header`` and streams the rest of
the file, untouched, into ``COPY … (FORMAT csv)`` in 1 MB chunks (memory flat in the file
size), looking at the bytes only with ``bytes`` methods (``_Scan``). ``_map`` runs Python's
normalisers over distinct values. See ``accounts.services.import_copy``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

import psycopg
from django.db import connection

from accounts.integrations.sources.base import MAX_ID_LENGTH, SourceError
from accounts.integrations.sources.csv_source import read_header
from accounts.integrations.sources.currencies import _NOT_MONEY, ISO_4217

# Bytes per read and COPY write.
READ_CHUNK = 1024 * 1024
# Distinct names/descriptions per round trip while they are normalised in Python.
_NORM_BATCH = 5_000
# Python's csv module refuses a field longer than this (csv.field_size_limit()).
_CSV_FIELD_LIMIT = 131_072
# The OccurrenceCounter's window (accounts.integrations.sources.base): it remembers the last
# this many dates, and ``_count_windows`` replays its forgetting.
_WINDOW = 32
# Rows per fetch while the dates are replayed.
_EPOCH_BATCH = 20_000
# Blanks Python's str.strip()/split() remove that are ASCII (cells hold no line breaks here).
_BLANKS = " \t\x0b\x0c\x1c\x1d\x1e\x1f"
_BLANKS_RE = r"[ \t\v\f\x1c-\x1f]+"
_CONTROLS = "\t\x0b\x0c\x1c\x1d\x1e\x1f"
# Unicode blanks str.split() knows and a byte-level check cannot see: such rows decline.
_UNICODE_BLANKS_RE = r"[\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_CURRENCIES = sorted(ISO_4217 - _NOT_MONEY)
# The control characters Python's str.strip()/split() treat as blanks, as NUL (NUL itself
# declines the file before this is read).
_CONTROLS_TO_NUL = bytes.maketrans(b"\t\x0b\x0c\x1c\x1d\x1e\x1f", b"\x00" * 7)


class CopyDeclined(Exception):
    """The file is not certain to give the Python path's rows here: import it the slow way."""


@dataclass
class _Loaded:
    """The file COPY'd into the temp table ``raw`` (text columns c0, c1, … and ``seq``)."""

    raw: str
    columns: list[str]
    cell: dict[str, str]  # SQL of each known column's cell, of a row ``p``
    keys: list[str]  # the raw payload's key of each column
    records: int  # records the file's lines hold
    scan: _Scan
    maps: tuple[str, str] | None = None  # the clean path's names and descriptors maps
    _has_ids: bool | None = None

    def clean(self, cursor) -> bool:
        """Clean (``_Scan``) and every row carries an id (else its fingerprint is its id:
        the general passes make it)."""
        if not self.scan.clean:
            return False
        if self._has_ids is None:
            self._has_ids = _all_have_ids(cursor, self.raw, self.cell)
        return self._has_ids


def _load(cursor, prefix: str, stream: BinaryIO) -> _Loaded:
    """Read the header as the CSV source does and COPY the rest of the file into a temp
    table of text columns, looking at the bytes only with ``bytes`` methods."""
    stream.seek(0)
    first = stream.read(READ_CHUNK)
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    end = first.find(b"\n")
    if end < 0 or b"\r" in first[: end - 1 if end > 0 else 0]:
        raise CopyDeclined("no header line, or a lone carriage return")
    crlf = end > 0 and first[end - 1 : end] == b"\r"
    try:
        header_line = first[: end + 1].decode("utf-8")
        delimiter, names, index = read_header(header_line)
    except (UnicodeDecodeError, SourceError) as exc:
        raise CopyDeclined("header") from exc
    if len(names) > 200:
        raise CopyDeclined("too many columns")
    keys = [name or f"column_{i + 1}" for i, name in enumerate(names)]
    if len(set(keys)) != len(keys) or "_line" in keys:
        raise CopyDeclined("the raw payload's keys would collide")
    raw = f"{prefix}_csv"
    # Sorts and hashes over the whole file: in memory rather than in temp files.
    cursor.execute("SET LOCAL work_mem = '64MB'")
    columns = [f"c{i}" for i in range(len(names))]
    cursor.execute(
        f"CREATE TEMP TABLE {raw} (seq BIGINT GENERATED ALWAYS AS IDENTITY,"
        f" {', '.join(f'{c} TEXT' for c in columns)}) ON COMMIT DROP"
    )
    scan = _Scan(delimiter)
    try:
        records = _copy_file(
            raw, columns, first[end + 1 :], stream, delimiter=delimiter, crlf=crlf, scan=scan
        )
    except psycopg.Error as exc:  # a blank line, a missing or extra field, not UTF-8, ...
        raise CopyDeclined(f"PostgreSQL could not read the file: {exc}") from None
    cell = {name: f"p.{columns[i]}" for name, i in index.items()}
    return _Loaded(raw=raw, columns=columns, cell=cell, keys=keys, records=records, scan=scan)


class _Scan:
    """What the bytes sent to COPY hold, learnt with C-speed ``bytes`` methods while they
    stream: whether the file is *clean* (ASCII, no control characters, no cell starting or
    ending with a blank, no line longer than the csv module's field limit), so SQL can skip
    trimming every cell and the Unicode checks (``import_copy_clean``)."""

    __slots__ = ("ascii", "controls", "delimiter", "double_spaces", "edges", "long_lines", "tail")

    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter.encode()
        self.ascii = True
        self.controls = False
        self.edges = False
        self.double_spaces = False
        self.long_lines = False
        self.tail = b"\n"  # the byte before the data: a line starts there

    def feed(self, body: bytes) -> None:
        data = self.tail + body
        self.tail = body[-1:]
        if self.ascii and not body.isascii():
            self.ascii = False
        if not self.controls and b"\x00" in body.translate(_CONTROLS_TO_NUL):
            self.controls = True
        if not self.edges:
            d = self.delimiter
            self.edges = any(edge in data for edge in (b" " + d, d + b" ", b" \n", b"\n ", b" \r"))
        if not self.double_spaces and b"  " in data:
            self.double_spaces = True
        # A line break in every quarter of the csv module's field limit: no line, so no
        # field, can reach the limit (across two writes either).
        if not self.long_lines:
            step = _CSV_FIELD_LIMIT // 4
            self.long_lines = any(
                body.find(b"\n", start, start + step) < 0
                for start in range(0, len(body) - step, step)
            )

    def end(self) -> None:
        if self.tail == b" ":
            self.edges = True

    @property
    def clean(self) -> bool:
        return self.ascii and not (self.controls or self.edges or self.long_lines)


def _all_have_ids(cursor, raw: str, cell: dict[str, str]) -> bool:
    cursor.execute(
        f"SELECT NOT EXISTS (SELECT 1 FROM {raw} p WHERE {cell['transaction_id']} IS NULL)"
    )
    return bool(cursor.fetchone()[0])


def _copy_file(
    raw: str,
    columns: list[str],
    rest: bytes,
    stream: BinaryIO,
    *,
    delimiter: str,
    crlf: bool,
    scan: _Scan,
) -> int:
    """COPY the data lines into ``raw``; the number of records they hold."""
    statement = (
        f"COPY {raw} ({', '.join(columns)}) FROM STDIN"
        f" (FORMAT csv, DELIMITER '{delimiter}', ENCODING 'UTF8')"
    )
    newlines = 0
    sent = 0
    held = b""
    connection.ensure_connection()
    with connection.connection.cursor() as pg, pg.copy(statement) as copy:
        chunk = rest
        while True:
            if chunk:
                if b'"' in chunk or b"\x00" in chunk:
                    raise CopyDeclined("quotes or NUL bytes")
                chunk = held + chunk
                # Line breaks at the end wait for what follows: trailing blank lines are
                # skipped by the Python path, and PostgreSQL needs no final line break.
                body = chunk.rstrip(b"\r\n")
                held = chunk[len(body) :]
                if body:
                    lf = body.count(b"\n")
                    cr = body.count(b"\r")
                    if cr != (lf if crlf else 0) or (crlf and body.count(b"\r\n") != lf):
                        raise CopyDeclined("mixed line endings")
                    newlines += lf
                    sent += len(body)
                    scan.feed(body)
                    copy.write(body)
            chunk = stream.read(READ_CHUNK)
            if not chunk:
                break
    scan.end()
    return newlines + 1 if sent else 0


def fit_id_sql(value: str) -> str:
    """SQL of ``accounts.integrations.sources.base.fit_id`` for the SQL expression ``value``: an
    id longer than the column becomes ``h:`` and its SHA-256, as the Python path makes it."""
    return (
        f"CASE WHEN length({value}) <= {MAX_ID_LENGTH} THEN {value}"
        f" ELSE 'h:' || encode(sha256(convert_to({value}, 'UTF8')), 'hex') END"
    )


def _map(query: str, table: str, function) -> None:
    """Stream ``query``'s distinct values through ``function`` into ``table`` (name, norm)."""
    pg_connection = connection.connection
    with pg_connection.cursor(name=f"{table}_read") as reader:
        reader.itersize = _NORM_BATCH
        reader.execute(query)
        while batch := reader.fetchmany(_NORM_BATCH):
            with (
                pg_connection.cursor() as writer,
                writer.copy(f"COPY {table} (name, norm) FROM STDIN") as copy,
            ):
                for (value,) in batch:
                    copy.write_row((value, function(value)))
