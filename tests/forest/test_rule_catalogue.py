"""The green-action catalogue as data: shape, matching invariants and the estimates."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from accounts.normalise import normalise_merchant
from forest import rule_catalogue as catalogue
from forest.rule_catalogue import (
    ACTION_TYPES,
    CATALOGUE,
    CATALOGUE_BY_CODE,
    ESTIMATE_KINDS,
    FX_TO_EUR,
    RULE_KEYS,
    estimate_grams,
)

DECIMAL_KEYS = ("grams_per_unit", "fare_per_km", "grams_per_km", "substitution_share")
LIST_KEYS = ("match_mccs", "match_merchants", "match_merchant_ids", "match_categories")
NAME_KEYS = ("match_merchants", "match_aliases", "exclude_names")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def classify(*, mcc: str = "", merchant: str = "", category: str = "", description: str = ""):
    """The engine's semantics in miniature: any matcher matches, the highest priority wins."""
    name = normalise_merchant(merchant)
    matches = [
        rule
        for rule in CATALOGUE
        if (mcc and mcc in rule["match_mccs"])
        or (name and name in rule["match_merchants"])
        or (category and category in rule["match_categories"])
        or (
            description
            and rule["match_description_regex"]
            and re.search(rule["match_description_regex"], description, re.IGNORECASE)
        )
    ]
    if not matches:
        return None
    return max(matches, key=lambda rule: rule["priority"])["code"]


@pytest.mark.parametrize("rule", CATALOGUE, ids=lambda rule: rule["code"])
class TestRuleShape:
    def test_has_exactly_the_model_keys(self, rule):
        assert set(rule) == set(RULE_KEYS)
        assert len(RULE_KEYS) == len(set(RULE_KEYS)) == 23

    def test_scalar_types(self, rule):
        assert SLUG.match(rule["code"])
        for key in ("name_en", "name_nl", "method", "source"):
            assert isinstance(rule[key], str)
            assert rule[key].strip()
        assert rule["action_type"] in ACTION_TYPES
        assert rule["estimate_kind"] in ESTIMATE_KINDS
        for key in ("priority", "fixed_grams", "version", "daily_cap_grams"):
            assert type(rule[key]) is int, key
        assert rule["fixed_grams"] >= 0
        assert rule["daily_cap_grams"] >= 0
        assert rule["version"] == 1
        assert type(rule["awards_energy"]) is bool
        assert isinstance(rule["match_description_regex"], str)

    def test_decimal_strings(self, rule):
        for key in DECIMAL_KEYS:
            value = rule[key]
            assert isinstance(value, str), key
            parsed = Decimal(value)
            assert parsed.is_finite()
            assert parsed >= 0, key
        assert Decimal(rule["substitution_share"]) <= 1

    def test_lists(self, rule):
        for key in LIST_KEYS:
            assert isinstance(rule[key], list), key
            assert all(isinstance(item, str) and item for item in rule[key]), key
            assert len(rule[key]) == len(set(rule[key])), f"duplicates in {key}"
        assert all(re.fullmatch(r"\d{4}", mcc) for mcc in rule["match_mccs"])
        assert all(re.fullmatch(r"[A-Z]+(_[A-Z]+)+", c) for c in rule["match_categories"])

    def test_has_a_matcher(self, rule):
        assert any(rule[key] for key in LIST_KEYS) or rule["match_description_regex"]

    def test_merchants_are_already_normalised(self, rule):
        for key in NAME_KEYS:
            for merchant in rule[key]:
                assert normalise_merchant(merchant) == merchant

    def test_aliases_and_exclusions_are_lists_of_names(self, rule):
        for key in ("match_aliases", "exclude_names"):
            assert isinstance(rule[key], list)
            assert all(isinstance(name, str) and 0 < len(name.split()) <= 3 for name in rule[key])
            assert len(rule[key]) == len(set(rule[key]))
        assert not set(rule["match_aliases"]) & set(rule["match_merchants"])

    def test_regex_compiles_and_stays_in_the_common_subset(self, rule):
        pattern = rule["match_description_regex"]
        re.compile(pattern, re.IGNORECASE)
        for construct in ("(?<", "(?P", "\\b", "\\B", "(?i"):
            assert construct not in pattern

    def test_unused_numbers_are_zero(self, rule):
        kind = rule["estimate_kind"]
        if kind == "fixed":
            assert rule["grams_per_unit"] == rule["fare_per_km"] == rule["grams_per_km"] == "0"
            assert rule["substitution_share"] == "1"
        elif kind == "per_currency_unit":
            assert rule["fixed_grams"] == 0
            assert rule["fare_per_km"] == rule["grams_per_km"] == "0"
            assert Decimal(rule["grams_per_unit"]) > 0
        else:
            assert rule["fixed_grams"] == 0
            assert rule["grams_per_unit"] == "0"
            assert Decimal(rule["fare_per_km"]) > 0
            assert Decimal(rule["grams_per_km"]) > 0

    def test_energy_flag_matches_the_action_type(self, rule):
        negative = rule["action_type"] == "negative_signal"
        assert rule["awards_energy"] is not negative
        if negative:
            assert rule["daily_cap_grams"] == 0
            assert estimate_grams(rule, Decimal("100.00")) == 0
        else:
            assert rule["daily_cap_grams"] > 0
            if rule["estimate_kind"] == "fixed":
                assert 0 < rule["fixed_grams"] <= rule["daily_cap_grams"]


def test_codes_and_priorities_are_unique():
    codes = [rule["code"] for rule in CATALOGUE]
    priorities = [rule["priority"] for rule in CATALOGUE]
    assert len(codes) == len(set(codes))
    assert len(priorities) == len(set(priorities))
    assert set(CATALOGUE_BY_CODE) == set(codes)


def test_every_action_type_has_a_rule():
    assert {rule["action_type"] for rule in CATALOGUE} == set(ACTION_TYPES)


@pytest.mark.parametrize("key", ["match_mccs", "match_merchants", "match_categories"])
def test_no_matcher_value_belongs_to_two_rules(key):
    seen: dict[str, str] = {}
    for rule in CATALOGUE:
        for value in rule[key]:
            assert value not in seen, f"{value!r} in {seen.get(value)} and {rule['code']}"
            seen[value] = rule["code"]


@pytest.mark.parametrize(
    ("action_type", "mccs"),
    [
        ("public_transport", ["4111", "4131"]),
        ("rail", ["4112"]),
        ("bike", ["5940"]),
        ("second_hand", ["5931", "5932", "5933"]),
        ("repair_rental", ["7251", "7631", "7699", "7296", "7394"]),
        ("ev_charging", ["5552"]),
        ("negative_signal", ["5541", "5542", "4511", "3000", "3010", "3350"]),
    ],
)
def test_product_catalogue_mccs(action_type, mccs):
    for mcc in mccs:
        code = classify(mcc=mcc)
        assert code is not None, mcc
        assert CATALOGUE_BY_CODE[code]["action_type"] == action_type, mcc


@pytest.mark.parametrize(
    ("action_type", "merchants"),
    [
        (
            "public_transport",
            [
                "GVB",
                "RET",
                "HTM",
                "EBS",
                "Arriva",
                "Connexxion",
                "Qbuzz",
                "Keolis",
                "TfL",
                "MTA",
                "BVG",
                "RATP",
            ],
        ),
        (
            "rail",
            [
                "NS",
                "NS International",
                "Eurostar",
                "DB",
                "Deutsche Bahn",
                "SNCF",
                "Thalys",
                "Arriva trein",
                "NMBS/SNCB",
            ],
        ),
        (
            "bike",
            ["OV-fiets", "Swapfiets", "nextbike", "Lime", "Donkey Republic", "Check", "Felyx"],
        ),
        (
            "second_hand",
            [
                "Vinted",
                "Marktplaats",
                "Kringloop Het Goed",
                "Emmaus",
                "Rataplan",
                "Dorcas",
                "2ndhands",
                "Oxfam Novib Winkel",
            ],
        ),
        ("repair_rental", ["Mister Minit", "Peerby"]),
        (
            "ev_charging",
            [
                "Fastned",
                "Allego",
                "Vattenfall InCharge",
                "Shell Recharge",
                "Ionity GmbH",
                "Tesla Supercharger",
            ],
        ),
        (
            "negative_signal",
            ["KLM", "Transavia", "Ryanair", "easyJet", "Shell", "BP", "Esso", "TotalEnergies"],
        ),
    ],
)
def test_product_catalogue_merchants(action_type, merchants):
    for merchant in merchants:
        code = classify(merchant=merchant)
        assert code is not None, merchant
        assert CATALOGUE_BY_CODE[code]["action_type"] == action_type, merchant


def test_plaid_categories():
    assert classify(category="TRANSPORTATION_PUBLIC_TRANSIT") == "public-transport"
    assert classify(category="TRANSPORTATION_BIKES_AND_SCOOTERS") == "bike-share"
    assert classify(category="TRANSPORTATION_GAS") == "fuel"
    assert classify(category="TRAVEL_FLIGHTS") == "flight"
    assert classify(category="FOOD_AND_DRINK_GROCERIES") is None


def test_shell_recharge_beats_shell_fuel():
    ev, fuel = CATALOGUE_BY_CODE["ev-charging"], CATALOGUE_BY_CODE["fuel"]
    assert ev["priority"] > fuel["priority"]
    assert "shell recharge" in ev["match_merchants"]
    assert "shell" not in ev["match_merchants"]
    assert "shell recharge" not in fuel["match_merchants"]
    # A charger at a Shell station may carry the station's fuel MCC and category.
    assert classify(merchant="Shell Recharge", mcc="5541", category="TRANSPORTATION_GAS") == (
        "ev-charging"
    )
    assert classify(merchant="Shell", mcc="5541") == "fuel"
    assert classify(merchant="bp pulse", mcc="5542") == "ev-charging"


def test_specific_rules_beat_generic_ones():
    transit = "TRANSPORTATION_PUBLIC_TRANSIT"
    assert classify(merchant="NS", category=transit) == "rail"
    assert classify(merchant="GVB", category=transit, mcc="4111") == "metro-tram"
    assert classify(merchant="Arriva", mcc="4131") == "bus"
    assert classify(merchant="Arriva trein", mcc="4112") == "rail"
    assert classify(merchant="Felyx", category="TRANSPORTATION_BIKES_AND_SCOOTERS") == (
        "e-moped-share"
    )
    assert classify(merchant="Check Technologies B.V.") == "e-moped-share"


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("VATTENFALL TERMIJNBEDRAG DIGITALE FACTUUR", "paperless"),
        ("Uw e-factuur van KPN", "paperless"),
        ("Eventim eTicket 88213", "paperless"),
        ("E-TICKET concert", "paperless"),
        ("Ziggo online bill", "paperless"),
        ("Ticketmaster order 1123", None),
        ("Adobe billing", None),
        ("Albert Heijn 1452", None),
    ],
)
def test_paperless_description(description, expected):
    assert classify(description=description) == expected


def test_tickets_go_to_their_own_rule_not_paperless():
    assert classify(merchant="KLM", description="KLM e-ticket 074 2345") == "flight"
    assert classify(merchant="NS International", description="e-ticket Berlijn") == "rail"


# ---- estimates, computed by hand --------------------------------------------------------------


def grams(code: str, amount: str) -> int:
    return estimate_grams(CATALOGUE_BY_CODE[code], Decimal(amount))


def test_rail_per_km_from_fare():
    # EUR 12.40 / EUR 0.20 per km = 62 km; 62 x (170 - 35) g/km x 0.5 = 4,185 g
    assert grams("rail", "12.40") == 4185
    assert grams("rail", "-12.40") == 4185  # the sign only says which way money went
    # EUR 8.90 -> 44.5 km x 135 x 0.5 = 3,003.75 -> 3,004 g
    assert grams("rail", "8.90") == 3004


def test_second_hand_per_currency_unit():
    # (1.07 - 0.27) kg/GBP = 800 g/GBP x 0.84662 GBP/EUR = 677.30 g/EUR, x 0.5 displacement
    assert CATALOGUE_BY_CODE["second-hand-shop"]["grams_per_unit"] == "677.30"
    assert grams("second-hand-marketplace", "20.00") == 6773  # 20 x 677.30 x 0.5
    assert grams("second-hand-shop", "10.00") == 3387  # 3,386.5 rounds half up
    assert grams("second-hand-marketplace", "-10.00") == 3387


def test_ev_charging_per_currency_unit():
    # EUR 1 -> 2 kWh at EUR 0.50/kWh -> 10 km at 5 km/kWh -> 10 x (170 - 47) = 1,230 g
    assert CATALOGUE_BY_CODE["ev-charging"]["grams_per_unit"] == "1230.00"
    assert grams("ev-charging", "10.00") == 12300
    assert grams("ev-charging", "7.35") == 9041  # 9,040.5 rounds half up


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("metro-tram", 52),
        ("public-transport", 52),
        ("bus", 80),
        ("bike-share", 255),  # 3 km x 170 g/km x 0.5
        ("bike-shop", 255),
        ("e-moped-share", 185),  # 3 km x (170 - 47) g/km x 0.5 = 184.5
        ("repair", 150),
        ("rental-sharing", 100),
        ("paperless", 262),
    ],
)
def test_fixed_grams_ignore_the_amount(code, expected):
    assert grams(code, "3.40") == expected
    assert grams(code, "250.00") == expected
    assert grams(code, "-3.40") == expected


@pytest.mark.parametrize("code", ["flight", "fuel"])
def test_negative_signals_award_nothing(code):
    assert grams(code, "412.00") == 0
    assert grams(code, "-65.10") == 0


def test_rounding_and_edge_cases():
    rule = {
        "awards_energy": True,
        "estimate_kind": "per_currency_unit",
        "grams_per_unit": "1",
        "substitution_share": "0.5",
    }
    assert estimate_grams(rule, Decimal("5")) == 3  # 2.5 -> 3, not banker's 2
    assert estimate_grams(rule, Decimal("4.98")) == 2  # 2.49 -> 2
    assert estimate_grams(rule, Decimal("0")) == 0
    zero_fare = dict(CATALOGUE_BY_CODE["rail"], fare_per_km="0")
    assert estimate_grams(zero_fare, Decimal("12.40")) == 0
    with pytest.raises(ValueError, match="estimate_kind"):
        estimate_grams({"awards_energy": True, "estimate_kind": "per_litre"}, Decimal("1"))


def test_returns_plain_ints():
    for rule in CATALOGUE:
        assert type(estimate_grams(rule, Decimal("12.40"))) is int


def test_fx_to_eur():
    assert set(FX_TO_EUR) == {"EUR", "GBP", "USD", "CHF", "SEK", "DKK", "NOK", "PLN", "CZK"}
    assert FX_TO_EUR["EUR"] == "1"
    assert all(isinstance(value, str) and Decimal(value) > 0 for value in FX_TO_EUR.values())
    # Sanity ranges, not exact rates.
    expected = {
        "GBP": ("1.10", "1.30"),
        "USD": ("0.80", "1.05"),
        "CHF": ("0.95", "1.15"),
        "SEK": ("0.07", "0.11"),
        "DKK": ("0.13", "0.14"),
        "NOK": ("0.07", "0.11"),
        "PLN": ("0.20", "0.26"),
        "CZK": ("0.035", "0.045"),
    }
    for code, (low, high) in expected.items():
        assert Decimal(low) < Decimal(FX_TO_EUR[code]) < Decimal(high), code


def test_module_says_what_the_numbers_are():
    doc = catalogue.__doc__ or ""
    assert "estimated avoided emission" in doc
    assert "not offsets" in doc
    assert "carbon credits" in doc


def test_no_name_belongs_to_two_rules_nor_is_excluded_by_one_and_claimed_by_another():
    """A name (merchant or alias) names one rule; an excluded name is nobody's name."""
    owner: dict[str, str] = {}
    for rule in CATALOGUE:
        for name in [*rule["match_merchants"], *rule["match_aliases"]]:
            assert owner.setdefault(name, rule["code"]) == rule["code"], name
    excluded = {name for rule in CATALOGUE for name in rule["exclude_names"]}
    assert not excluded & set(owner)
