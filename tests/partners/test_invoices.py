"""Top-up invoices: requested in the portal, paid by an operator, credited exactly once."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from catalogue.models import SponsorMembership
from partners.models import ForestBudgetEntry, Invoice
from partners.services.billing import (
    InvoiceError,
    creditor_reference,
    invoice_cancel,
    invoice_mark_paid,
    invoice_topup_key,
)
from partners.services.planting_orders import forest_budget_available
from tests.accounts.factories import UserFactory
from tests.forest.tree_factories import BrandForestFactory
from tests.partners.factories import InvoiceFactory, SponsorMembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def forest(sponsor):
    return BrandForestFactory(sponsor=sponsor, name="Kubuqi", budget="0")


@pytest.fixture
def analyst_portal(client, sponsor):
    analyst = SponsorMembershipFactory(sponsor=sponsor, role=SponsorMembership.Role.ANALYST)
    client.force_login(analyst.user)
    return client


# --------------------------------------------------------------------------------------------
# Requesting a top-up
# --------------------------------------------------------------------------------------------


def test_admin_requests_a_topup_and_gets_a_pending_invoice(portal, member, sponsor, forest):
    url = f"/partners/{sponsor.slug}/invoices/new/"
    assert portal.get(f"{url}?forest={forest.pk}").status_code == 200

    response = portal.post(url, {"forest": forest.pk, "amount": "250", "po_reference": "PO-77"})

    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/partners/{sponsor.slug}/invoices/{invoice.number}/"
    assert re.fullmatch(r"CAN-\d{4}-000001", invoice.number)
    assert (invoice.sponsor, invoice.forest, invoice.requested_by) == (sponsor, forest, member.user)
    assert invoice.status == Invoice.Status.PENDING
    assert invoice.amount == Decimal("250.00")
    assert (invoice.vat_rate, invoice.vat_amount) == (Decimal("21.00"), Decimal("52.50"))
    assert invoice.total == Decimal("302.50")
    assert invoice.po_reference == "PO-77"
    assert invoice.payment_reference == creditor_reference(invoice.number)
    # Nothing reaches the budget before the money does.
    assert forest_budget_available(forest.pk) == Decimal("0.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [("49.99", "greater than or equal to 50"), ("100000.01", "less than or equal to 100000")],
)
def test_amounts_outside_the_limits_are_refused(portal, sponsor, forest, amount, message):
    response = portal.post(
        f"/partners/{sponsor.slug}/invoices/new/", {"forest": forest.pk, "amount": amount}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Invoice.objects.exists()


def test_another_sponsors_forest_cannot_be_topped_up(portal, sponsor, forest):
    theirs = BrandForestFactory(budget="0")
    response = portal.post(
        f"/partners/{sponsor.slug}/invoices/new/", {"forest": theirs.pk, "amount": "100"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Invoice.objects.exists()
    with pytest.raises(InvoiceError):
        InvoiceFactory(sponsor=sponsor, forest=theirs)


def test_invoice_numbers_run_on_within_a_year_and_restart_in_the_next(forest):
    with time_machine.travel(datetime(2026, 12, 31, 12, tzinfo=UTC), tick=False):
        first, second = InvoiceFactory(forest=forest), InvoiceFactory(forest=forest)
    with time_machine.travel(datetime(2027, 1, 1, 12, tzinfo=UTC), tick=False):
        third = InvoiceFactory(forest=forest)
    assert [first.number, second.number, third.number] == [
        "CAN-2026-000001",
        "CAN-2026-000002",
        "CAN-2027-000001",
    ]


def test_payment_references_carry_iso_11649_check_digits():
    # The standard's own example.
    assert creditor_reference("539007547034") == "RF18539007547034"
    reference = creditor_reference("CAN-2026-000123")
    assert reference.startswith("RF") and reference.endswith("CAN2026000123")
    digits = "".join(str(int(c, 36)) for c in reference[4:] + reference[:4])
    assert int(digits) % 97 == 1


def test_analyst_sees_invoices_but_cannot_request_a_topup(analyst_portal, sponsor, forest):
    invoice = InvoiceFactory(forest=forest)
    base = f"/partners/{sponsor.slug}/invoices/"
    listing = analyst_portal.get(base).content.decode()
    assert invoice.number in listing and "Request a top-up" not in listing
    assert analyst_portal.get(f"{base}{invoice.number}/").status_code == 200
    assert analyst_portal.get(f"{base}new/").status_code == 403
    response = analyst_portal.post(f"{base}new/", {"forest": forest.pk, "amount": "100"})
    assert response.status_code == 403
    assert Invoice.objects.count() == 1


# --------------------------------------------------------------------------------------------
# Listing and the printable invoice
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 6])
def test_invoice_list_shows_status_in_fixed_queries(
    portal, sponsor, forest, n, django_assert_max_num_queries
):
    invoices = [InvoiceFactory(forest=forest) for _ in range(n)]
    invoice_mark_paid(invoice_id=invoices[0].pk)
    InvoiceFactory()  # another sponsor's
    # savepoint and release, session, user, sponsor, invoices with their forest
    with django_assert_max_num_queries(6):
        response = portal.get(f"/partners/{sponsor.slug}/invoices/")
    html = response.content.decode()
    assert html.count('data-status="paid"') == 1
    assert html.count('data-status="pending"') == n - 1
    assert html.count("<tr data-invoice=") == n


@pytest.mark.django_db
def test_the_invoice_page_shows_issuer_sponsor_lines_totals_and_how_to_pay(
    portal, sponsor, forest, settings
):
    settings.CANOPY_INVOICE_ISSUER = {"name": "Canopy Test B.V.", "iban": "NL91ABNA0417164300"}
    invoice = InvoiceFactory(forest=forest, amount=Decimal("1000"), po_reference="PO-9")

    html = portal.get(f"/partners/{sponsor.slug}/invoices/{invoice.number}/").content.decode()

    assert invoice.number in html and "PO-9" in html and sponsor.name in html
    assert "Canopy Test B.V." in html and "NL91ABNA0417164300" in html
    assert "Kubuqi" in html
    assert "1000.00 EUR" in html and "210.00 EUR" in html
    assert 'data-figure="invoice_total">1210.00 EUR' in html
    assert invoice.payment_reference in html
    assert "@media print" in html
    assert 'data-status="pending"' in html


def test_another_sponsors_invoice_is_404(portal, sponsor, forest):
    theirs = InvoiceFactory()
    other_slug = theirs.sponsor.slug
    assert portal.get(f"/partners/{sponsor.slug}/invoices/{theirs.number}/").status_code == 404
    assert portal.get(f"/partners/{other_slug}/invoices/{theirs.number}/").status_code == 404
    assert portal.get(f"/partners/{other_slug}/invoices/").status_code == 404
    assert portal.get(f"/partners/{other_slug}/invoices/new/").status_code == 404
    response = portal.post(
        f"/partners/{other_slug}/invoices/new/", {"forest": theirs.forest_id, "amount": "100"}
    )
    assert response.status_code == 404
    assert Invoice.objects.count() == 1


# --------------------------------------------------------------------------------------------
# Paying and cancelling
# --------------------------------------------------------------------------------------------


def test_marking_paid_twice_credits_the_budget_once(forest):
    invoice = InvoiceFactory(forest=forest, amount=Decimal("250"))
    operator = UserFactory(is_staff=True)

    paid, newly = invoice_mark_paid(invoice_id=invoice.pk, paid_by=operator)
    again, newly_again = invoice_mark_paid(invoice_id=invoice.pk)

    assert (newly, newly_again) == (True, False)
    assert paid.status == again.status == Invoice.Status.PAID
    assert again.paid_by == operator and again.paid_at is not None
    entry = ForestBudgetEntry.objects.get(forest=forest)
    assert (entry.kind, entry.amount) == ("topup", Decimal("250.00"))  # net: VAT is not budget
    assert entry.idempotency_key == invoice_topup_key(invoice) == f"topup:invoice:{invoice.pk}"
    assert again.budget_entry == entry
    assert forest_budget_available(forest.pk) == Decimal("250.00")


def test_a_cancelled_invoice_cannot_be_paid_and_a_paid_one_cannot_be_cancelled(forest):
    cancelled, paid = InvoiceFactory(forest=forest), InvoiceFactory(forest=forest)
    assert invoice_cancel(invoice_id=cancelled.pk)[1] is True
    assert invoice_cancel(invoice_id=cancelled.pk)[1] is False
    invoice_mark_paid(invoice_id=paid.pk)

    with pytest.raises(InvoiceError, match="cancelled"):
        invoice_mark_paid(invoice_id=cancelled.pk)
    with pytest.raises(InvoiceError, match="paid"):
        invoice_cancel(invoice_id=paid.pk)

    assert Invoice.objects.get(pk=cancelled.pk).status == "cancelled"
    assert Invoice.objects.get(pk=paid.pk).status == "paid"
    assert forest_budget_available(forest.pk) == paid.amount


def _run_action(admin_client, action: str, invoices):
    return admin_client.post(
        "/admin/partners/invoice/",
        {"action": action, "_selected_action": [i.pk for i in invoices]},
        follow=True,
    )


def test_the_admin_action_marks_paid_once_however_often_it_runs(admin_client, forest):
    invoice = InvoiceFactory(forest=forest, amount=Decimal("300"))
    cancelled = InvoiceFactory(forest=forest)
    invoice_cancel(invoice_id=cancelled.pk)

    first = _run_action(admin_client, "mark_paid", [invoice, cancelled])
    second = _run_action(admin_client, "mark_paid", [invoice])  # a retried / double click

    assert "1 invoices marked paid; 0 were already." in first.content.decode()
    assert "is cancelled and cannot be paid" in first.content.decode()
    assert "0 invoices marked paid; 1 were already." in second.content.decode()
    assert ForestBudgetEntry.objects.filter(forest=forest).count() == 1
    assert forest_budget_available(forest.pk) == Decimal("300.00")

    refused = _run_action(admin_client, "mark_cancelled", [invoice])
    assert "is paid and cannot be cancelled" in refused.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


def test_the_admin_list_filters_and_searches(admin_client, forest):
    invoice = InvoiceFactory(forest=forest, po_reference="PO-SEARCH-1")
    InvoiceFactory()
    for query in ("?status__exact=pending", "?q=PO-SEARCH-1", f"?q={invoice.number}"):
        response = admin_client.get(f"/admin/partners/invoice/{query}")
        assert response.status_code == 200
        assert invoice.number in response.content.decode()
    searched = admin_client.get("/admin/partners/invoice/?q=PO-SEARCH-1").content.decode()
    assert searched.count('class="field-number"') == 1
    assert admin_client.get(f"/admin/partners/invoice/{invoice.pk}/change/").status_code == 200


# --------------------------------------------------------------------------------------------
# Every new page: login and language
# --------------------------------------------------------------------------------------------


def test_every_money_and_brand_page_needs_a_login(client, sponsor, forest):
    invoice = InvoiceFactory(forest=forest)
    urls = [
        f"/partners/{sponsor.slug}/invoices/",
        f"/partners/{sponsor.slug}/invoices/new/",
        f"/partners/{sponsor.slug}/invoices/{invoice.number}/",
        f"/partners/{sponsor.slug}/forests/{forest.pk}/statement/",
        f"/partners/{sponsor.slug}/forests/{forest.pk}/statement/2026-11/",
        f"/partners/{sponsor.slug}/forests/{forest.pk}/statement/2026-11.csv",
        f"/partners/{sponsor.slug}/branding/",
        f"/partners/{sponsor.slug}/branding/logo.png",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/partners/login/" in response["Location"], url


def test_the_money_pages_speak_dutch(portal, sponsor, forest):
    invoice = InvoiceFactory(forest=forest)
    portal.cookies["django_language"] = "nl"
    listing = portal.get(f"/partners/{sponsor.slug}/invoices/").content.decode()
    assert "Facturen" in listing and "Storting aanvragen" in listing
    assert "Wacht op betaling" in listing
    page = portal.get(f"/partners/{sponsor.slug}/invoices/{invoice.number}/").content.decode()
    assert "Zo betaalt u" in page and "Betalingskenmerk" in page
    statement = portal.get(
        f"/partners/{sponsor.slug}/forests/{forest.pk}/statement/2026-11/"
    ).content.decode()
    assert "Beginsaldo" in statement and "Eindsaldo" in statement
    branding = portal.post(
        f"/partners/{sponsor.slug}/branding/",
        {"brand_colour": "#123456", "logo": SimpleUploadedFile("x.gif", b"GIF89a....")},
    ).content.decode()
    assert "Upload een PNG- of JPEG-afbeelding." in branding
