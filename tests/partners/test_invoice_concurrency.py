"""Real concurrency on PostgreSQL: operators marking the same invoice paid at once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from partners.models import ForestBudgetEntry, Invoice
from partners.services.billing import invoice_cancel, invoice_mark_paid, invoice_request
from partners.services.planting_orders import forest_budget_available
from tests.concurrency import race
from tests.forest.tree_factories import BrandForestFactory
from tests.partners.factories import InvoiceFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_four_operators_marking_one_invoice_paid_at_once_credit_it_once():
    forest = BrandForestFactory(budget="0")
    invoice = InvoiceFactory(forest=forest, amount=Decimal("500.00"))

    results, errors = race(lambda: invoice_mark_paid(invoice_id=invoice.pk), [()] * 4)

    assert not errors
    assert sorted(newly for _invoice, newly in results) == [False, False, False, True]
    assert ForestBudgetEntry.objects.filter(forest=forest).count() == 1
    assert forest_budget_available(forest.pk) == Decimal("500.00")
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID


def test_paying_and_cancelling_at_once_leaves_one_consistent_outcome():
    forest = BrandForestFactory(budget="0")
    invoice = InvoiceFactory(forest=forest, amount=Decimal("80.00"))

    def pay_or_cancel(action):
        return action(invoice_id=invoice.pk)

    _results, errors = race(pay_or_cancel, [(invoice_mark_paid,), (invoice_cancel,)])

    invoice.refresh_from_db()
    assert len(errors) == 1  # whichever came second was refused
    if invoice.status == Invoice.Status.PAID:
        assert forest_budget_available(forest.pk) == Decimal("80.00")
    else:
        assert invoice.status == Invoice.Status.CANCELLED
        assert not ForestBudgetEntry.objects.filter(forest=forest).exists()


def test_invoices_requested_at_once_get_distinct_consecutive_numbers():
    forest = BrandForestFactory(budget="0")

    results, errors = race(
        lambda: invoice_request(
            sponsor=forest.sponsor, forest=forest, amount=Decimal("60"), requested_by=None
        ),
        [()] * 5,
    )

    assert not errors
    numbers = sorted(int(invoice.number.rsplit("-", 1)[1]) for invoice in results)
    assert numbers == [1, 2, 3, 4, 5]
