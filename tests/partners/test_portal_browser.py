"""The partner portal in a real browser: log in, see your brand, never another's."""

from __future__ import annotations

import pytest

from tests.accounts.factories import DEFAULT_PASSWORD
from tests.browser import browser_page
from tests.partners.factories import SponsorFactory, SponsorMembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
