"""The pages people see, in a real browser at a laptop's and a phone's width: each one loads
every asset it asks for, and none scrolls sideways. Screenshots go to CANOPY_ARTIFACTS
(default ``tmp/artifacts``, ignored by git) for a human to look at."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from forest.models import GreenActionRule
from forest.services.rules import rule_save
from partners.services.evidence import planting_evidence_add
from partners.services.planting_orders import planting_order_reserve, planting_order_transition
from tests.accounts.factories import DEFAULT_PASSWORD, TransactionFactory
from tests.browser import browser_page
from tests.forest.tree_factories import BrandForestFactory, SpeciesFactory, TreeFactory
from tests.partners.factories import CampaignFactory, SponsorMembershipFactory
from tests.partners.portal_helpers import campaign_action, order_in_state
from tests.partners.test_photos import camera_jpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("CANOPY_ARTIFACTS", ROOT / "tmp" / "artifacts"))
WIDTHS = {"desktop": 1280, "phone": 390}


def _world():
    """A sponsor member (also an operator) with a mapped forest, a campaign and a certificate."""
    membership = SponsorMembershipFactory(sponsor__name="Groene Winkel")
    user = membership.user
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    sponsor = membership.sponsor
    oak = SpeciesFactory(name_en="Pedunculate oak", name_nl="Zomereik")
    forest = BrandForestFactory(sponsor=sponsor, name="Amsterdamse Bos", species=[oak])
    now = timezone.now()
    for i, (state, alive) in enumerate(
        [("planted", None), ("verified", True), ("survival_checked", False)] * 2
    ):
        order = order_in_state(forest, state, at=now - timedelta(weeks=i), alive=alive)
        order.planted_latitude, order.planted_longitude = 52.31 + i * 0.002, 4.835 + i * 0.002
        order.save(update_fields=["planted_latitude", "planted_longitude"])
    certified = None
    # One photographed tree: the live server shares the test's in-memory SQLite connection
    # between its threads, so pages must not load several database-backed images at once.
    for seed in (1,):
        tree = TreeFactory(forest=forest, species=oak, status="matured", matured_at=now)
        order = planting_order_reserve(tree=tree, forest_id=forest.id).order
        planting_order_transition(order_id=order.id, to_state="funded")
        planting_order_transition(order_id=order.id, to_state="planted")
        planting_evidence_add(
            order_id=order.id, data=camera_jpeg(seed=seed, size=(1200, 900), lat=52.315, lon=4.84)
        )
        tree.refresh_from_db()
        certified = tree.certificate.number
    campaign = CampaignFactory(sponsor=sponsor, name="Tweedehands week", budget_grams=50_000)
    for days_ago, grams in [(0, 1200), (3, 2600), (9, 900), (20, 3100)]:
        campaign_action(campaign, grams=grams, day=timezone.localdate() - timedelta(days=days_ago))
    return user, sponsor, forest, campaign, certified


def _watch(page, origin: str, failures: list[str], *, ignore: tuple[str, ...] = ()) -> None:
    """Record every failed request and every same-origin answer of 400 or more."""

    def failed(request) -> None:
        # ERR_ABORTED: cancelled because the page moved on (the next goto), not a failed
        # asset; a missing one answers 404 below, a refused one fails with its own reason.
        if request.failure == "net::ERR_ABORTED":
            return
        if not request.url.startswith(ignore):
            failures.append(f"{request.url}: {request.failure}")

    def answered(response) -> None:
        same_origin = response.url.startswith(origin)
        if same_origin and response.status >= 400 and not response.url.startswith(ignore):
            failures.append(f"{response.url}: HTTP {response.status}")

    def console(message) -> None:
        # A failed load is caught with its URL by the handlers above (and favicon.ico, which
        # browsers ask for on their own, is not a page's asset).
        # A request to an ignored origin may also be refused by the page's policy (not a fault).
        text = message.text
        ignored = text.startswith("Failed to load resource") or any(o in text for o in ignore)
        if message.type == "error" and not ignored:
            failures.append(f"console: {text} at {page.url}")

    page.on("requestfailed", failed)
    page.on("response", answered)
    page.on("console", console)
    page.on("pageerror", lambda error: failures.append(f"script error: {error}"))


def _overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


def test_every_page_loads_its_assets_and_fits_the_window(live_server, settings):
    settings.CANOPY_MAP_TILE_URL = ""  # no tile server in tests: outline and pins only
    user, sponsor, forest, campaign, certificate = _world()
    rule = _rule_with_two_versions()
    base = live_server.url
    pages = {
        "landing": "/",
        "api-docs": "/api/docs/",
        "portal-overview": f"/partners/{sponsor.slug}/",
        "forest-map": f"/partners/{sponsor.slug}/forests/{forest.pk}/",
        "campaign": f"/partners/{sponsor.slug}/campaigns/{campaign.pk}/",
        "certificate": f"/certificates/{certificate}",
        "admin-planting-orders": "/admin/partners/plantingorder/",
        "admin-trees": "/admin/forest/tree/",
        "admin-periodic-tasks": "/admin/django_celery_beat/periodictask/",
        "admin-rule": f"/admin/forest/greenactionrule/{rule.pk}/change/",
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    overflowing: list[str] = []
    with browser_page() as page:
        _watch(page, base, failures)
        page.goto(f"{base}/admin/login/")
        page.fill("#id_username", user.email)
        page.fill("#id_password", DEFAULT_PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(f"{base}/admin/")
        for device, width in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": 900})
            for name, path in pages.items():
                response = page.goto(base + path, wait_until="networkidle")
                assert response is not None and response.status == 200, path
                if name == "api-docs":
                    page.wait_for_selector(".swagger-ui .information-container")
                if name in ("forest-map", "certificate"):
                    assert failures == [], (name, failures)
                    page.wait_for_selector("[data-map][data-ready='1']")
                    assert page.locator("path.pin").count() >= 1
                    assert page.locator("path.forest-area").count() == 1
                if name == "forest-map":
                    assert page.locator("path.pin").count() == 7
                if name.startswith("admin-") and device == "desktop":
                    clipped = page.evaluate(
                        "(() => { const r = document.querySelector('#changelist .results');"
                        " return r ? r.scrollWidth - r.clientWidth : 0; })()"
                    )
                    if clipped > 0:
                        overflowing.append(f"{name} at {width} px: columns clipped by {clipped}")
                if (extra := _overflow(page)) > 0:
                    overflowing.append(f"{name} at {width} px: {extra} px too wide")
                page.screenshot(path=str(ARTIFACTS / f"{name}-{device}.png"), full_page=True)
                if name == "admin-rule":
                    # "Test this draft" brings the form back with its result, nothing saved.
                    page.click("button[name=_test_draft]")
                    page.wait_for_selector(".draft-test-result")
                    assert page.locator(".draft-test-samples tbody tr").count() == 1
                    if (extra := _overflow(page)) > 0:
                        overflowing.append(f"rule draft test at {width} px: {extra} px too wide")
                    page.screenshot(
                        path=str(ARTIFACTS / f"admin-rule-draft-test-{device}.png"), full_page=True
                    )
    assert failures == []
    assert overflowing == [], overflowing


def _rule_with_two_versions() -> GreenActionRule:
    """A rule edited once (its versions' diff table) and a recent purchase it matches."""
    rule = rule_save(
        rule=GreenActionRule(
            code="ferry", name_en="Ferry", name_nl="Veerpont", priority=400,
            action_type="public_transport", estimate_kind="fixed", fixed_grams=40,
            match_merchants=["gvb veer"], match_mccs=["4111"], method="40 g a crossing",
            source="GVB's own figures", daily_cap_grams=1000,
        )
    )  # fmt: skip
    rule.fixed_grams = 55
    rule.match_merchants = ["gvb veer", "pont"]
    rule_save(rule=rule)
    TransactionFactory(
        merchant_name="GVB Veer",
        description="GVB VEER IJPLEIN AMSTERDAM PAS 123 BETAALAUTOMAAT 14:32",
        booking_date=timezone.localdate() - timedelta(days=2),
    )
    return rule


def test_the_map_draws_outline_and_pins_when_no_tile_loads(live_server, settings):
    settings.CANOPY_MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # nothing listens
    user, sponsor, forest, _campaign, _certificate = _world()
    base = live_server.url
    failures: list[str] = []
    with browser_page() as page:
        _watch(page, base, failures, ignore=("http://127.0.0.1:9/",))
        tiles: list[str] = []
        page.on("requestfailed", lambda r: tiles.append(r.url) if ":9/" in r.url else None)
        page.goto(f"{base}/admin/login/")
        page.fill("#id_username", user.email)
        page.fill("#id_password", DEFAULT_PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(f"{base}/admin/")
        page.goto(f"{base}/partners/{sponsor.slug}/forests/{forest.pk}/", wait_until="networkidle")
        page.wait_for_selector("[data-map][data-ready='1']")
        assert tiles, "the tiles were asked for (and failed)"
        assert page.locator("path.forest-area").count() == 1
        assert page.locator("path.pin").count() == 7
        # A popup carries the planting photo's thumbnail, from our own origin.
        page.locator("path.pin-verified").first.dispatch_event("click")
        thumb = page.locator(".leaflet-popup img")
        thumb.wait_for()
        assert urlsplit(thumb.get_attribute("src") or "").path.endswith("/thumb.jpg")
        page.wait_for_function("document.querySelector('.leaflet-popup img').naturalWidth > 0")
    assert failures == []
