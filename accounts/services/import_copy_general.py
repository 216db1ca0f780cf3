"""The COPY path's general passes, for CSV files that are not clean: trim, check, fingerprint,
normalise and stage, each a set-based statement over the COPY'd table.

See ``accounts.services.import_copy``; the clean files' one pass is ``import_copy_clean``.
"""

from __future__ import annotations

from collections import OrderedDict

from django.db import connection

from accounts.integrations.sources.base import MAX_CATEGORY_LENGTH, MAX_NAME_LENGTH
from accounts.integrations.sources.csv_source import extra_columns
from accounts.normalise import normalise_descriptor, normalise_merchant
from accounts.services.import_copy_load import (
    _BLANKS,
    _BLANKS_RE,
    _CONTROLS,
    _CSV_FIELD_LIMIT,
    _CURRENCIES,
    _EPOCH_BATCH,
    _UNICODE_BLANKS_RE,
    _WINDOW,
    CopyDeclined,
    _Loaded,
    _map,
    fit_id_sql,
)
from accounts.services.import_merge import FileFacts


def _stage(cursor, table: str, facts: FileFacts, loaded: _Loaded, *, unstable_ids: bool) -> int:
    """The general passes: trim, check, fingerprint, normalise, stage."""
    raw, columns, cell, keys, records = (
        loaded.raw,
        loaded.columns,
        loaded.cell,
        loaded.keys,
        loaded.records,
    )
    cursor.execute(f"SELECT COUNT(*) FROM {raw}")
    if cursor.fetchone()[0] != records:
        raise CopyDeclined("PostgreSQL read another number of rows than the file has lines")
    _parse(cursor, raw, columns)
    _check(cursor, raw, cell, columns)
    names_map = f"{table}_names"
    descriptors_map = f"{table}_descriptors"
    texts_map = f"{table}_texts"
    _normalise_names(cursor, raw, cell, names_map, descriptors_map, texts_map)
    _count_windows(cursor, raw)
    staged = _insert_staging(
        cursor,
        table,
        raw,
        cell,
        keys,
        names_map,
        descriptors_map,
        f"{raw}_epochs",
        unstable_ids=unstable_ids,
    )
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {table} GROUP BY provider_txn_id HAVING COUNT(*) > 1)"
    )
    facts.repeats = bool(cursor.fetchone()[0])
    facts.id_hashes = None
    # ON COMMIT DROP is the safety net; an import inside an outer transaction (a background
    # job) should not keep them until it commits.
    for name in (
        f"{raw}_occ",
        raw,
        f"{raw}_p",
        f"{raw}_keys",
        f"{raw}_epochs",
        names_map,
        descriptors_map,
        texts_map,
    ):
        cursor.execute(f"DROP TABLE {name}")
    return staged


def _parse(cursor, raw: str, columns: list[str]) -> None:
    """Trim every cell as ``str.strip`` does (rows with Unicode blanks decline in ``_check``)."""
    trimmed = ", ".join(f"btrim(COALESCE({c}, ''), %(blanks)s) AS {c}" for c in columns)
    # Regexes only where they can match: ASCII rows (octet_length = length) hold no Unicode
    # blank, and translate() finds the control characters in one pass.
    cursor.execute(
        f"CREATE TEMP TABLE {raw}_p ON COMMIT DROP AS SELECT seq, {trimmed},"
        f" GREATEST({', '.join(f'length(COALESCE({c}, {chr(39) * 2}))' for c in columns)})"
        f" AS longest, CASE WHEN octet_length(r.whole) = length(r.whole) THEN false"
        f" ELSE r.whole ~ %(unicode)s END AS odd_blanks,"
        f" length(translate(r.whole, %(controls)s, '')) <> length(r.whole) AS controls"
        f" FROM (SELECT *, concat({', '.join(columns)}) AS whole FROM {raw}) r",
        {"blanks": _BLANKS, "unicode": _UNICODE_BLANKS_RE, "controls": _CONTROLS},
    )


def _date_ok(value: str) -> str:
    """SQL: ``value`` is '' or a valid ``YYYY-MM-DD`` (what ``parse_iso_date`` accepts)."""
    return (
        f"({value} = '' OR CASE WHEN {value} ~ '^[0-9]{{4}}-(0[1-9]|1[0-2])-[0-3][0-9]$'"
        f" AND left({value}, 4) <> '0000' AND substr({value}, 9, 2) <> '00'"
        f" THEN substr({value}, 9, 2)::int <= EXTRACT(DAY FROM make_date(left({value}, 4)::int,"
        f" substr({value}, 6, 2)::int, 1) + INTERVAL '1 month - 1 day') ELSE false END)"
    )


def _check(cursor, raw: str, cell: dict[str, str], columns: list[str]) -> None:
    """Decline unless every row passes the CSV source's checks; then the typed keys table."""
    status = f"lower({cell['status']})"
    amount = cell["amount"]
    ok = " AND ".join(
        [
            "NOT p.odd_blanks",
            f"p.longest <= {_CSV_FIELD_LIMIT}",
            # ASCII, and booked or pending once lower-cased: letters only
            f"octet_length({cell['status']}) = length({cell['status']})"
            f" AND {status} IN ('booked', 'pending')",
            rf"{amount} ~ '^[+-]?([0-9]{{1,12}}(\.[0-9]{{0,2}})?|\.[0-9]{{1,2}})$'",
            f"octet_length({cell['currency']}) = 3"
            f" AND upper({cell['currency']}) = ANY(%(currencies)s)",
            _date_ok(cell["booking_date"]),
            _date_ok(cell["transaction_date"]),
            f"NOT ({status} = 'booked' AND {cell['booking_date']} = '')",
            f"({cell['mcc']} = '' OR {cell['mcc']} ~ '^[0-9]{{4}}$')",
            f"length({cell['merchant_id']}) <= 128",
        ]
    )
    cursor.execute(
        f"SELECT p.seq + 1 FROM {raw}_p p WHERE NOT ({ok}) ORDER BY p.seq LIMIT 1",
        {"currencies": _CURRENCIES},
    )
    bad = cursor.fetchone()
    if bad is not None:
        raise CopyDeclined(f"line {bad[0]} does not pass the checks")
    day = (
        f"COALESCE(NULLIF({cell['booking_date']}, ''), NULLIF({cell['transaction_date']}, ''), '')"
    )
    source = f"{cell['merchant_name']} || ' ' || {cell['description']}"
    cursor.execute(
        f"CREATE TEMP TABLE {raw}_keys ON COMMIT DROP AS SELECT p.seq, {day} AS fp_date,"
        f" CASE WHEN {amount}::numeric = 0 AND left({amount}, 1) = '-' THEN '-0.00'"
        f" ELSE ({amount}::numeric(16, 2))::text END AS fp_amount,"
        f" upper({cell['currency']}) AS currency, {source} AS fp_source,"
        f" CASE WHEN octet_length({source}) = length({source})"
        f" THEN lower(btrim({_collapse(source)}, ' '))"
        f" END AS fp_key FROM {raw}_p p"
    )


def _normalise_names(
    cursor, raw: str, cell: dict[str, str], names: str, descriptors: str, texts: str
) -> None:
    """Python's normalisers over the distinct values only, COPY'd back into three maps."""
    clipped = _clip(cell["merchant_name"], MAX_NAME_LENGTH)
    cursor.execute(f"CREATE TEMP TABLE {names} (name TEXT PRIMARY KEY, norm TEXT) ON COMMIT DROP")
    _map(
        f"SELECT DISTINCT {clipped} FROM {raw}_p p",
        names,
        lambda name: normalise_merchant(name)[:200],
    )
    cursor.execute(
        f"CREATE TEMP TABLE {descriptors} (name TEXT PRIMARY KEY, norm TEXT) ON COMMIT DROP"
    )
    _map(
        f"SELECT DISTINCT {cell['description']} FROM {raw}_p p JOIN {names} n"
        f" ON n.name = {clipped} WHERE n.norm = ''",
        descriptors,
        lambda text: normalise_descriptor(text)[:200],
    )
    # Fingerprint keys of non-ASCII text: Python's lower() and split(), not the database's.
    cursor.execute(f"CREATE TEMP TABLE {texts} (name TEXT PRIMARY KEY, norm TEXT) ON COMMIT DROP")
    _map(
        f"SELECT DISTINCT fp_source FROM {raw}_keys WHERE fp_key IS NULL",
        texts,
        lambda text: " ".join(text.lower().split()),
    )
    cursor.execute(
        f"UPDATE {raw}_keys k SET fp_key = t.norm FROM {texts} t"
        f" WHERE k.fp_key IS NULL AND t.name = k.fp_source"
    )


def _count_windows(cursor, raw: str) -> str:
    """The ``OccurrenceCounter``'s forgetting, replayed: a table of (seq, epoch) for the rows
    whose date the counter had forgotten and started counting afresh, ``epoch`` times so far.

    The counter remembers the last ``_WINDOW`` dates; identical items count up within one
    remembered stretch of a date. Only the dates stream through Python (in file order), and
    only when some item repeats another of its date; sorted files write no rows here.
    """
    epochs = f"{raw}_epochs"
    cursor.execute(f"CREATE TEMP TABLE {epochs} (seq BIGINT, epoch INT) ON COMMIT DROP")
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {raw}_keys GROUP BY fp_date, fp_amount, currency,"
        f" fp_key HAVING COUNT(*) > 1)"
    )
    if not cursor.fetchone()[0]:
        return epochs
    pg_connection = connection.connection
    remembered: OrderedDict[str, None] = OrderedDict()
    forgotten: dict[str, int] = {}  # date -> times it was counted afresh after being forgotten
    with pg_connection.cursor(name=f"{epochs}_read") as reader:
        reader.itersize = _EPOCH_BATCH
        reader.execute(f"SELECT seq, fp_date FROM {raw}_keys ORDER BY seq")
        while batch := reader.fetchmany(_EPOCH_BATCH):
            fresh: list[tuple[int, int]] = []
            for seq, day in batch:
                if day in remembered:
                    remembered.move_to_end(day)
                else:
                    remembered[day] = None
                    forgotten[day] = forgotten[day] + 1 if day in forgotten else 0
                    if len(remembered) > _WINDOW:
                        remembered.popitem(last=False)
                if forgotten[day]:
                    fresh.append((seq, forgotten[day]))
            if fresh:  # between two fetches of the server-side cursor
                with (
                    pg_connection.cursor() as writer,
                    writer.copy(f"COPY {epochs} (seq, epoch) FROM STDIN") as copy,
                ):
                    for row in fresh:
                        copy.write_row(row)
    return epochs


def _clip(value: str, limit: int) -> str:
    """SQL for ``base.clip`` of a trimmed ASCII-blank value (of a row of ``{raw}_p p``)."""
    return f"left({_collapse(value)}, {limit})"


def _collapse(value: str) -> str:
    """SQL: runs of blanks as one space; the regex only where there is something to do."""
    return (
        f"CASE WHEN NOT p.controls AND strpos({value}, '  ') = 0 THEN {value}"
        f" ELSE regexp_replace({value}, '{_BLANKS_RE}', ' ', 'g') END"
    )


def _insert_staging(
    cursor,
    table: str,
    raw: str,
    cell: dict[str, str],
    keys: list[str],
    names: str,
    descriptors: str,
    epochs: str,
    *,
    unstable_ids: bool,
) -> int:
    # The occurrence among identical items of one date (and one remembered stretch of it),
    # computed on a narrow table and kept only where it is not 0.
    occurrences = f"{raw}_occ"
    cursor.execute(
        f"CREATE TEMP TABLE {occurrences} ON COMMIT DROP AS SELECT seq, occ FROM"
        f" (SELECT k.seq, ROW_NUMBER() OVER (PARTITION BY k.fp_date, COALESCE(e.epoch, 0),"
        f" k.fp_amount, k.currency, k.fp_key ORDER BY k.seq) - 1 AS occ"
        f" FROM {raw}_keys k LEFT JOIN {epochs} e ON e.seq = k.seq) o WHERE occ > 0"
    )
    fingerprint = (
        "'fp:' || left(encode(sha256(convert_to(k.fp_date || '|' || k.fp_amount || '|'"
        " || k.currency || '|' || k.fp_key || '|' || COALESCE(o.occ, 0), 'UTF8')), 'hex'), 40)"
    )
    txn_id = cell["transaction_id"]
    fitted = fit_id_sql(txn_id)
    provider_txn_id = (
        "f.fingerprint"
        if unstable_ids
        else "CASE WHEN f.tid <> '' THEN f.fitted ELSE f.fingerprint END"
    )
    # jsonb_build_object takes at most 100 arguments: 40 pairs per call, joined with ||.
    pairs = [f"'{keys[i].replace(chr(39), chr(39) * 2)}', p.c{i}" for i in extra_columns(keys)]
    pairs.append("'_line', p.seq + 1")
    raw_json = " || ".join(
        f"jsonb_build_object({', '.join(pairs[i : i + 40])})" for i in range(0, len(pairs), 40)
    )
    name = _clip(cell["merchant_name"], MAX_NAME_LENGTH)
    cursor.execute(
        f"INSERT INTO {table} (seq, kind, provider_txn_id, fingerprint, pending_txn_id, status,"
        f" amount, currency, booking_date, transaction_date, merchant_name, merchant_norm,"
        f" descriptor_norm, merchant_id, mcc, provider_category, description, raw, is_reversal,"
        f" account, origin)"
        f" SELECT f.seq, 't', {provider_txn_id},"
        f" CASE WHEN {provider_txn_id} = f.fingerprint THEN f.fingerprint ELSE '' END,"
        f" '', f.status, f.amount,"
        f" f.currency, f.booking_date, f.transaction_date, f.name, n.norm,"
        f" CASE WHEN n.norm = '' THEN COALESCE(d.norm, '') ELSE '' END, f.merchant_id, f.mcc,"
        f" f.category, f.description, f.raw, false, '', 'line ' || (f.seq + 1)"
        f" FROM (SELECT p.seq, {fingerprint} AS fingerprint, {txn_id} AS tid,"
        f" {fitted} AS fitted, lower({cell['status']}) AS status,"
        f" {cell['amount']}::numeric(14, 2) AS amount, k.currency,"
        f" NULLIF({cell['booking_date']}, '')::date AS booking_date,"
        f" NULLIF({cell['transaction_date']}, '')::date AS transaction_date,"
        f" {name} AS name, {cell['merchant_id']} AS merchant_id, {cell['mcc']} AS mcc,"
        f" {_clip(cell['category'], MAX_CATEGORY_LENGTH)} AS category,"
        f" {cell['description']} AS description, {raw_json} AS raw"
        f" FROM {raw}_p p JOIN {raw}_keys k ON k.seq = p.seq"
        f" LEFT JOIN {occurrences} o ON o.seq = p.seq) f"
        f" JOIN {names} n ON n.name = f.name"
        f" LEFT JOIN {descriptors} d ON d.name = f.description",
    )
    return cursor.rowcount
