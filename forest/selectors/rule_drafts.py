"""Try an unsaved rule on recent transactions: the admin's "Test this draft" button.

A draft is a ``GreenActionRule`` that is only in memory (the admin form's cleaned instance),
so scoring's lookup tables, built from the saved rules, cannot answer for it. Instead its
matchers become one query over a bounded window of recent transactions, compared the way
scoring compares them (``forest.scoring.classify``): MCC, merchant id and category by equality,
names on whole leading words with the longest listed or excluded name deciding, the
description regex case-insensitively by the database's own engine. Only reads: nothing is
written, and the rule in the database is not touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    When,
)
from django.utils import timezone

from accounts.models import Transaction
from forest.models import CurrencyRate, GreenAction, GreenActionRule
from forest.models.rules import NAME_KEY_WORDS
from forest.rule_catalogue import estimate_grams

DRAFT_TEST_DAYS = 30
# The newest this many money-out transactions of the window are examined: bounded work for a
# button press, however large the table (a backwards walk of the primary key).
DRAFT_TEST_LIMIT = 20_000
DRAFT_TEST_SAMPLES = 15

# The matcher kinds in the order they are reported; "name" covers merchants and aliases.
KINDS = ("mcc", "name", "merchant_id", "category", "description")


@dataclass(frozen=True)
class DraftSample:
    transaction_id: int
    booking_date: date | None
    merchant: str
    description: str
    mcc: str
    amount: Decimal
    currency: str
    matched_on: list[str]
    grams: int | None  # None: no exchange rate for the currency
    scored_now_as: str  # the rule code of its live green action today, "" if none


@dataclass(frozen=True)
class DraftTestResult:
    days: int
    limit: int
    examined: int
    matched: int
    by_kind: dict[str, int]
    grams: int
    unpriced: int
    samples: list[DraftSample] = field(default_factory=list)


def _name_keys(names: list[str]) -> list[str]:
    """A name is compared on at most its first ``NAME_KEY_WORDS`` words, as scoring cuts it."""
    keys = (" ".join(str(n).split()[:NAME_KEY_WORDS]) for n in names if n)
    return list(dict.fromkeys(k for k in keys if k))


def _starts_with_words(key: str) -> Q:
    return Q(draft_name=key) | Q(draft_name__startswith=key + " ")


def _name_q(rule: GreenActionRule) -> Q | None:
    """The transaction's name starts with a listed name, and no excluded name as long or
    longer does too: the longest matching name decides (``accounts.normalise.leading_keys``)."""
    names = _name_keys([*rule.match_merchants, *rule.match_aliases])
    excluded = _name_keys(rule.exclude_names)
    if not names:
        return None
    q = Q()
    for key in names:
        this = _starts_with_words(key)
        for other in excluded:
            if other == key or other.startswith(key + " "):
                this &= ~_starts_with_words(other)
        q |= this
    return q


def _kind_qs(rule: GreenActionRule) -> dict[str, Q]:
    qs: dict[str, Q] = {}
    if rule.match_mccs:
        qs["mcc"] = Q(mcc__in=list(rule.match_mccs))
    if (name := _name_q(rule)) is not None:
        qs["name"] = name
    if rule.match_merchant_ids:
        qs["merchant_id"] = Q(merchant_id__in=list(rule.match_merchant_ids))
    if rule.match_categories:
        qs["category"] = Q(provider_category__in=list(rule.match_categories))
    if rule.match_description_regex:
        qs["description"] = Q(description__iregex=rule.match_description_regex)
    return qs


def _estimate_dict(rule: GreenActionRule) -> dict:
    return {
        "code": rule.code,
        "estimate_kind": rule.estimate_kind,
        "fixed_grams": rule.fixed_grams,
        "grams_per_unit": rule.grams_per_unit,
        "fare_per_km": rule.fare_per_km,
        "grams_per_km": rule.grams_per_km,
        "substitution_share": rule.substitution_share,
        "awards_energy": rule.awards_energy,
    }


def rule_draft_test(
    *,
    rule: GreenActionRule,
    days: int = DRAFT_TEST_DAYS,
    limit: int = DRAFT_TEST_LIMIT,
    samples: int = DRAFT_TEST_SAMPLES,
) -> DraftTestResult:
    """What ``rule`` (saved or not) would match among the newest ``limit`` booked money-out
    transactions of the last ``days`` days, and the grams it would estimate before daily caps
    and before other rules of higher priority claim a transaction. Three queries: the counts,
    the amounts by currency, the samples."""
    since = timezone.localdate() - timedelta(days=days)
    window_ids = (
        Transaction.objects.filter(
            status="booked", amount__lt=0, removed_at__isnull=True, booking_date__gte=since
        )
        .order_by("-id")
        .values("id")[:limit]
    )
    window = Transaction.objects.filter(id__in=window_ids).annotate(
        draft_name=Case(
            When(merchant_norm="", then=F("descriptor_norm")),
            default=F("merchant_norm"),
            output_field=CharField(),
        )
    )
    kind_qs = _kind_qs(rule)
    if not kind_qs:
        examined = window.count()
        return DraftTestResult(days, limit, examined, 0, dict.fromkeys(KINDS, 0), 0, 0)
    any_kind = Q()
    for q in kind_qs.values():
        any_kind |= q
    totals = window.aggregate(
        examined=Count("id"),
        matched=Count("id", filter=any_kind),
        **{f"by_{kind}": Count("id", filter=q) for kind, q in kind_qs.items()},
    )
    by_kind = {kind: totals.get(f"by_{kind}", 0) for kind in KINDS}
    matches = window.filter(any_kind)

    rates = dict(CurrencyRate.objects.values_list("currency", "eur_per_unit"))
    estimate = _estimate_dict(rule)
    grams, unpriced = 0, 0
    per_currency = (
        matches.order_by().values("currency").annotate(n=Count("id"), total=Sum("amount"))
    )
    for row in per_currency:
        if row["currency"] not in rates:
            unpriced += row["n"]
        elif rule.estimate_kind == "fixed":
            grams += row["n"] * estimate_grams(estimate, Decimal(0))
        else:  # linear in the amount: the sum's estimate, rounded once
            eur = abs(row["total"] or 0) * Decimal(rates[row["currency"]])
            grams += estimate_grams(estimate, eur)

    live_rule = GreenAction.objects.filter(
        transaction_id=OuterRef("pk"), reversed_at__isnull=True
    ).values("rule__code")[:1]
    flags = {
        f"on_{kind}": ExpressionWrapper(q, output_field=BooleanField())
        for kind, q in kind_qs.items()
    }
    sample_rows = (
        matches.annotate(scored_now_as=Subquery(live_rule), **flags)
        .order_by("-booking_date", "-id")
        .values(
            "id", "booking_date", "merchant_name", "draft_name", "description", "mcc", "amount",
            "currency", "scored_now_as", *flags,
        )[:samples]
    )  # fmt: skip
    sample_list = []
    for row in sample_rows:
        rate = rates.get(row["currency"])
        sample_list.append(
            DraftSample(
                transaction_id=row["id"],
                booking_date=row["booking_date"],
                merchant=row["merchant_name"] or row["draft_name"],
                description=row["description"][:120],
                mcc=row["mcc"],
                amount=row["amount"],
                currency=row["currency"],
                matched_on=[kind for kind in KINDS if row.get(f"on_{kind}")],
                grams=None
                if rate is None
                else estimate_grams(estimate, abs(row["amount"]) * Decimal(rate)),
                scored_now_as=row["scored_now_as"] or "",
            )
        )
    return DraftTestResult(
        days=days,
        limit=limit,
        examined=totals["examined"],
        matched=totals["matched"],
        by_kind=by_kind,
        grams=grams,
        unpriced=unpriced,
        samples=sample_list,
    )
