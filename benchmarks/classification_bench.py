"""How well the rules recognise green transactions in real bank lines: precision and recall.

    python benchmarks/classification_bench.py [--verbose] [--split tune|holdout|all]

Reads the labelled descriptors in ``benchmarks/data/descriptors_*.csv`` (Dutch, Belgian,
German, French, British and US bank lines in the shapes their exports use: card descriptors,
SEPA remittance lines, direct debits; with look-alikes that must not match) and classifies
them with the nightly scoring's own SQL (``forest.scoring.preview``) and the rules in the
database, twice: as the bank gave them, and with the MCC removed (SEPA transfers and most
European exports carry none). ``tune`` is the part the rules were tuned on; ``holdout`` was
written after the tuning and is reported on its own.

Without ``DATABASE_URL`` it migrates a scratch SQLite file; with one, it uses that database
(migrated first), so an operator's rule edits are what is measured.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "benchmarks" / "data"
SPLITS = {"tune": DATA / "descriptors_tune.csv", "holdout": DATA / "descriptors_holdout.csv"}
GREEN = ("public_transport", "rail", "bike", "second_hand", "repair_rental", "ev_charging",
         "paperless")  # fmt: skip
TARGETS = {"precision": 0.98, "recall_with_mcc": 0.95, "recall_without_mcc": 0.90}


def setup_django() -> None:
    if not os.environ.get("DATABASE_URL"):
        scratch = Path(tempfile.gettempdir()) / "canopy_class_bench.db"
        scratch.unlink(missing_ok=True)  # the seed rules as this checkout has them
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load(split: str) -> list[dict]:
    rows: list[dict] = []
    for name, path in SPLITS.items():
        if split not in ("all", name) or not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                rows.append({**row, "split": name, "line": len(rows) + 2})
    return rows


def scores(expected: list[str], predicted: list[str]) -> dict[str, tuple[int, int, int]]:
    """Per action type (and "green", all green types together): (true pos, predicted, actual)."""
    out: dict[str, list[int]] = {}
    for want, got in zip(expected, predicted, strict=True):
        for kind in {want, got} - {""}:
            tp, pred, actual = out.setdefault(kind, [0, 0, 0])
            out[kind] = [tp + (want == got), pred + (got == kind), actual + (want == kind)]
        green = out.setdefault("green", [0, 0, 0])
        green[0] += want == got and want in GREEN
        green[1] += got in GREEN
        green[2] += want in GREEN
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def report(title: str, rows: list[dict], predicted: list[str]) -> dict[str, float]:
    expected = [r["expected"] for r in rows]
    table = scores(expected, predicted)
    print(f"\n{title} ({len(rows)} lines)")
    print(f"  {'action type':<18} {'precision':>9} {'recall':>7} {'found':>6} {'labelled':>8}")
    for kind in [*GREEN, "negative_signal", "green"]:
        if kind not in table:
            continue
        tp, pred, actual = table[kind]
        label = "ALL GREEN" if kind == "green" else kind
        print(f"  {label:<18} {ratio(tp, pred):>9.3f} {ratio(tp, actual):>7.3f} "
              f"{pred:>6} {actual:>8}")  # fmt: skip
    tp, pred, actual = table["green"]
    return {"precision": ratio(tp, pred), "recall": ratio(tp, actual)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["tune", "holdout", "all"], default="all")
    parser.add_argument("--verbose", action="store_true", help="list every wrong line")
    args = parser.parse_args()
    setup_django()
    from forest.scoring.preview import DescriptorRow, classify_rows

    rows = load(args.split)
    given = [
        DescriptorRow(
            description=r["description"], merchant_name=r["merchant_name"], mcc=r["mcc"],
            amount=Decimal(r["amount"] or "0"), currency=r["currency"] or "EUR",
            category=r["category"],
        )
        for r in rows
    ]  # fmt: skip
    with_mcc = classify_rows(given)
    without_mcc = classify_rows([replace(row, mcc="") for row in given])
    failed = False
    for split in ("tune", "holdout", "all") if args.split == "all" else (args.split,):
        part = [i for i, r in enumerate(rows) if split in ("all", r["split"])]
        if not part:
            continue
        picked = [rows[i] for i in part]
        with_result = report(
            f"[{split}] as the bank gave them (MCC where there is one)",
            picked, [with_mcc[i].action_type or "" for i in part],
        )  # fmt: skip
        without_result = report(
            f"[{split}] without MCC",
            picked, [without_mcc[i].action_type or "" for i in part],
        )  # fmt: skip
        has_mcc = [i for i in part if rows[i]["mcc"]]
        if has_mcc:
            report(
                f"[{split}] only the lines that have an MCC",
                [rows[i] for i in has_mcc], [with_mcc[i].action_type or "" for i in has_mcc],
            )  # fmt: skip
        checks = {
            "precision": min(with_result["precision"], without_result["precision"]),
            "recall_with_mcc": with_result["recall"],
            "recall_without_mcc": without_result["recall"],
        }
        verdict = ", ".join(
            f"{k} {v:.3f} {'ok' if v >= TARGETS[k] else 'BELOW ' + str(TARGETS[k])}"
            for k, v in checks.items()
        )
        failed |= any(v < TARGETS[k] for k, v in checks.items())
        print(f"  => [{split}] {verdict}")
    if args.verbose:
        print("\nwrong lines (split, line, expected, with MCC, without MCC, why, name):")
        for i, r in enumerate(rows):
            got, bare = with_mcc[i].action_type or "", without_mcc[i].action_type or ""
            if got != r["expected"] or bare != r["expected"]:
                print(f"  {r['split']}:{r['line']} want={r['expected'] or '-'} got={got or '-'}"
                      f"/{bare or '-'} on={with_mcc[i].matched_on or '-'}/"
                      f"{without_mcc[i].matched_on or '-'} | {r['merchant_name']} | "
                      f"{r['description'][:90]}")  # fmt: skip
    counts = Counter(r["expected"] or "(none)" for r in rows)
    print("\nlabels:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
