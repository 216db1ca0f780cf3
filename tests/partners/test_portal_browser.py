"""The partner portal in a real browser: log in, see your brand, never another's."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from catalogue.models import Campaign
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.browser import browser_page
from tests.forest.tree_factories import BrandForestFactory
from tests.partners.factories import CampaignFactory, SponsorFactory, SponsorMembershipFactory
from tests.partners.portal_helpers import campaign_action, order_in_state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Where the overview screenshot goes, for a human to look at.
SCREENSHOT = Path(os.environ.get("CANOPY_PORTAL_SCREENSHOT", "/tmp/portal.png"))


def test_sponsor_member_logs_in_through_the_browser(live_server):
    membership = SponsorMembershipFactory(sponsor__name="Groene Winkel")
    other = SponsorFactory(name="Ander Merk")

    with browser_page() as page:
        page.goto(f"{live_server.url}/partners/")
        assert "/partners/login/" in page.url
        page.fill("#id_username", membership.user.email)
        page.fill("#id_password", "wrong password")
        page.click("button[type=submit]")
        assert page.locator("[role=alert]").is_visible()

        page.fill("#id_username", membership.user.email)
        page.fill("#id_password", DEFAULT_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"**/partners/{membership.sponsor.slug}/")
        assert page.locator("h1").inner_text() == "Groene Winkel"

        response = page.goto(f"{live_server.url}/partners/{other.slug}/")
        assert response is not None and response.status == 404


def test_sponsor_runs_the_portal_in_a_browser(live_server, tmp_path):
    membership = SponsorMembershipFactory(
        sponsor__name="Groene Winkel", sponsor__brand_colour="#1b5e20"
    )
    sponsor = membership.sponsor
    forest = BrandForestFactory(sponsor=sponsor, name="Amsterdamse Bos", capacity=500)
    now = timezone.now()
    for weeks_ago, n in [(0, 3), (1, 5), (2, 2), (4, 6), (6, 4), (9, 3)]:
        for _ in range(n):
            state = "verified" if weeks_ago > 3 else "funded"
            order_in_state(forest, state, at=now - timedelta(weeks=weeks_ago), alive=True)
    campaign = CampaignFactory(sponsor=sponsor, name="Tweedehands week", budget_grams=50_000)
    for weeks_ago, grams in [(0, 1200), (1, 2600), (3, 900), (5, 3100), (8, 1500)]:
        campaign_action(
            campaign, grams=grams, day=timezone.localdate() - timedelta(weeks=weeks_ago)
        )

    with browser_page() as page:
        page.set_viewport_size({"width": 1280, "height": 1100})
        page.goto(f"{live_server.url}/partners/login/")
        page.fill("#id_username", membership.user.email)
        page.fill("#id_password", DEFAULT_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"**/partners/{sponsor.slug}/")

        chart = page.locator("svg.chart")
        assert chart.is_visible()
        assert chart.locator("rect.bar").count() == 12
        assert page.locator("[data-figure=trees_funded]").inner_text() == "23"
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        page.click("nav >> text=Campaigns")
        page.click("text=New campaign")
        page.fill("#id_name", "Refill week")
        page.fill("#id_match_merchants", "Groene Winkel")
        page.fill("#id_match_description_regex", "eco(refill")
        page.fill("#id_bonus_grams", "50")
        page.fill("#id_starts_on", "2026-12-01")
        page.fill("#id_ends_on", "2026-12-31")
        page.fill("#id_budget_grams", "20000")
        page.click("text=Save campaign")
        assert "Invalid regular expression" in page.locator("[role=alert]").first.inner_text()
        page.fill("#id_match_description_regex", "eco ?refill")
        page.click("text=Save campaign")
        page.wait_for_url(f"**/partners/{sponsor.slug}/campaigns/*/")
        assert page.locator("h1").inner_text() == "Refill week"

        page.goto(f"{live_server.url}/partners/{sponsor.slug}/")
        with page.expect_download() as download_info:
            page.click("text=Trees (CSV)")
        target = tmp_path / "trees.csv"
        download_info.value.save_as(target)
        lines = target.read_text().splitlines()
        assert lines[0].startswith("tree_id,order_id,participant")
        assert len(lines) == 1 + 23

    assert Campaign.objects.filter(sponsor=sponsor, name="Refill week").exists()
