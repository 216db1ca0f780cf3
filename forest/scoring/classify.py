"""Which rule a staged transaction matches: the highest-priority active rule valid on its day.

The rules are few and change rarely, the transactions many. So the rules are turned, once per
chunk, into a small lookup table keyed by matcher value, in which every row already names the
single best rule for that value on the days it covers. A transaction then needs one hash probe
per matcher kind and a comparison, instead of joining every matching rule and ranking them.
Description regexes, the costly matcher, run once per distinct description of the chunk, and
count only where no equality match of a higher-priority rule already decided the transaction.

Names are matched on whole leading words: a rule's merchant "ns" is probed as the first word of
"ns utrecht centraal" (and matches), never inside "nsx holding". Each transaction's name (its
normalised merchant, else what its description names, see ``accounts.normalise``) is probed
with its first one, two and three words, and the longest that a rule names wins: "db
schenker", excluded by the rail rule, beats "db"; "shell recharge" (EV charging) beats
"shell" (fuel). The winning matcher is kept as ``matched_on``, the "why" of the green action.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from django.db.models import Q

from core.sql import Dialect
from forest.models import GreenActionRule, RuleMatcher
from forest.models.rules import NAME_KEY_WORDS
from forest.scoring.sql import ChunkSql

# Open validity ends, as dates, so the lookup joins need no NULL handling.
BEGINNING = date(1, 1, 1)
END = date(9999, 12, 31)


def estimated_grams(rule: str = "r") -> str:
    """A rule's estimate for stage row ``s``, the rule's columns under alias ``rule`` (the rules
    table, or ``score_rulekey``, which copies them) and exchange rate ``fx``: the three formulas
    of PRODUCT.md section 3, on the absolute euro amount (as forest.rule_catalogue does)."""
    r = rule
    return f"""CASE
    WHEN NOT {r}.awards_energy THEN 0
    WHEN {r}.estimate_kind = 'fixed' THEN {r}.fixed_grams
    WHEN {r}.estimate_kind = 'per_currency_unit' THEN CAST(ROUND(
        ABS(s.amount) * fx.eur_per_unit * {r}.grams_per_unit * {r}.substitution_share) AS INTEGER)
    ELSE CAST(ROUND(
        ABS(s.amount) * fx.eur_per_unit / {r}.fare_per_km * {r}.grams_per_km
        * {r}.substitution_share
    ) AS INTEGER)
END"""


ESTIMATED_GRAMS = estimated_grams("r")

# The staged transaction's column for each equality matcher kind; names are probed apart.
KIND_COLUMNS = {
    "mcc": "mcc",
    "merchant_id": "merchant_id",
    "category": "category",
}
# Rule matcher kinds that hold names: compared with the first whole words of the name.
NAME_KINDS = ("merchant", "alias", "exclude")
# The name a staged transaction is recognised by: the merchant's, or, where the bank gave no
# name or only a processor's or bank's, the one its description gives.
STAGE_NAME = "CASE WHEN s.merchant_norm <> '' THEN s.merchant_norm ELSE s.descriptor_norm END"


@dataclass(frozen=True)
class RankedRule:
    """An active rule with its rank: a higher ``key`` wins (priority first, then lower id)."""

    key: int
    rule_id: int
    action_no: int  # the rule's action type as a small number: cheap to partition caps by
    valid_from: date
    valid_to: date
    regex: str
    # What scoring needs of the rule besides its rank (RULE_COLUMNS' order), so the caps
    # statement reads it from ``score_rulekey`` instead of joining the rules table again.
    columns: tuple = ()


# The rule's columns copied into ``score_rulekey``, with their SQL types.
RULE_COLUMNS = (
    ("version", "INTEGER", "int"),
    ("action_type", "VARCHAR(32)", "varchar"),
    ("daily_cap_grams", "INTEGER", "int"),
    ("awards_energy", "BOOLEAN", "bool"),
    ("estimate_kind", "VARCHAR(32)", "varchar"),
    ("fixed_grams", "INTEGER", "int"),
    ("grams_per_unit", "NUMERIC", "numeric"),
    ("fare_per_km", "NUMERIC", "numeric"),
    ("grams_per_km", "NUMERIC", "numeric"),
    ("substitution_share", "NUMERIC", "numeric"),
)


def ranked_rules() -> list[RankedRule]:
    rules = list(
        GreenActionRule.objects.filter(is_active=True)
        .order_by("priority", "-id")
        .values_list(
            "id", "valid_from", "valid_to", "match_description_regex",
            *(name for name, _, _ in RULE_COLUMNS),
        )
    )  # fmt: skip
    type_at = [name for name, _, _ in RULE_COLUMNS].index("action_type") + 4
    action_nos = {name: no for no, name in enumerate(sorted({r[type_at] for r in rules}), start=1)}
    return [
        RankedRule(
            key=rank,
            rule_id=rule_id,
            action_no=action_nos[columns[type_at - 4]],
            valid_from=valid_from or BEGINNING,
            valid_to=valid_to or END,
            regex=regex,
            columns=tuple(columns),
        )
        for rank, (rule_id, valid_from, valid_to, regex, *columns) in enumerate(rules, start=1)
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


def rule_matchers(rules: list[RankedRule]) -> list[tuple[int, str, str]]:
    """``(rule id, kind, value)`` of the non-empty matchers of ``rules``, in a fixed order."""
    return list(
        RuleMatcher.objects.filter(~Q(value=""), rule_id__in=[r.rule_id for r in rules])
        .order_by("rule_id", "kind", "value")
        .values_list("rule_id", "kind", "value")
    )


def lookup_rows(
    rules: list[RankedRule], matchers: list[tuple[int, str, str]] | None = None
) -> list[tuple[str, str, date, date, int, str]]:
    """``(kind, value, from, to, key, source)`` rows for the equality matchers of the active
    rules. Merchant names and aliases become ``name`` rows cut to their first
    ``NAME_KEY_WORDS`` words, with the source that put them there; an excluded name that no
    rule claims becomes a ``name`` row of key 0, which names no rule: a transaction whose name
    starts with it matches no rule by name, however a shorter name would have matched."""
    by_id = {rule.rule_id: rule for rule in rules}
    grouped: dict[tuple[str, str], dict[int, str]] = {}
    excluded: set[str] = set()
    for rule_id, kind, value in rule_matchers(rules) if matchers is None else matchers:
        if kind in NAME_KINDS:
            value = " ".join(value.split()[:NAME_KEY_WORDS])
            if kind == "exclude":
                excluded.add(value)
                continue
            sources = grouped.setdefault(("name", value), {})
            # A rule that lists a name as merchant and alias matched on its merchant.
            if sources.get(rule_id) != "merchant":
                sources[rule_id] = kind
        else:
            grouped.setdefault((kind, value), {})[rule_id] = kind
    rows: list[tuple[str, str, date, date, int, str]] = []
    for (kind, value), sources in sorted(grouped.items()):
        candidates = [by_id[rule_id] for rule_id in sources]
        source_of = {by_id[rule_id].key: source for rule_id, source in sources.items()}
        rows.extend(
            (kind, value, start, stop, key, source_of[key])
            for start, stop, key in lookup_segments(candidates)
        )
    rows.extend(
        ("name", value, BEGINNING, END, 0, "exclude")
        for value in sorted(excluded)
        if ("name", value) not in grouped
    )
    return rows


def regex_rules(rules: list[RankedRule]) -> list[RankedRule]:
    """The rules with a description regex, best first."""
    return sorted((r for r in rules if r.regex), key=lambda r: -r.key)


def best_rule_select(
    dialect: Dialect,
    rules: list[RankedRule],
    kinds: set[str],
    where: str,
    *,
    columns: str = "",
) -> tuple[str, dict]:
    """SQL for the staged transactions that satisfy ``where`` (on alias ``s``) and match a
    rule: ``(txn_id, user_id, amount, currency, booking_date, rule_id, action_no,
    matched_on)``, then ``columns`` (of ``score_rulekey k``, see ``RULE_COLUMNS``), with its
    params.

    One hash probe per matcher kind and transaction: the MCC, the merchant id, the category,
    and the name's first one, two and three words (the longest that is a rule's name wins).
    Expects the ``score_lookup`` and ``score_rulekey`` temp tables of ``rule_lookup_load``.
    """
    joins, keys, labels = [], [], []

    def probe(alias: str, kind: str, value: str) -> None:
        joins.append(
            f"LEFT JOIN score_lookup {alias} ON {alias}.kind = '{kind}' "
            f"AND {alias}.value = {value} AND {alias}.seg_from <= s.booking_date "
            f"AND s.booking_date < {alias}.seg_to"
        )

    words, leading = dialect.leading_words_once("s.name", NAME_KEY_WORDS)
    if "name" in kinds:
        depths = range(NAME_KEY_WORDS, 0, -1)  # longest first: it wins
        for n in depths:
            probe(f"l_n{n}", "name", leading[n - 1])
        name_key = f"COALESCE({', '.join(f'l_n{n}.rkey' for n in depths)}, 0)"
        name_source = f"COALESCE({', '.join(f'l_n{n}.src' for n in depths)}, '')"
        keys.append(name_key)
        labels.append(
            (
                name_key,
                "CASE WHEN s.merchant_norm = '' THEN 'description' "
                f"WHEN {name_source} = 'alias' THEN 'alias' ELSE 'merchant' END",
            )
        )
    for kind, column in KIND_COLUMNS.items():
        if kind not in kinds:
            continue
        probe(f"l_{kind}", kind, f"s.{column}")
        keys.append(f"COALESCE(l_{kind}.rkey, 0)")
        labels.append((keys[-1], f"'{kind}'"))
    if not keys:
        equal = "0"
    elif len(keys) == 1:
        equal = keys[0]
    else:
        equal = f"{dialect.greatest}({', '.join(keys)})"
    # Which matcher decided: the first kind whose key is the winning one.
    cases = " ".join(f"WHEN {equal} = {key} THEN {label}" for key, label in labels)
    equal_on = f"CASE WHEN {equal} = 0 THEN '' {cases} ELSE '' END" if labels else "''"

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
    best = f"CASE {' '.join(branches)} ELSE s.equal END" if branches else "s.equal"
    matches = "".join(f", rx.m{i} AS rx_m{i}" for i in range(len(branches)))
    extra = f", {columns}" if columns else ""
    staged = f"""SELECT s.txn_id, s.user_id, s.amount, s.currency, s.booking_date, s.description,
                        {STAGE_NAME} AS name, s.mcc, s.merchant_id, s.category, s.merchant_norm
                 FROM score_stage s WHERE {where}"""
    if words:
        # The name's words split once per row (fence), not once per probe that names them.
        staged = f"SELECT s.*, {words} FROM ({staged}) s{dialect.fence}"
    rx_join = "LEFT JOIN score_rx rx ON rx.description = s.description" if branches else ""
    # The winning key is worked out once per row (fence), then named by the CASEs above it.
    sql = f"""SELECT s.txn_id, s.user_id, s.amount, s.currency, s.booking_date, k.rule_id,
                     k.action_no,
                     CASE WHEN s.rkey = s.equal THEN s.equal_on ELSE 'description' END
                         AS matched_on{extra}
              FROM (
                  SELECT s.*, {best} AS rkey FROM (
                      SELECT s.*, {equal} AS equal, {equal_on} AS equal_on{matches}
                      FROM ({staged}) s
                      {" ".join(joins)} {rx_join}{dialect.fence}
                  ) s
              ) s
              JOIN score_rulekey k ON k.rkey = s.rkey"""
    return sql, params


def rule_lookup_load(sql: ChunkSql) -> None:
    """Load the active rules' lookup tables (see ``forest.scoring.classify``) for this chunk.

    On PostgreSQL the tables are kept for the database session with their rows, next to a
    fingerprint of the rules and matchers they were made from: a chunk whose rules are those of
    the session's previous chunk (every chunk of a night, unless an operator edits a rule or a
    regex is quarantined) reads the rules and matchers and compares, instead of building and
    loading some eight hundred rows again. A rolled-back chunk takes its reload with it, the
    fingerprint included; a table made anew (a new session, or dropped by someone) reloads.
    """
    rules = ranked_rules()
    matchers = rule_matchers(rules)
    fingerprint = hashlib.md5(repr((rules, matchers)).encode(), usedforsecurity=False).hexdigest()
    made = {
        "score_lookup": sql.temp(
            "score_lookup",
            "kind VARCHAR(16) NOT NULL, value VARCHAR(200) NOT NULL, seg_from DATE NOT NULL, "
            "seg_to DATE NOT NULL, rkey INTEGER NOT NULL, src VARCHAR(16) NOT NULL",
            keep_rows=True,
        ),
        "score_rulekey": sql.temp(
            "score_rulekey",
            "rkey INTEGER PRIMARY KEY, rule_id BIGINT NOT NULL, action_no INTEGER NOT NULL, "
            + ", ".join(f"{name} {kind}" for name, kind, _ in RULE_COLUMNS),
            keep_rows=True,
        ),
        "score_rules_loaded": sql.temp(
            "score_rules_loaded",
            "fingerprint VARCHAR(32) NOT NULL, kinds VARCHAR(200) NOT NULL",
            keep_rows=True,
        ),
    }
    loaded = (
        [] if any(made.values()) else sql.rows("SELECT fingerprint, kinds FROM score_rules_loaded")
    )
    if loaded and loaded[0][0] == fingerprint:
        kinds = set(loaded[0][1].split(",")) - {""}
    else:
        rows = lookup_rows(rules, matchers)
        kinds = {row[0] for row in rows}
        for name, new in made.items():
            if not new:  # kept from an earlier chunk: whatever it holds goes
                sql.run(f"DELETE FROM {name}")
        # One statement for all rows (hundreds of matchers) on PostgreSQL, not one round trip
        # each.
        sql.insert_rows(
            "score_lookup", ["varchar", "varchar", "date", "date", "int", "varchar"], rows
        )
        sql.insert_rows(
            "score_rulekey",
            ["int", "bigint", "int", *(kind for _, _, kind in RULE_COLUMNS)],
            [(r.key, r.rule_id, r.action_no, *r.columns) for r in rules],
        )
        sql.run(
            "INSERT INTO score_rules_loaded (fingerprint, kinds) VALUES (%(fp)s, %(kinds)s)",
            {"fp": fingerprint, "kinds": ",".join(sorted(kinds))},
        )
        # Without statistics the planner takes a new temp table for one row and loops over it
        # per transaction; a few hundred rows are analysed in a millisecond. (PostgreSQL only.)
        sql.analyze("score_lookup")
        sql.analyze("score_rulekey")
    sql.rules = rules
    sql.kinds = kinds
    patterns = [rule.regex for rule in regex_rules(rules)]
    if patterns:
        # Each regex once per distinct description, not once per transaction: card payments
        # repeat their descriptions, and PostgreSQL's case-insensitive regexes cost
        # microseconds a row.
        sql.temp(
            "score_rx",
            "description TEXT NOT NULL, "
            + ", ".join(f"m{i} INTEGER" for i in range(len(patterns))),
            reuse=False,
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
        # A few dozen rows, but unanalysed the planner guesses 1,270 and sorts the whole
        # stage by description to merge-join them. (PostgreSQL only.)
        sql.analyze("score_rx")


def best_rule_for(sql: ChunkSql, where: str, *, columns: str = "") -> tuple[str, dict]:
    """``best_rule_select`` for the rules ``rule_lookup_load`` put in this chunk's tables."""
    return best_rule_select(sql.d, sql.rules, sql.kinds, where, columns=columns)
