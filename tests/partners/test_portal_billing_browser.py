"""Top-ups in a real browser: request one, see the invoice, see the budget once it is paid."""

from __future__ import annotations

import pytest
from PIL import Image

from partners.models import Invoice
from partners.services.billing import invoice_mark_paid
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.browser import browser_page
from tests.forest.tree_factories import BrandForestFactory
from tests.partners.factories import SponsorMembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sponsor_admin_tops_up_a_forest_and_sees_the_budget_after_payment(live_server, tmp_path):
    membership = SponsorMembershipFactory(sponsor__name="Groene Winkel")
    sponsor = membership.sponsor
    forest = BrandForestFactory(sponsor=sponsor, name="Amsterdamse Bos", budget="100.00")

    with browser_page() as page:
        page.goto(f"{live_server.url}/partners/login/")
        page.fill("#id_username", membership.user.email)
        page.fill("#id_password", DEFAULT_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"**/partners/{sponsor.slug}/")

        page.click("nav >> text=Forests")
        page.click("text=Amsterdamse Bos")
        budget = page.locator("[data-figure=budget_available]")
        assert budget.inner_text() == "100.00 EUR"

        page.click("text=Top up")
        assert page.locator("#id_forest").input_value() == str(forest.pk)
        page.fill("#id_amount", "10")
        page.click("text=Create invoice")
        assert "greater than or equal to 50" in page.locator("[role=alert]").first.inner_text()
        page.fill("#id_amount", "250")
        page.fill("#id_po_reference", "PO-2026-17")
        page.click("text=Create invoice")
        page.wait_for_url(f"**/partners/{sponsor.slug}/invoices/CAN-*/")

        number = page.locator("[data-invoice-number]").inner_text()
        assert page.locator("[data-status]").inner_text() == "Pending payment"
        assert page.locator("[data-figure=invoice_total]").inner_text() == "302.50 EUR"
        reference = page.locator("[data-payment-reference]").inner_text()
        cookies = page.context.cookies()

    # Outside the browser block: Playwright's event loop gives ORM calls inside it a
    # connection of their own, which would outlive the test.
    invoice = Invoice.objects.get()
    assert (invoice.number, invoice.payment_reference) == (number, reference)
    assert invoice.status == Invoice.Status.PENDING

    with browser_page() as page:
        page.context.add_cookies(cookies)
        page.goto(f"{live_server.url}/partners/{sponsor.slug}/")
        page.click("nav >> text=Invoices")
        row = page.locator(f"tr[data-invoice='{invoice.number}']")
        assert row.locator("[data-status]").inner_text() == "Pending payment"
        cookies = page.context.cookies()

    # The operator records the payment (the admin action calls the same service).
    invoice_mark_paid(invoice_id=invoice.pk)

    with browser_page() as page:
        page.context.add_cookies(cookies)
        page.goto(f"{live_server.url}/partners/{sponsor.slug}/invoices/")
        row = page.locator(f"tr[data-invoice='{invoice.number}']")
        assert row.locator("[data-status]").inner_text() == "Paid"
        page.goto(f"{live_server.url}/partners/{sponsor.slug}/forests/{forest.pk}/")
        assert page.locator("[data-figure=budget_available]").inner_text() == "350.00 EUR"

        page.click("text=Monthly statement")
        assert page.locator("[data-figure=closing]").inner_text() == "350.00 EUR"
        assert page.locator(f"text=invoice {invoice.number}").is_visible()

        # Branding: the new colour and logo show in the header at once.
        logo = tmp_path / "logo.png"
        Image.new("RGB", (240, 80), (27, 94, 32)).save(logo)
        page.click("nav >> text=Branding")
        page.fill("#id_brand_colour", "#0d47a1")
        page.set_input_files("#id_logo", str(logo))
        page.click("text=Save branding")
        header_logo = page.locator("header img.brand-logo")
        assert header_logo.is_visible()
        # The page is there before its image: wait until the browser has the logo (a logo
        # that failed to load never completes with a width, and the wait times out).
        page.wait_for_function(
            "() => { const img = document.querySelector('header img.brand-logo');"
            " return img && img.complete && img.naturalWidth > 0; }",
            timeout=10_000,
        )
        assert header_logo.evaluate("img => img.naturalWidth") == 240
        assert page.locator("header").evaluate("h => getComputedStyle(h).backgroundColor") == (
            "rgb(13, 71, 161)"
        )
