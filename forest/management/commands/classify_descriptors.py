"""Which rule would recognise these bank lines? The nightly scoring's classification on a CSV.

    manage.py classify_descriptors lines.csv [--json]

The header names at least ``description,merchant_name,mcc,amount,currency,category`` (in any
order; other columns are ignored, any value may be empty). One JSON object per data row:
``{"line": 2, "rule": "rail", "action_type": "rail", "matched_on": "merchant",
"estimate_grams": 4185}``; ``rule`` and ``action_type`` are null where no rule matches.
The rules are read from the database, so an operator's aliases count at once.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from forest.models import CurrencyRate
from forest.scoring.preview import DescriptorRow, classify_rows

COLUMNS = ("description", "merchant_name", "mcc", "amount", "currency", "category")
_MCC = re.compile(r"\d{4}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_LIMITS = {"description": 1000, "merchant_name": 200, "category": 128}


class DescriptorFileError(ValueError):
    """A malformed file: the message names the line and the field."""


def read_descriptors(path: Path) -> list[tuple[int, DescriptorRow]]:
    """``(line number, row)`` for each data row; the whole file is refused on the first error."""
    known = set(CurrencyRate.objects.values_list("currency", flat=True))
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DescriptorFileError(f"{path}: {exc.strerror}") from exc
    with handle:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames or []
        except (csv.Error, UnicodeDecodeError) as exc:
            raise DescriptorFileError(f"line 1: not a readable CSV header ({exc})") from exc
        missing = [c for c in COLUMNS if c not in [h.strip() for h in header]]
        if missing:
            raise DescriptorFileError(f"line 1: the header lacks {', '.join(missing)}")
        rows = []
        line = 1
        try:
            for raw in reader:
                line = reader.line_num
                rows.append((line, _row(raw, line, known)))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise DescriptorFileError(f"line {reader.line_num}: {exc}") from exc
    return rows


def _row(raw: dict, line: int, known: set[str]) -> DescriptorRow:
    if None in raw:
        raise DescriptorFileError(f"line {line}: more values than the header has columns")
    values = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
    for field, limit in _LIMITS.items():
        if len(values[field]) > limit:
            raise DescriptorFileError(f"line {line}, field {field}: longer than {limit}")
    mcc = values["mcc"]
    if mcc and not _MCC.fullmatch(mcc):
        raise DescriptorFileError(f"line {line}, field mcc: {mcc!r} is not four digits")
    currency = values["currency"].upper() or "EUR"
    if not _CURRENCY.fullmatch(currency) or currency not in known:
        raise DescriptorFileError(
            f"line {line}, field currency: {values['currency']!r} has no exchange rate"
        )
    try:
        amount = Decimal(values["amount"] or "0")
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or abs(amount) >= Decimal("1e12"):
        raise DescriptorFileError(
            f"line {line}, field amount: {values['amount']!r} is not a number like -12.50"
        )
    return DescriptorRow(
        description=values["description"],
        merchant_name=values["merchant_name"],
        mcc=mcc,
        amount=amount,
        currency=currency,
        category=values["category"],
    )


class Command(BaseCommand):
    help = "Classify the bank lines of a CSV with the active rules, as nightly scoring would."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="CSV: " + ",".join(COLUMNS))
        parser.add_argument(
            "--json", action="store_true", help="only the JSON lines, no summary on stderr"
        )

    def handle(self, *args, file: Path, **options) -> None:
        try:
            rows = read_descriptors(file)
        except DescriptorFileError as exc:
            raise CommandError(str(exc)) from exc
        results = classify_rows([row for _, row in rows])
        for (line, _), result in zip(rows, results, strict=True):
            self.stdout.write(_dumps(line, result))
        if not options["json"]:
            counts = Counter(r.action_type for r in results if r.action_type)
            summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"
            sys.stderr.write(f"{len(results)} rows, {sum(counts.values())} matched: {summary}\n")


def _dumps(line: int, result) -> str:
    return json.dumps(
        {
            "line": line,
            "rule": result.rule,
            "action_type": result.action_type,
            "matched_on": result.matched_on,
            "estimate_grams": result.estimate_grams,
        }
    )
