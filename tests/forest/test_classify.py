"""Which rule wins: priorities across matcher kinds, validity windows, and regexes last."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from forest.models import GreenAction, GreenActionRule
from forest.scoring.classify import BEGINNING, END, RankedRule, lookup_segments
from forest.services.rules import rule_save
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.forest.helpers import score_all


def ranked(key: int, valid_from: date = BEGINNING, valid_to: date = END) -> RankedRule:
    return RankedRule(
        key=key, rule_id=key, action_no=1, valid_from=valid_from, valid_to=valid_to, regex=""
    )


def test_open_ended_rules_sharing_a_value_give_one_segment_for_the_best():
    assert lookup_segments([ranked(3), ranked(7), ranked(5)]) == [(BEGINNING, END, 7)]


def test_a_windowed_rule_wins_only_inside_its_window():
    june, july = date(2026, 6, 1), date(2026, 7, 1)
    segments = lookup_segments([ranked(3), ranked(9, june, july)])
    assert segments == [(BEGINNING, june, 3), (june, july, 9), (july, END, 3)]


def test_days_no_rule_covers_have_no_segment_and_equal_neighbours_merge():
    a, b, c = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
    assert lookup_segments([ranked(4, a, b), ranked(2, c, END)]) == [(a, b, 4), (c, END, 2)]
    # a lower rule under a higher one that covers it fully leaves one piece
    assert lookup_segments([ranked(8, a, c), ranked(2, b, c)]) == [(a, c, 8)]


def rule(code: str, priority: int, **fields) -> GreenActionRule:
    fields = {
        "name_en": code, "name_nl": code, "action_type": "public_transport",
        "estimate_kind": "fixed", "fixed_grams": priority, "method": "m", "source": "s",
        "daily_cap_grams": 100_000, **fields,
    }  # fmt: skip
    return rule_save(rule=GreenActionRule(code=code, priority=priority, **fields))


@pytest.mark.django_db
def test_a_rule_valid_from_mid_month_applies_from_that_day_only():
    rule("gvb-promo", 500, match_merchants=["gvb"], valid_from=date(2026, 11, 15))
    feed = LinkedFeedFactory()
    before = TransactionFactory(feed=feed, merchant_name="GVB", booking_date=date(2026, 11, 14))
    on = TransactionFactory(feed=feed, merchant_name="GVB", booking_date=date(2026, 11, 15))
    score_all()
    codes = dict(GreenAction.objects.values_list("transaction_id", "rule__code"))
    assert codes == {before.id: "metro-tram", on.id: "gvb-promo"}


@pytest.mark.django_db
def test_the_highest_priority_wins_across_matcher_kinds():
    # MCC 4111 is the bus rule's; a merchant rule of higher priority must win over it.
    rule("ferry", 400, match_merchants=["gvb veer"])
    feed = LinkedFeedFactory()
    txn = TransactionFactory(feed=feed, merchant_name="GVB Veer", mcc="4111")
    score_all()
    assert GreenAction.objects.get(transaction=txn).rule.code == "ferry"


@pytest.mark.django_db
def test_a_regex_rule_decides_only_where_no_higher_equality_rule_matched():
    feed = LinkedFeedFactory()
    paper = TransactionFactory(
        feed=feed, merchant_name="Vattenfall", description="Uw e-factuur november"
    )
    train = TransactionFactory(
        feed=feed, merchant_name="NS", description="e-ticket Amsterdam-Utrecht",
        amount=Decimal("-8.00"),
    )  # fmt: skip
    rule("paper-first", 900, match_description_regex="e-ticket")
    score_all()
    codes = dict(GreenAction.objects.values_list("transaction_id", "rule__code"))
    assert codes == {paper.id: "paperless", train.id: "paper-first"}
