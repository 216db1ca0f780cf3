"""Try a rule on recent transactions before it goes live (the admin's "test" action)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from accounts.models import Transaction
from accounts.normalise import leading_keys
from forest.models import CurrencyRate, GreenActionRule
from forest.rule_catalogue import estimate_grams


@dataclass(frozen=True)
class RuleHit:
    transaction: Transaction
    grams: int


def _as_catalogue_dict(rule: GreenActionRule) -> dict:
    return {
        "estimate_kind": rule.estimate_kind,
        "fixed_grams": rule.fixed_grams,
        "grams_per_unit": str(rule.grams_per_unit),
        "fare_per_km": str(rule.fare_per_km),
        "grams_per_km": str(rule.grams_per_km),
        "substitution_share": str(rule.substitution_share),
        "awards_energy": rule.awards_energy,
    }


def rule_test(*, rule: GreenActionRule, limit: int = 500) -> tuple[int, list[RuleHit]]:
    """Which of the last ``limit`` booked money-out transactions the rule matches, and the grams
    it would estimate (before caps and other rules' priority). Returns (examined, hits)."""
    pattern = (
        re.compile(rule.match_description_regex, re.IGNORECASE)
        if rule.match_description_regex
        else None
    )
    rates = dict(CurrencyRate.objects.values_list("currency", "eur_per_unit"))
    recent = list(
        Transaction.objects.filter(status="booked", amount__lt=0, removed_at__isnull=True).order_by(
            "-id"
        )[:limit]
    )
    rule_dict = _as_catalogue_dict(rule)
    names = set(rule.match_merchants) | set(rule.match_aliases)
    excluded = set(rule.exclude_names)
    hits = []
    for txn in recent:
        matched = (
            (txn.mcc and txn.mcc in rule.match_mccs)
            or _name_matches(txn.merchant_norm or txn.descriptor_norm, names, excluded)
            or (txn.merchant_id and txn.merchant_id in rule.match_merchant_ids)
            or (txn.provider_category and txn.provider_category in rule.match_categories)
            or (pattern is not None and txn.description and pattern.search(txn.description))
        )
        if matched and txn.currency in rates:
            eur = abs(txn.amount) * Decimal(rates[txn.currency])
            hits.append(RuleHit(transaction=txn, grams=estimate_grams(rule_dict, eur)))
    return len(recent), hits


def _name_matches(name: str, names: set[str], excluded: set[str]) -> bool:
    """As scoring compares names: the longest of the first one to three words that the rule
    lists or excludes decides (``forest.scoring.classify``)."""
    for key in reversed(leading_keys(name)):
        if key in excluded:
            return False
        if key in names:
            return True
    return False
