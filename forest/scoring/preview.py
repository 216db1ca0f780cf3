"""Classify descriptor rows without storing them: the nightly scoring's own SQL on a stage of
rows that are not transactions (``manage.py classify_descriptors``, the classification bench).

The rows go into the same ``score_stage`` temp table a scoring chunk fills, named the way the
importer names them (``accounts.normalise.transaction_names``), and the rules' lookup tables
and ``best_rule_select`` of ``forest.scoring.classify`` pick the rule: what this module answers
is what the next night would award, before caps, for a transaction with these fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.normalise import transaction_names
from core.sql import current_dialect
from forest.scoring.classify import ESTIMATED_GRAMS, best_rule_for, rule_lookup_load
from forest.scoring.engine import STAGE_COLUMNS
from forest.scoring.sql import RATES, RULES, ChunkSql

_TEMP_TABLES = ("score_stage", "score_lookup", "score_rulekey", "score_rules_loaded", "score_rx")
_STAGE_TYPES = [
    "bigint", "bigint", "numeric", "varchar", "date", "varchar", "varchar", "varchar",
    "varchar", "varchar", "text", "boolean",
]  # fmt: skip


@dataclass(frozen=True)
class DescriptorRow:
    """One bank line as a bank export gives it; ``amount`` negative or positive, either way."""

    description: str = ""
    merchant_name: str = ""
    mcc: str = ""
    amount: Decimal = Decimal("0")
    currency: str = "EUR"
    category: str = ""


@dataclass(frozen=True)
class Classification:
    rule: str | None
    action_type: str | None
    matched_on: str
    estimate_grams: int


def classify_rows(rows: list[DescriptorRow], *, day: date | None = None) -> list[Classification]:
    """The rule each row would match on ``day`` (today by default), in row order, with what
    matched and the estimate before the daily cap. Rolled back: nothing is written."""
    day = day or timezone.localdate()
    stage = []
    for i, row in enumerate(rows, start=1):
        merchant_norm, descriptor_norm = transaction_names(row.merchant_name, row.description)
        stage.append(
            (
                i, 0, -abs(row.amount), row.currency or "EUR", day, row.mcc, merchant_norm,
                descriptor_norm, "", row.category, row.description, False,
            )
        )  # fmt: skip
    dialect = current_dialect()
    found: dict[int, tuple] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        sql = ChunkSql(cursor, dialect)
        sql.temp("score_stage", STAGE_COLUMNS)
        if stage:
            sql.insert_rows("score_stage", _STAGE_TYPES, stage)
        sql.analyze("score_stage")
        rule_lookup_load(sql)
        best, params = best_rule_for(sql, "1 = 1")
        for txn_id, code, action_type, matched_on, grams in sql.rows(
            f"""SELECT s.txn_id, r.code, r.action_type, s.matched_on, {ESTIMATED_GRAMS}
                FROM ({best}) s
                JOIN {RULES} r ON r.id = s.rule_id
                LEFT JOIN {RATES} fx ON fx.currency = s.currency""",
            params,
        ):
            found[int(txn_id)] = (code, action_type, matched_on, int(grams or 0))
        for name in _TEMP_TABLES:
            for statement in dialect.drop_temp(name):
                cursor.execute(statement)
    return [
        Classification(*found[i]) if i in found else Classification(None, None, "", 0)
        for i in range(1, len(rows) + 1)
    ]
