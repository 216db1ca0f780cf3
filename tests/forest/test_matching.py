"""Recognising merchants in real descriptors: whole leading words, the description when the
name says nothing, the longest name winning, operators' aliases, and what matched."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core.sql import current_dialect
from forest.models import GreenAction, GreenActionRule
from forest.services.rules import rule_save
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.forest.helpers import score_all

pytestmark = pytest.mark.django_db


def scored(**fields) -> tuple[str | None, str]:
    """Score one new transaction with ``fields``: (rule code, matched_on), or (None, "")."""
    txn = TransactionFactory(feed=LinkedFeedFactory(), **fields)
    score_all()
    action = GreenAction.objects.filter(transaction=txn).select_related("rule").first()
    return (action.rule.code, action.matched_on) if action else (None, "")


@pytest.mark.parametrize(
    ("merchant", "expected"),
    [
        ("NS UTRECHT CENTRAAL 201", "rail"),
        ("NS GROEP IZ NS REIZIGERS", "rail"),
        ("NSX HOLDING B.V.", None),  # a rule's "ns" is a whole word, not a prefix of one
        ("GVB AMSTERDAM", "metro-tram"),
        ("Het Goed Kringloop Amersfoort", "second-hand-shop"),
        ("GOODWILL STORE #512", "second-hand-shop"),
        ("PAYPAL *VINTED", "second-hand-marketplace"),
    ],
)
def test_a_rule_name_matches_the_first_whole_words(merchant, expected):
    code, matched_on = scored(merchant_name=merchant)
    assert code == expected
    assert matched_on == ("merchant" if expected else "")


def test_the_description_names_the_shop_when_the_merchant_name_is_empty_or_a_processor():
    line = "BEA, Apple Pay GVB AMSTERDAM,PAS123 NR:GV3X2A, 06.11.26/09:31 AMSTERDAM"
    assert scored(merchant_name="", description=line) == ("metro-tram", "description")
    assert scored(merchant_name="Mollie B.V.", description=line) == ("metro-tram", "description")
    # A name that names a shop is not second-guessed by its description.
    assert scored(merchant_name="Albert Heijn 1452", description=line) == (None, "")


@pytest.mark.parametrize(
    ("merchant", "mcc", "expected"),
    [
        ("DB Vertrieb GmbH", "", "rail"),
        ("DB Schenker", "", None),  # excluded by the rail rule: longer than its "db"
        ("Shell Recharge Solutions B.V.", "5541", "ev-charging"),  # beats "shell" and the MCC
        ("Shell Utrecht Waterlinieweg", "", "fuel"),
        ("Oxfam Novib Winkel Delft", "", "second-hand-shop"),
        ("Stichting Oxfam Novib", "", None),  # a donation, not the shop
        ("Total Wine and More", "", None),
        ("Arriva Trein Limburg", "", "rail"),
        ("Arriva Personenvervoer", "", "bus"),
    ],
)
def test_the_longest_name_wins_and_look_alikes_stay_out(merchant, mcc, expected):
    assert scored(merchant_name=merchant, mcc=mcc)[0] == expected


def test_an_excluded_name_still_lets_a_matching_mcc_decide():
    assert scored(merchant_name="DB Schenker", mcc="4112") == ("rail", "mcc")


def test_matched_on_says_what_recognised_the_transaction():
    assert scored(merchant_name="Corner Shop", mcc="4111") == ("public-transport", "mcc")
    assert scored(merchant_name="Corner Shop", provider_category="TRAVEL_FLIGHTS") == (
        "flight",
        "category",
    )
    assert scored(merchant_name="Vattenfall", description="Uw e-factuur november") == (
        "paperless",
        "description",
    )


def test_an_alias_an_operator_adds_counts_from_the_next_night():
    assert scored(merchant_name="QLINER 1234 GRONINGEN")[0] is None
    bus = GreenActionRule.objects.get(code="bus")
    bus.match_aliases = [*bus.match_aliases, "Qliner B.V."]
    rule_save(rule=bus)
    bus.refresh_from_db()
    assert "qliner" in bus.match_aliases  # stored normalised, as scoring compares it
    assert scored(merchant_name="QLINER 1234 GRONINGEN", amount=Decimal("-4.10")) == (
        "bus",
        "alias",
    )


def test_an_exclusion_an_operator_adds_takes_a_look_alike_out():
    assert scored(merchant_name="GVB Vastgoed Beheer")[0] == "metro-tram"
    metro = GreenActionRule.objects.get(code="metro-tram")
    metro.exclude_names = ["GVB Vastgoed"]
    rule_save(rule=metro)
    assert scored(merchant_name="GVB Vastgoed Beheer")[0] is None
    assert scored(merchant_name="GVB")[0] == "metro-tram"


@pytest.mark.parametrize(
    ("field", "names", "message"),
    [
        ("match_aliases", ["PayPal"], "names no merchant"),
        ("match_aliases", ["one two three four"], "at most three words"),
        ("exclude_names", ["ING Bank N.V."], "names no merchant"),
        ("match_aliases", "qliner", "list"),
    ],
)
def test_aliases_and_exclusions_are_validated(field, names, message):
    bus = GreenActionRule.objects.get(code="bus")
    setattr(bus, field, names)
    with pytest.raises(ValidationError, match=message):
        rule_save(rule=bus)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("ns utrecht centraal station", ["ns", "ns utrecht", "ns utrecht centraal"]),
        ("gvb", ["gvb", None, None]),
        ("het goed", ["het", "het goed", None]),
        ("", ["", None, None]),
    ],
)
def test_leading_words_in_sql(text, words):
    dialect = current_dialect()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(dialect.leading_words("%(t)s", n) for n in (1, 2, 3)),
            {"t": text},
        )
        assert list(cursor.fetchone()) == words


def test_the_admin_rule_test_compares_names_as_scoring_does():
    from forest.services.rule_testing import rule_test

    feed = LinkedFeedFactory()
    hit = TransactionFactory(feed=feed, merchant_name="DB Vertrieb GmbH")
    TransactionFactory(feed=feed, merchant_name="DB Schenker")
    TransactionFactory(feed=feed, merchant_name="DBX Logistics")
    examined, hits = rule_test(rule=GreenActionRule.objects.get(code="rail"))
    assert examined == 3
    assert [h.transaction.id for h in hits] == [hit.id]
