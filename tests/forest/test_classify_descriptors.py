"""``manage.py classify_descriptors``: the nightly scoring's classification on a CSV."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from forest.models import GreenAction, GreenActionRule
from forest.services.rules import rule_save
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.forest.helpers import score_all

pytestmark = pytest.mark.django_db

HEADER = ["description", "merchant_name", "mcc", "amount", "currency", "category", "label"]
# Bank lines of six countries, look-alikes among them.
FIXTURE = [
    ["BEA, Apple Pay NS GROEP IZ NS REIZIGERS,PAS123 NR:CT5R9X, 03.11.26/08:12 UTRECHT",
     "", "", "-12.40", "EUR", "", "rail"],
    ["", "GVB AMSTERDAM", "", "-3.40", "EUR", "", "public_transport"],
    ["", "Het Goed Kringloop Amersfoort", "", "-23.50", "EUR", "", "second_hand"],
    ["GOODWILL STORE #512 PORTLAND OR", "", "5931", "-15.50", "USD", "", "second_hand"],
    ["Kartenzahlung girocard DB Schenker//Duisburg/DE", "DB Schenker", "4214", "-240", "EUR",
     "", ""],
    ["CARD PAYMENT TO SHELL RECHARGE ON 11-11-2026", "", "5541", "-9.30", "GBP", "",
     "ev_charging"],
    ["", "Shell Utrecht", "5541", "-71.30", "EUR", "", "negative_signal"],
    ["", "NSX Holding B.V.", "", "-55", "EUR", "", ""],
    ["CB SNCF CONNECT 13/11 X1234", "", "", "-35.00", "EUR", "", "rail"],
    ["Uw e-factuur november", "Vattenfall", "", "-80", "EUR", "", "paperless"],
    ["", "Corner Shop", "4111", "-2.50", "EUR", "", "public_transport"],
    ["AIRLINE TICKET 0061234567", "", "", "-320", "USD", "TRAVEL_FLIGHTS", "negative_signal"],
    ["LIME*RIDE 5678 SAN FRANCISCO CA", "", "", "-4.60", "USD", "", "bike"],
    ["SEPA Overboeking Naam: Oxfam Novib Omschrijving: Gift november", "", "", "-15", "EUR",
     "", ""],
]  # fmt: skip


def write(tmp_path, rows, header=HEADER):
    path = tmp_path / "lines.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def classify(path) -> list[dict]:
    out = StringIO()
    call_command("classify_descriptors", str(path), "--json", stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_one_json_object_per_data_row(tmp_path):
    results = classify(write(tmp_path, FIXTURE))
    assert [r["line"] for r in results] == list(range(2, len(FIXTURE) + 2))
    assert [r["action_type"] or "" for r in results] == [row[-1] for row in FIXTURE]
    first = results[0]
    assert first == {"line": 2, "rule": "rail", "action_type": "rail",
                     "matched_on": "description", "estimate_grams": 4185}  # fmt: skip
    assert results[4] == {"line": 6, "rule": None, "action_type": None, "matched_on": "",
                          "estimate_grams": 0}  # fmt: skip
    assert results[10]["matched_on"] == "mcc"
    assert results[11]["matched_on"] == "category"


def test_it_agrees_with_nightly_scoring(tmp_path):
    """The same lines as transactions, scored by the nightly job: same rule, same reason,
    same estimate (before the daily cap)."""
    results = classify(write(tmp_path, FIXTURE))
    feed = LinkedFeedFactory()
    txns = [
        TransactionFactory(
            feed=feed, description=d, merchant_name=m, mcc=mcc, amount=Decimal(amount),
            currency=currency, provider_category=category,
        )
        for d, m, mcc, amount, currency, category, _ in FIXTURE
    ]  # fmt: skip
    score_all()
    actions = {
        a.transaction_id: a for a in GreenAction.objects.select_related("rule").filter(
            transaction__in=txns
        )
    }  # fmt: skip
    nightly = [
        {
            "rule": actions[t.id].rule.code if t.id in actions else None,
            "matched_on": actions[t.id].matched_on if t.id in actions else "",
            "estimate_grams": actions[t.id].estimated_grams if t.id in actions else 0,
        }
        for t in txns
    ]
    assert nightly == [{k: r[k] for k in ("rule", "matched_on", "estimate_grams")} for r in results]


def test_it_reads_the_rules_from_the_database(tmp_path):
    path = write(tmp_path, [["QLINER 1234 GRONINGEN", "", "", "-4.10", "EUR", "", "bus"]])
    assert classify(path)[0]["rule"] is None
    bus = GreenActionRule.objects.get(code="bus")
    bus.match_aliases = ["Qliner"]
    rule_save(rule=bus)
    assert classify(path)[0] == {"line": 2, "rule": "bus", "action_type": "public_transport",
                                 "matched_on": "description", "estimate_grams": 80}  # fmt: skip


def test_extra_columns_and_empty_values_are_fine(tmp_path):
    path = write(tmp_path, [["", "GVB", "", "", "", ""]], header=HEADER[:6])
    assert classify(path)[0]["rule"] == "metro-tram"


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        ([], ["description", "merchant_name", "amount"], "line 1: the header lacks mcc"),
        ([["", "GVB", "41111", "-1", "EUR", "", ""]], HEADER, "line 2, field mcc"),
        ([["", "GVB", "", "-1", "EUR", "", ""], ["", "GVB", "", "12,50", "EUR", "", ""]],
         HEADER, "line 3, field amount"),
        ([["", "GVB", "", "-1", "XXX", "", ""]], HEADER, "line 2, field currency"),
        ([["", "GVB", "", "-1", "EUR", "", "", "surplus"]], HEADER, "line 2: more values"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_with_its_line_and_field(tmp_path, rows, header, message):
    with pytest.raises(CommandError, match=message):
        classify(write(tmp_path, rows, header=header))


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        classify(tmp_path / "nope.csv")
