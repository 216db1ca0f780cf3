"""A forest's monthly budget statement: opening, every entry, closing; page and CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Sum
from django.utils import timezone

from catalogue.models import SponsorMembership
from partners.models import ForestBudgetEntry
from partners.selectors.statements import Month, forest_month_statement
from partners.services.billing import invoice_mark_paid
from partners.services.planting_orders import (
    forest_budget_topup,
    planting_order_reserve,
    planting_order_transition,
)
from tests.forest.tree_factories import BrandForestFactory, TreeFactory
from tests.partners.factories import InvoiceFactory, SponsorFactory, SponsorMembershipFactory

pytestmark = pytest.mark.django_db

NOVEMBER = Month(2026, 11)


@pytest.fixture
def member():
    return SponsorMembershipFactory(role=SponsorMembership.Role.ANALYST)  # reading is enough


def _at(day: int, month: int = 11, hour: int = 12):
    return time_machine.travel(datetime(2026, month, day, hour, tzinfo=UTC), tick=False)


def _reserve(forest):
    tree = TreeFactory(forest=forest, status="matured", matured_at=timezone.now())
    return planting_order_reserve(tree=tree, forest_id=forest.pk).order


def _forest_with_three_months(sponsor, *, extra: int = 0):
    """October: 100 in, one tree reserved. November: an invoice paid, that order spent, one
    reserved and cancelled, ``extra`` more reservations. December: another top-up."""
    with _at(5, month=10):
        forest = BrandForestFactory(sponsor=sponsor, price_per_tree=Decimal("2.50"), budget="0")
        forest_budget_topup(forest=forest, amount=Decimal("100"), idempotency_key="oct")
        october_order = _reserve(forest)
    with _at(3):
        invoice = InvoiceFactory(forest=forest, amount=Decimal("400"))
        invoice_mark_paid(invoice_id=invoice.pk)
    with _at(10):
        planting_order_transition(order_id=october_order.pk, to_state="funded")
    with _at(20):
        cancelled = _reserve(forest)
        planting_order_transition(order_id=cancelled.pk, to_state="cancelled")
        for _ in range(extra):
            _reserve(forest)
    with _at(30, hour=23):  # the last hour of the month still belongs to it
        forest_budget_topup(forest=forest, amount=Decimal("1.25"), idempotency_key="late")
    with _at(1, month=12, hour=0):
        forest_budget_topup(forest=forest, amount=Decimal("50"), idempotency_key="dec")
    return forest, invoice, october_order


def _sum_until(forest, moment) -> Decimal:
    total = ForestBudgetEntry.objects.filter(forest=forest, created_at__lt=moment).aggregate(
        t=Sum("amount")
    )["t"]
    return Decimal(str(total or 0)).quantize(Decimal("0.01"))


def test_the_statement_runs_from_opening_to_closing_balance(sponsor):
    forest, invoice, october_order = _forest_with_three_months(sponsor)

    statement = forest_month_statement(forest, NOVEMBER)

    assert statement.opening == Decimal("97.50") == _sum_until(forest, NOVEMBER.start)
    assert [line.kind for line in statement.lines] == [
        "topup", "release", "spend", "reserve", "release", "topup",
    ]  # fmt: skip
    assert statement.closing == _sum_until(forest, NOVEMBER.end) == Decimal("498.75")
    assert statement.closing == statement.opening + sum(line.amount for line in statement.lines)
    assert statement.lines[-1].balance == statement.closing
    assert statement.lines[0].memo == f"invoice {invoice.number}"
    spend = statement.lines[2]
    assert (spend.order_id, spend.tree_id) == (october_order.pk, october_order.tree_id)
    assert statement.totals == {
        "topup": Decimal("401.25"),
        "reserve": Decimal("-2.50"),
        "release": Decimal("5.00"),
        "spend": Decimal("-2.50"),
    }
    # The next month opens where this one closed.
    assert forest_month_statement(forest, NOVEMBER.next).opening == statement.closing


def test_a_month_without_entries_closes_at_its_opening_balance(sponsor):
    forest, _invoice, _order = _forest_with_three_months(sponsor)
    january = forest_month_statement(forest, Month(2027, 1))
    assert january.lines == []
    assert january.opening == january.closing == Decimal("548.75")


def test_months_step_over_the_year_boundary():
    assert Month(2026, 12).next == Month(2027, 1)
    assert Month(2027, 1).previous == Month(2026, 12)
    assert str(Month(2026, 3)) == "2026-03"


@pytest.mark.parametrize("extra", [0, 10])
def test_the_statement_page_lists_every_entry_in_fixed_queries(
    portal, sponsor, extra, django_assert_max_num_queries
):
    forest, invoice, _order = _forest_with_three_months(sponsor, extra=extra)
    # savepoint and release, session, user, sponsor, forest, opening balance, entries
    with django_assert_max_num_queries(8):
        response = portal.get(f"/partners/{sponsor.slug}/forests/{forest.pk}/statement/2026-11/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<tr data-entry=") == 6 + extra
    assert 'data-figure="opening">97.50 EUR' in html
    closing = Decimal("498.75") - extra * Decimal("2.50")
    assert f'data-figure="closing"><strong>{closing} EUR' in html
    assert f"invoice {invoice.number}" in html


def test_the_current_statement_redirects_to_this_month(portal, sponsor):
    forest = BrandForestFactory(sponsor=sponsor)
    with _at(15):
        response = portal.get(f"/partners/{sponsor.slug}/forests/{forest.pk}/statement/")
    assert response.status_code == 302
    assert (
        response["Location"] == f"/partners/{sponsor.slug}/forests/{forest.pk}/statement/2026-11/"
    )


@pytest.mark.parametrize("extra", [0, 10])
def test_the_statement_csv_is_streamed_in_fixed_queries(
    portal, sponsor, extra, django_assert_max_num_queries
):
    forest, invoice, order = _forest_with_three_months(sponsor, extra=extra)
    with django_assert_max_num_queries(8):
        response = portal.get(f"/partners/{sponsor.slug}/forests/{forest.pk}/statement/2026-11.csv")
        body = b"".join(response.streaming_content).decode()
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"-forest-{forest.pk}-2026-11.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 2 + 6 + extra
    assert (rows[0]["kind"], rows[0]["balance"]) == ("opening_balance", "97.50")
    assert rows[1]["memo"] == f"invoice {invoice.number}" and rows[1]["amount"] == "400.00"
    assert rows[3]["kind"] == "spend" and rows[3]["tree_id"] == str(order.tree_id)
    closing = rows[-1]
    assert (closing["date"], closing["kind"]) == ("2026-11-30", "closing_balance")
    assert Decimal(closing["balance"]) == _sum_until(forest, NOVEMBER.end)
    assert closing["balance"] == rows[-2]["balance"]


def test_another_sponsors_statement_is_404(portal, sponsor):
    own = BrandForestFactory(sponsor=sponsor)
    other = SponsorFactory()
    theirs = BrandForestFactory(sponsor=other)
    for slug, forest in ((sponsor.slug, theirs), (other.slug, theirs), (other.slug, own)):
        base = f"/partners/{slug}/forests/{forest.pk}/statement/"
        for suffix in ("", "2026-11/", "2026-11.csv"):
            assert portal.get(base + suffix).status_code == 404, base + suffix
    base = f"/partners/{sponsor.slug}/forests/{own.pk}/statement/"
    assert portal.get(base + "2026-11/").status_code == 200
    assert portal.get(base + "2026-13/").status_code == 404
    assert portal.get(base + "2026-00.csv").status_code == 404
