"""The names banks write, normalised so a rule can recognise the shop by its first words."""

from __future__ import annotations

import pytest

from accounts.normalise import (
    leading_keys,
    normalise_descriptor,
    normalise_merchant,
    transaction_names,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # the four: all of them start with a rule's name once normalised
        ("NS GROEP IZ NS REIZIGERS", "ns groep iz ns reizigers"),
        ("GVB AMSTERDAM", "gvb"),
        ("Het Goed Kringloop Amersfoort", "het goed kringloop"),
        ("GOODWILL STORE #512", "goodwill"),
        # legal forms, store and terminal numbers
        ("Albert Heijn 1234 B.V.", "albert heijn"),
        ("DB Vertrieb GmbH", "db vertrieb"),
        ("Vinted UAB", "vinted"),
        ("Stichting Het Goed", "het goed"),
        ("TIER Mobility SE", "tier mobility"),
        ("NS Utrecht Centraal 201", "ns utrecht centraal"),
        # processors and card networks before a star; a merchant's own star stays a word break
        ("PAYPAL *VINTED", "vinted"),
        ("SQ *BLUE BOTTLE COFFEE Oakland CA", "blue bottle coffee"),
        ("SumUp *Kringloop Zuid", "kringloop zuid"),
        ("LIME*RIDE 1234", "lime ride"),
        ("Vinted via Mollie", "vinted"),
        # web-shop domains
        ("www.vinted.nl", "vinted"),
        ("TFL.GOV.UK/CP", "tfl"),
        # accents, punctuation; a place is kept where it is part of the name
        ("Vélib' Métropole", "velib metropole"),
        ("OV-fiets", "ov fiets"),
        ("Transport for London", "transport for london"),
        ("Q8", "q8"),
        ("2dehands", "2dehands"),
    ],
)
def test_merchant_names(name, expected):
    assert normalise_merchant(name) == expected


@pytest.mark.parametrize("name", ["Mollie B.V.", "Stichting Mollie Payments", "PayPal Europe",
                                  "ING Bank N.V.", "Tikkie", "", "   ", "12345"])  # fmt: skip
def test_names_that_name_no_shop_become_empty(name):
    assert normalise_merchant(name) == ""


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        (
            "BEA, Apple Pay NS GROEP IZ NS REIZIGERS,PAS123 NR:CT5R9X, 03.11.26/08:12 UTRECHT",
            "ns groep iz ns reizigers",
        ),
        (
            "Kartenzahlung girocard DB Vertrieb GmbH//Frankfurt/DE 2024-03-01T08:12:34 "
            "Folgenr. 001 Verfalld. 2026-12",
            "db vertrieb",
        ),
        ("CARD PAYMENT TO TFL TRAVEL CH ON 03-11-2026", "tfl travel ch"),
        ("CB SNCF CONNECT 13/11 X1234", "sncf connect"),
        ("PAIEMENT PAR CARTE X1234 OUIGO 14/11", "ouigo"),
        (
            "BETALING MET DEBETKAART NUMMER 4871 04XX XXXX 1234 DE LIJN MECHELEN 15-11-2026 "
            "OM 07.55 UUR",
            "de lijn",
        ),
        ("PURCHASE AUTHORIZED ON 03/11 LIME*RIDE 1234 SAN FRANCISCO CA CARD 1234", "lime ride"),
        # a named field wins; a processor's name gives way to the remittance line
        (
            "/TRTP/SEPA OVERBOEKING/IBAN/NL12RABO0123456789/BIC/RABONL2U/NAME/Stichting Het Goed"
            "/REMI/Aankoop/EREF/NOTPROVIDED",
            "het goed",
        ),
        (
            "/TRTP/iDEAL/IBAN/NL11INGB0001234567/BIC/INGBNL2A/NAME/Stichting Mollie Payments"
            "/REMI/M1234567890 1234567890123456 Kringloop Het Goed webwinkel/EREF/16-11-2026",
            "kringloop het goed webwinkel",
        ),
        ("Naam: Kringloop Zuid Omschrijving: aankoop IBAN: NL12", "kringloop zuid"),
        # a remittance line that says more than the name it starts with is the more specific
        (
            "/TRTP/SEPA Incasso/NAME/Marktplaats BV/REMI/Marktplaats Admarkt advertentiekosten/",
            "marktplaats admarkt advertentiekosten",
        ),
        # a US cheque is no shop (and not the e-moped operator Check)
        ("CHECK 1043", ""),
    ],
)
def test_descriptors(description, expected):
    assert normalise_descriptor(description) == expected


def test_the_description_is_kept_only_where_the_merchant_names_no_shop():
    line = "BEA, Apple Pay GVB AMSTERDAM,PAS123 NR:GV3X2A, 06.11.26/09:31 AMSTERDAM"
    assert transaction_names("", line) == ("", "gvb")
    assert transaction_names("Mollie B.V.", line) == ("", "gvb")
    assert transaction_names("GVB", line) == ("gvb", "")


def test_leading_keys_are_whole_words():
    keys = ["ns", "ns utrecht", "ns utrecht centraal"]
    assert leading_keys("ns utrecht centraal station") == keys
    assert leading_keys("gvb") == ["gvb"]
    assert leading_keys("") == []
