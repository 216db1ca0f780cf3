"""Which rule a staged transaction matches: the highest-priority active rule valid on its day.

The rules are few and change rarely, the transactions many. So the rules are turned, once per
chunk, into a small lookup table keyed by matcher value, in which every row already names the
single best rule for that value on the days it covers. A transaction then needs one hash probe
per matcher kind and a comparison, instead of joining every matching rule and ranking them.
Description regexes, the costly matcher, run once per distinct description of the chunk, and
count only where no equality match of a higher-priority rule already decided the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from django.db.models import Q

from core.sql import Dialect
from forest.models import GreenActionRule, RuleMatcher
from forest.scoring.sql import ChunkSql

# Open validity ends, as dates, so the lookup joins need no NULL handling.
BEGINNING = date(1, 1, 1)
END = date(9999, 12, 31)

# A rule's estimate for stage row ``s`` joined to rule ``r`` and exchange rate ``fx``: the three
# formulas of PRODUCT.md section 3, on the absolute euro amount (as forest.rule_catalogue does).
ESTIMATED_GRAMS = """CASE
    WHEN NOT r.awards_energy THEN 0
    WHEN r.estimate_kind = 'fixed' THEN r.fixed_grams
    WHEN r.estimate_kind = 'per_currency_unit' THEN CAST(ROUND(
        ABS(s.amount) * fx.eur_per_unit * r.grams_per_unit * r.substitution_share) AS INTEGER)
    ELSE CAST(ROUND(
        ABS(s.amount) * fx.eur_per_unit / r.fare_per_km * r.grams_per_km * r.substitution_share
    ) AS INTEGER)
END"""

# The staged transaction's column for each equality matcher kind.
KIND_COLUMNS = {
    "mcc": "mcc",
    "merchant": "merchant_norm",
    "merchant_id": "merchant_id",
    "category": "category",
}


@dataclass(frozen=True)
class RankedRule:
    """An active rule with its rank: a higher ``key`` wins (priority first, then lower id)."""

    key: int
    rule_id: int
    action_no: int  # the rule's action type as a small number: cheap to partition caps by
    valid_from: date
    valid_to: date
    regex: str


def ranked_rules() -> list[RankedRule]:
    rules = list(
        GreenActionRule.objects.filter(is_active=True)
        .order_by("priority", "-id")
        .values_list("id", "valid_from", "valid_to", "match_description_regex", "action_type")
    )
    action_nos = {name: no for no, name in enumerate(sorted({r[4] for r in rules}), start=1)}
    return [
        RankedRule(
            key=rank,
            rule_id=rule_id,
            action_no=action_nos[action_type],
            valid_from=valid_from or BEGINNING,
            valid_to=valid_to or END,
            regex=regex,
        )
        for rank, (rule_id, valid_from, valid_to, regex, action_type) in enumerate(rules, start=1)
    ]


def lookup_segments(candidates: list[RankedRule]) -> list[tuple[date, date, int]]:
    """Split time at every validity bound of ``candidates`` (the rules sharing one matcher
    value) and name the best rule valid in each piece: ``(from, to, key)`` rows that never
    overlap, so joining on them yields at most one rule per transaction and kind."""
    if all(c.valid_from == BEGINNING and c.valid_to == END for c in candidates):
        return [(BEGINNING, END, max(c.key for c in candidates))]
    bounds = sorted(
        {BEGINNING, END} | {c.valid_from for c in candidates} | {c.valid_to for c in candidates}
    )
    segments: list[tuple[date, date, int]] = []
    for start, stop in pairwise(bounds):
        valid = [c.key for c in candidates if c.valid_from <= start and stop <= c.valid_to]
        if not valid:
            continue
        best = max(valid)
        if segments and segments[-1][2] == best and segments[-1][1] == start:
            segments[-1] = (segments[-1][0], stop, best)  # merge with the previous piece
        else:
            segments.append((start, stop, best))
    return segments


def lookup_rows(rules: list[RankedRule]) -> list[tuple[str, str, date, date, int]]:
    """``(kind, value, from, to, key)`` rows for every equality matcher of the active rules."""
    by_id = {rule.rule_id: rule for rule in rules}
    grouped: dict[tuple[str, str], list[RankedRule]] = {}
    for rule_id, kind, value in RuleMatcher.objects.filter(
        ~Q(value=""), rule_id__in=by_id
    ).values_list("rule_id", "kind", "value"):
        grouped.setdefault((kind, value), []).append(by_id[rule_id])
    return [
        (kind, value, start, stop, key)
        for (kind, value), candidates in sorted(grouped.items())
        for start, stop, key in lookup_segments(candidates)
    ]


def regex_rules(rules: list[RankedRule]) -> list[RankedRule]:
    """The rules with a description regex, best first."""
    return sorted((r for r in rules if r.regex), key=lambda r: -r.key)


def best_rule_select(
    dialect: Dialect, rules: list[RankedRule], kinds: set[str], where: str
) -> tuple[str, dict]:
    """SQL for the staged transactions that satisfy ``where`` (on alias ``s``) and match a
    rule: ``(txn_id, user_id, amount, currency, booking_date, rule_id, action_no)``, with its
    params.

    Expects the ``score_lookup`` and ``score_rulekey`` temp tables of ``rule_lookup_load``.
    """
    joins, keys = [], []
    for kind, column in KIND_COLUMNS.items():
        if kind not in kinds:
            continue
        alias = f"l_{kind}"
        joins.append(
            f"LEFT JOIN score_lookup {alias} ON {alias}.kind = '{kind}' "
            f"AND {alias}.value = s.{column} AND {alias}.seg_from <= s.booking_date "
            f"AND s.booking_date < {alias}.seg_to"
        )
        keys.append(f"COALESCE({alias}.rkey, 0)")
    if not keys:
        equal = "0"
    elif len(keys) == 1:
        equal = keys[0]
    else:
        equal = f"{dialect.greatest}({', '.join(keys)})"

    # Regex rules in rank order: each counts only if nothing better matched already. Their
    # matches were worked out once per distinct description, in ``score_rx``.
    params: dict = {}
    branches = []
    for i, rule in enumerate(regex_rules(rules)):
        params.update({f"rxf{i}": rule.valid_from, f"rxt{i}": rule.valid_to})
        branches.append(
            f"WHEN s.equal >= {rule.key} THEN s.equal "
            f"WHEN s.rx_m{i} = 1 AND s.booking_date >= %(rxf{i})s "
            f"AND s.booking_date < %(rxt{i})s THEN {rule.key}"
        )
    if branches:
        joins.append("LEFT JOIN score_rx rx ON rx.description = s.description")
    best = f"CASE {' '.join(branches)} ELSE s.equal END" if branches else "s.equal"
    matches = "".join(f", rx.m{i} AS rx_m{i}" for i in range(len(branches)))
    sql = f"""SELECT s.txn_id, s.user_id, s.amount, s.currency, s.booking_date, k.rule_id,
                     k.action_no
              FROM (
                  SELECT s.*, {best} AS rkey FROM (
                      SELECT s.*, {equal} AS equal{matches}
                      FROM score_stage s
                      {" ".join(joins)}
                      WHERE {where}
                  ) s
              ) s
              JOIN score_rulekey k ON k.rkey = s.rkey"""
    return sql, params


def rule_lookup_load(sql: ChunkSql) -> None:
    """Load the active rules' lookup tables (see ``forest.scoring.classify``) for this chunk."""
    rules = ranked_rules()
    rows = lookup_rows(rules)
    sql.temp(
        "score_lookup",
        "kind VARCHAR(16) NOT NULL, value VARCHAR(200) NOT NULL, seg_from DATE NOT NULL, "
        "seg_to DATE NOT NULL, rkey INTEGER NOT NULL",
    )
    sql.temp(
        "score_rulekey",
        "rkey INTEGER PRIMARY KEY, rule_id BIGINT NOT NULL, action_no INTEGER NOT NULL",
    )
    # One statement for all rows (hundreds of matchers) on PostgreSQL, not one round trip each.
    sql.insert_rows("score_lookup", ["varchar", "varchar", "date", "date", "int"], rows)
    sql.insert_rows(
        "score_rulekey",
        ["int", "bigint", "int"],
        [(r.key, r.rule_id, r.action_no) for r in rules],
    )
    # Without statistics the planner takes a new temp table for one row and loops over it per
    # transaction; a few hundred rows are analysed in a millisecond. (PostgreSQL only.)
    sql.analyze("score_lookup")
    sql.analyze("score_rulekey")
    sql.rules = rules
    sql.kinds = {row[0] for row in rows}
    patterns = [rule.regex for rule in regex_rules(rules)]
    if patterns:
        # Each regex once per distinct description, not once per transaction: card payments
        # repeat their descriptions, and PostgreSQL's case-insensitive regexes cost
        # microseconds a row.
        sql.temp(
            "score_rx",
            "description TEXT NOT NULL, "
            + ", ".join(f"m{i} INTEGER" for i in range(len(patterns))),
        )
        tests = ", ".join(
            f"CASE WHEN {sql.d.regex_match('d.description', f'%(rx{i})s')} THEN 1 ELSE 0 END"
            for i in range(len(patterns))
        )
        sql.run(
            f"""INSERT INTO score_rx
                SELECT d.description, {tests}
                FROM (SELECT DISTINCT description FROM score_stage WHERE description <> '') d""",
            {f"rx{i}": pattern for i, pattern in enumerate(patterns)},
        )


def best_rule_for(sql: ChunkSql, where: str) -> tuple[str, dict]:
    """``best_rule_select`` for the rules ``rule_lookup_load`` put in this chunk's tables."""
    return best_rule_select(sql.d, sql.rules, sql.kinds, where)
