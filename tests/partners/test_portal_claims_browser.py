"""Claim codes in a real browser: an administrator creates a batch and downloads its codes."""

from __future__ import annotations

import csv

import pytest

from catalogue.models import Campaign
from partners.models import ClaimCodeBatch
from partners.services.claims import code_hash, code_normalise
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.browser import browser_page
from tests.partners.factories import CampaignFactory, SponsorMembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_creates_a_batch_and_downloads_the_codes_once(live_server, tmp_path):
    membership = SponsorMembershipFactory(sponsor__name="Groene Winkel")
    sponsor = membership.sponsor
    campaign = CampaignFactory(sponsor=sponsor, name="Bonnetjes", budget_grams=2_000)

    with browser_page() as page:
        page.goto(f"{live_server.url}/partners/login/")
        page.fill("#id_username", membership.user.email)
        page.fill("#id_password", DEFAULT_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"**/partners/{sponsor.slug}/")

        page.click("nav >> text=Claim codes")
        page.click("text=New batch")
        page.select_option("#id_campaign", str(campaign.pk))
        page.fill("#id_name", "Kassabonnen december")
        page.fill("#id_grams_per_code", "30")
        page.fill("#id_code_count", "100")
        page.fill("#id_valid_from", "2026-12-01")
        page.fill("#id_valid_until", "2026-12-31")
        page.click("text=Create batch")
        assert "does not cover this batch" in page.locator("[role=alert]").first.inner_text()

        page.fill("#id_code_count", "50")
        page.click("text=Create batch")
        page.wait_for_url(f"**/partners/{sponsor.slug}/claims/*/")
        assert page.locator("h1").inner_text() == "Kassabonnen december"

        with page.expect_download() as download_info:
            page.click("text=Download the codes (CSV)")
        target = tmp_path / "codes.csv"
        download_info.value.save_as(target)

        page.goto(page.url)
        assert page.locator("[data-downloaded]").is_visible()
        assert page.locator("text=Download the codes (CSV)").count() == 0
        assert page.locator("[data-figure=codes]").inner_text() == "50"

    rows = list(csv.reader(target.open()))
    assert rows[0][0] == "code" and len(rows) == 51
    batch = ClaimCodeBatch.objects.get(sponsor=sponsor)
    assert {code_hash(code_normalise(r[0])) for r in rows[1:]} == set(
        batch.codes.values_list("code_hash", flat=True)
    )
    assert batch.downloaded_by == membership.user
    assert Campaign.objects.get(pk=campaign.pk).spent_grams == 1_500
