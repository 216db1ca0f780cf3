"""Rule edits: every change bumps the version, snapshots it and rebuilds the matcher rows."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.forms.models import model_to_dict

from core.locks import lock_rows
from forest.models import GreenActionRule, GreenActionRuleVersion, RuleMatcher

# Fields whose change alters what a rule awards: editing them makes a new version.
VERSIONED_FIELDS = [
    "action_type", "priority", "match_mccs", "match_merchants", "match_aliases",
    "exclude_names", "match_merchant_ids",
    "match_categories", "match_description_regex", "estimate_kind", "fixed_grams",
    "grams_per_unit", "fare_per_km", "grams_per_km", "substitution_share", "method", "source",
    "daily_cap_grams", "awards_energy", "valid_from", "valid_to", "is_active",
]  # fmt: skip


def _snapshot(rule: GreenActionRule) -> dict:
    data = model_to_dict(rule, fields=["code", "name_en", "name_nl", *VERSIONED_FIELDS])
    return {
        k: (str(v) if isinstance(v, Decimal) else v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in data.items()
    }


def matcher_rows(rule: GreenActionRule) -> list[RuleMatcher]:
    rows: list[RuleMatcher] = []
    for kind, values in (
        (RuleMatcher.Kind.MCC, rule.match_mccs),
        (RuleMatcher.Kind.MERCHANT, rule.match_merchants),
        (RuleMatcher.Kind.ALIAS, rule.match_aliases),
        (RuleMatcher.Kind.EXCLUDE, rule.exclude_names),
        (RuleMatcher.Kind.MERCHANT_ID, rule.match_merchant_ids),
        (RuleMatcher.Kind.CATEGORY, rule.match_categories),
    ):
        rows.extend(RuleMatcher(rule=rule, kind=kind, value=v) for v in dict.fromkeys(values))
    return rows


@transaction.atomic
def rule_save(*, rule: GreenActionRule) -> GreenActionRule:
    """Validate and save a rule; a change to what it awards becomes a new version."""
    rule.full_clean()
    if rule.pk is None:
        rule.version = 1
        rule.save()
    else:
        before = lock_rows(GreenActionRule.objects).get(pk=rule.pk)
        changed = any(getattr(before, f) != getattr(rule, f) for f in VERSIONED_FIELDS)
        if changed:
            rule.version = before.version + 1
        rule.save()
    if not GreenActionRuleVersion.objects.filter(rule=rule, version=rule.version).exists():
        GreenActionRuleVersion.objects.create(
            rule=rule, version=rule.version, snapshot=_snapshot(rule)
        )
    RuleMatcher.objects.filter(rule=rule).delete()
    if rule.is_active:
        RuleMatcher.objects.bulk_create(matcher_rows(rule))
    return rule
