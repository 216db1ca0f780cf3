"""The partner portal's pages: figures, forests, campaigns, reports, scoping and roles."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalogue.models import Campaign, SponsorMembership
from partners.selectors import portal as sel
from partners.selectors import reports
from tests.accounts.factories import UserFactory
from tests.forest.tree_factories import BrandForestFactory, SpeciesFactory, TreeFactory
from tests.partners.factories import CampaignFactory, SponsorFactory, SponsorMembershipFactory
from tests.partners.portal_helpers import campaign_action, order_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst_portal(client, sponsor):
    analyst = SponsorMembershipFactory(sponsor=sponsor, role=SponsorMembership.Role.ANALYST)
    client.force_login(analyst.user)
    return client


def _stream(response) -> str:
    return b"".join(response.streaming_content).decode()


def _build_sponsor_world(sponsor, *, extra: int = 0):
    """Five orders in every state and campaign energy; ``extra`` more of each for query tests."""
    forest = BrandForestFactory(sponsor=sponsor, price_per_tree=Decimal("2.00"), capacity=100)
    owners = [UserFactory() for _ in range(5)]
    order_in_state(forest, "requested", owner=owners[0])
    order_in_state(forest, "funded", owner=owners[1])
    order_in_state(forest, "planted", owner=owners[2])
    order_in_state(forest, "verified", owner=owners[3], alive=True)
    order_in_state(forest, "survival_checked", owner=owners[4], alive=False)
    campaign = CampaignFactory(sponsor=sponsor, budget_grams=10_000, spent_grams=150)
    campaign_action(campaign, user=owners[0], grams=100)
    campaign_action(campaign, grams=50)
    campaign_action(campaign, grams=999, reversed_at=timezone.now())
    for _ in range(extra):
        more = BrandForestFactory(sponsor=sponsor)
        order_in_state(more, "verified", alive=True)
        campaign_action(CampaignFactory(sponsor=sponsor), grams=10)
    return forest, campaign


# --------------------------------------------------------------------------------------------
# Overview
# --------------------------------------------------------------------------------------------


def test_overview_figures_count_trees_people_energy_and_budget(sponsor):
    _build_sponsor_world(sponsor)
    _build_sponsor_world(SponsorFactory())  # someone else's, never counted

    figures = sel.sponsor_figures(sponsor)

    assert figures.trees_funded == 4  # requested is not yet funded
    assert figures.trees_planted == 3
    assert figures.trees_verified == 2
    assert figures.trees_surviving == 2  # the tree found dead is not surviving
    assert figures.participants == 6  # five tree owners, one of whom earned, plus one earner
    assert figures.campaign_grams == 150  # the reversed action does not count
    assert figures.budget_money == Decimal("100.00")
    assert figures.budget_trees == 50  # 100.00 at 2.00 a tree, capacity left 95
    assert figures.currencies == ["EUR"]


def test_participants_include_everyone_who_grew_a_team_tree(sponsor):
    from forest.models.trees import TreeContribution

    tree = TreeFactory(forest=BrandForestFactory(sponsor=sponsor))
    TreeContribution.objects.create(tree=tree, user=tree.owner, grams=10)
    TreeContribution.objects.create(tree=tree, user=UserFactory(), grams=10)
    assert sel.sponsor_participants(sponsor) == 2


def test_budget_in_trees_is_capped_by_capacity_left(sponsor):
    forest = BrandForestFactory(sponsor=sponsor, price_per_tree=Decimal("0.60"), capacity=3)
    order_in_state(forest, "funded")
    assert sel.sponsor_budget_left(sponsor).trees == 2


def test_weekly_series_puts_funded_trees_and_grams_in_their_weeks(sponsor):
    forest = BrandForestFactory(sponsor=sponsor)
    today = timezone.localdate()
    order_in_state(forest, "funded")
    order_in_state(forest, "planted", at=timezone.now() - timedelta(weeks=3))
    order_in_state(forest, "funded", at=timezone.now() - timedelta(weeks=20))  # off the chart
    campaign = CampaignFactory(sponsor=sponsor)
    campaign_action(campaign, grams=70, day=today - timedelta(weeks=1))

    series = sel.sponsor_weekly_series(sponsor, today=today)

    assert len(series) == 12
    assert series[-1].week == today - timedelta(days=today.weekday())
    assert [p.trees_funded for p in series][-4:] == [1, 0, 0, 1]
    assert [p.campaign_grams for p in series][-2:] == [70, 0]
    assert sum(p.trees_funded for p in series) == 2


@pytest.mark.parametrize("extra", [0, 8])
def test_overview_selectors_run_a_fixed_number_of_queries(
    sponsor, extra, django_assert_max_num_queries
):
    _build_sponsor_world(sponsor, extra=extra)
    with django_assert_max_num_queries(4):
        sel.sponsor_figures(sponsor)
    with django_assert_max_num_queries(2):
        sel.sponsor_weekly_series(sponsor)


@pytest.mark.parametrize("extra", [0, 8])
def test_overview_page_shows_figures_and_an_inline_svg_chart(
    portal, sponsor, extra, django_assert_max_num_queries
):
    _build_sponsor_world(sponsor, extra=extra)
    # savepoint and release (ATOMIC_REQUESTS), session, user, sponsor, 4 figures, 2 series
    with django_assert_max_num_queries(11):
        response = portal.get(f"/partners/{sponsor.slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in html
    assert html.count('class="bar"') == 12
    assert 'data-figure="trees_funded">' + str(4 + extra) in html
    # The chart is drawn server-side: the one script is base.html's nonce'd event wiring.
    assert html.count("<script") == 1 and "http://cdn" not in html


# --------------------------------------------------------------------------------------------
# Forests
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 6])
def test_forest_list_shows_each_forest_in_fixed_queries(
    portal, sponsor, n, django_assert_max_num_queries
):
    forests = [BrandForestFactory(sponsor=sponsor, name=f"Bos {i}") for i in range(n)]
    order_in_state(forests[0], "funded")
    BrandForestFactory(name="Vreemd bos")
    with django_assert_max_num_queries(6):
        response = portal.get(f"/partners/{sponsor.slug}/forests/")
    html = response.content.decode()
    assert response.status_code == 200
    assert all(f.name in html for f in forests)
    assert "Vreemd bos" not in html


def test_forest_detail_shows_outline_species_ledger_and_orders_by_state(
    portal, sponsor, django_assert_max_num_queries
):
    species = SpeciesFactory(name_en="Saxaul", latin_name="Haloxylon ammodendron")
    forest = BrandForestFactory(sponsor=sponsor, species=[species], name="Kubuqi")
    order_in_state(forest, "planted")
    order_in_state(forest, "planted")
    order_in_state(forest, "verified")

    # savepoint and release, session, user, sponsor, forest, species, orders and tree counts,
    # ledger, map pins, evidence gallery
    with django_assert_max_num_queries(11):
        response = portal.get(f"/partners/{sponsor.slug}/forests/{forest.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="outline"' in html and '<path d="M' in html
    assert "Saxaul" in html and "Haloxylon ammodendron" in html
    assert '<tr data-state="planted"><td>Planted</td><td class="num">2</td>' in html
    assert '<tr data-state="verified"><td>Verified</td><td class="num">1</td>' in html
    assert "Top-up" in html and "100.00" in html


def test_outline_draws_every_polygon_of_a_multipolygon():
    from partners.portal.charts import area_outline_svg

    square = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]
    other = [[[2, 2], [3, 2], [3, 3], [2, 3], [2, 2]]]
    svg = area_outline_svg({"type": "MultiPolygon", "coordinates": [square, other]})
    assert svg.count(" Z") == 2
    assert area_outline_svg({"type": "Point", "coordinates": [0, 0]}) == ""


# --------------------------------------------------------------------------------------------
# Campaigns
# --------------------------------------------------------------------------------------------

VALID_CAMPAIGN = {
    "name": "Refill week",
    "match_merchants": "Groene Winkel B.V., Vinted",
    "match_mccs": "5931, 5932",
    "match_description_regex": "eco ?refill",
    "bonus_grams": "50",
    "multiplier": "1.5",
    "starts_on": "2026-12-01",
    "ends_on": "2026-12-31",
    "segment": "all",
    "segment_city": "",
    "budget_grams": "20000",
    "is_active": "on",
}


@pytest.mark.parametrize("n", [1, 7])
def test_campaign_list_shows_budget_bars_in_fixed_queries(
    portal, sponsor, n, django_assert_max_num_queries
):
    for i in range(n):
        CampaignFactory(sponsor=sponsor, name=f"Actie {i}", budget_grams=1000, spent_grams=250)
    CampaignFactory(name="Vreemde actie")
    with django_assert_max_num_queries(6):
        response = portal.get(f"/partners/{sponsor.slug}/campaigns/")
    html = response.content.decode()
    assert html.count('class="bar-fill" style="width: 25%"') == n
    assert "250 of 1,000 g spent" in html
    assert "Vreemde actie" not in html
    assert "New campaign" in html


def test_admin_creates_a_campaign_through_the_form(portal, sponsor):
    response = portal.post(f"/partners/{sponsor.slug}/campaigns/new/", VALID_CAMPAIGN)

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/partners/{sponsor.slug}/campaigns/{campaign.pk}/"
    assert campaign.sponsor == sponsor
    assert campaign.match_merchants == ["groene winkel", "vinted"]
    assert campaign.match_mccs == ["5931", "5932"]
    assert campaign.multiplier == Decimal("1.5")
    assert campaign.spent_grams == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"match_description_regex": "eco(refill"}, "Invalid regular expression"),
        ({"match_description_regex": "refill{1,300}"}, "A repetition count may be at most 255."),
        ({"match_mccs": "59"}, "Every MCC has exactly four digits."),
        (
            {"match_merchants": "", "match_mccs": "", "match_description_regex": ""},
            "A campaign needs at least one matcher.",
        ),
        ({"bonus_grams": "0", "multiplier": "1"}, "Give a bonus or a multiplier above 1."),
        ({"segment": "city"}, "Name the city."),
        ({"ends_on": "2026-11-01"}, "Constraint"),
    ],
)
def test_the_form_refuses_what_the_model_refuses(portal, sponsor, change, message):
    response = portal.post(f"/partners/{sponsor.slug}/campaigns/new/", VALID_CAMPAIGN | change)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Campaign.objects.exists()


def test_admin_edits_a_campaign_without_touching_what_was_spent(portal, sponsor):
    campaign = CampaignFactory(sponsor=sponsor, budget_grams=1000, spent_grams=400)
    url = f"/partners/{sponsor.slug}/campaigns/{campaign.pk}/edit/"
    assert portal.get(url).status_code == 200

    too_small = portal.post(url, VALID_CAMPAIGN | {"budget_grams": "300"})
    assert "already spent (400 g)" in too_small.content.decode()

    response = portal.post(url, VALID_CAMPAIGN | {"name": "Renamed", "budget_grams": "5000"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.budget_grams, campaign.spent_grams) == ("Renamed", 5000, 400)


def test_analyst_reads_campaigns_but_cannot_create_or_edit(analyst_portal, sponsor):
    campaign = CampaignFactory(sponsor=sponsor, name="Bestaand")
    base = f"/partners/{sponsor.slug}/campaigns/"
    listing = analyst_portal.get(base).content.decode()
    assert "Bestaand" in listing and "New campaign" not in listing
    assert analyst_portal.get(f"{base}{campaign.pk}/").status_code == 200
    assert analyst_portal.get(f"{base}new/").status_code == 403
    assert analyst_portal.post(f"{base}new/", VALID_CAMPAIGN).status_code == 403
    assert analyst_portal.post(f"{base}{campaign.pk}/edit/", VALID_CAMPAIGN).status_code == 403
    assert Campaign.objects.get().name == "Bestaand"


def test_campaign_page_shows_energy_by_day(portal, sponsor, django_assert_max_num_queries):
    campaign = CampaignFactory(sponsor=sponsor)
    campaign_action(campaign, grams=30, day=date(2026, 11, 2))
    campaign_action(campaign, grams=20, day=date(2026, 11, 2))
    campaign_action(campaign, grams=5, day=date(2026, 11, 4))
    campaign_action(campaign, grams=500, day=date(2026, 11, 4), reversed_at=timezone.now())

    assert sel.campaign_energy_by_day(campaign) == [
        sel.DayPoint(date(2026, 11, 2), 2, 50),
        sel.DayPoint(date(2026, 11, 4), 1, 5),
    ]
    with django_assert_max_num_queries(7):
        response = portal.get(f"/partners/{sponsor.slug}/campaigns/{campaign.pk}/")
    html = response.content.decode()
    assert '<tr data-day="2026-11-02">' in html
    assert "3 purchases, 55 g" in html


# --------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------


def test_trees_csv_has_one_row_per_tree_and_no_personal_data(portal, sponsor):
    forest = BrandForestFactory(sponsor=sponsor, name="Kubuqi")
    owner = UserFactory(email="sanne@example.nl")
    verified = order_in_state(forest, "verified", owner=owner, alive=True)
    growing = TreeFactory(forest=forest)
    order_in_state(BrandForestFactory(), "planted")  # another sponsor's

    response = portal.get(f"/partners/{sponsor.slug}/reports/trees.csv")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = _stream(response)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["tree_id"] for r in rows] == [str(verified.tree_id), str(growing.pk)]
    first = rows[0]
    assert first["order_id"] == str(verified.pk)
    assert first["order_state"] == "verified"
    assert first["forest"] == "Kubuqi"
    assert first["survival"] == "alive" and first["survival_year"] == "1"
    assert first["planted_at"] and first["verified_at"]
    assert first["participant"] == reports.participant_pseudonym(sponsor.pk, owner.pk)
    assert rows[1]["order_id"] == "" and rows[1]["tree_status"] == "growing"
    assert "sanne" not in body and str(owner.pk) != first["participant"]


def test_trees_csv_prefers_the_live_order_over_a_cancelled_one(portal, sponsor):
    forest = BrandForestFactory(sponsor=sponsor)
    live = order_in_state(forest, "funded")
    cancelled = order_in_state(forest, "cancelled")
    cancelled.tree = live.tree
    cancelled.save(update_fields=["tree"])
    rows = list(reports.trees_report_rows(sponsor))
    assert len(rows) == 3  # header, the shared tree, the other (now order-less) tree
    assert rows[1][1] == str(live.pk)


def test_pseudonyms_differ_between_sponsors():
    assert reports.participant_pseudonym(1, 42) != reports.participant_pseudonym(2, 42)
    assert reports.participant_pseudonym(1, 42) == reports.participant_pseudonym(1, 42)


def test_campaigns_csv_has_actions_and_grams_per_campaign_per_day(portal, sponsor):
    campaign = CampaignFactory(sponsor=sponsor, name="Refill")
    campaign_action(campaign, grams=30, day=date(2026, 11, 2))
    campaign_action(campaign, grams=20, day=date(2026, 11, 2))
    campaign_action(campaign, grams=5, day=date(2026, 11, 3))
    campaign_action(CampaignFactory(), grams=7, day=date(2026, 11, 3))

    response = portal.get(f"/partners/{sponsor.slug}/reports/campaigns.csv")

    assert response.streaming
    assert _stream(response).splitlines() == [
        "campaign_id,campaign,day,actions,grams",
        f"{campaign.pk},Refill,2026-11-02,2,50",
        f"{campaign.pk},Refill,2026-11-03,1,5",
    ]


# --------------------------------------------------------------------------------------------
# Scoping
# --------------------------------------------------------------------------------------------


def _urls(slug: str, forest_id: int, campaign_id: int) -> list[str]:
    return [
        f"/partners/{slug}/",
        f"/partners/{slug}/forests/",
        f"/partners/{slug}/forests/{forest_id}/",
        f"/partners/{slug}/campaigns/",
        f"/partners/{slug}/campaigns/new/",
        f"/partners/{slug}/campaigns/{campaign_id}/",
        f"/partners/{slug}/campaigns/{campaign_id}/edit/",
        f"/partners/{slug}/reports/trees.csv",
        f"/partners/{slug}/reports/campaigns.csv",
    ]


def test_every_page_is_404_for_another_sponsor_and_its_objects(portal, sponsor):
    own_forest = BrandForestFactory(sponsor=sponsor)
    own_campaign = CampaignFactory(sponsor=sponsor)
    other = SponsorFactory()
    their_forest = BrandForestFactory(sponsor=other)
    their_campaign = CampaignFactory(sponsor=other)

    for url in _urls(sponsor.slug, own_forest.pk, own_campaign.pk):
        assert portal.get(url).status_code == 200, url
    for url in _urls(other.slug, their_forest.pk, their_campaign.pk):
        assert portal.get(url).status_code == 404, url
        assert portal.post(url, VALID_CAMPAIGN).status_code in (404, 405), url
    # Their objects under our slug are just as unseen.
    assert portal.get(f"/partners/{sponsor.slug}/forests/{their_forest.pk}/").status_code == 404
    for suffix in ("", "edit/"):
        url = f"/partners/{sponsor.slug}/campaigns/{their_campaign.pk}/{suffix}"
        assert portal.get(url).status_code == 404
        assert portal.post(url, VALID_CAMPAIGN).status_code in (404, 405)
    assert Campaign.objects.filter(sponsor=other).count() == 1


def test_every_page_needs_a_login(client, sponsor):
    for url in _urls(sponsor.slug, 1, 1):
        response = client.get(url)
        assert response.status_code == 302 and "/partners/login/" in response["Location"], url


# --------------------------------------------------------------------------------------------
# Dutch and English
# --------------------------------------------------------------------------------------------


def test_portal_speaks_dutch_with_accept_language(portal, sponsor):
    response = portal.get(f"/partners/{sponsor.slug}/", HTTP_ACCEPT_LANGUAGE="nl")
    html = response.content.decode()
    assert '<html lang="nl">' in html
    assert "Bomen gefinancierd" in html
    assert "Uitloggen" in html
    assert "Trees funded" not in html


def test_portal_speaks_dutch_with_the_language_cookie(portal, sponsor):
    portal.cookies["django_language"] = "nl"
    html = portal.get(f"/partners/{sponsor.slug}/campaigns/").content.decode()
    assert "Nieuwe campagne" in html
    portal.cookies["django_language"] = "en"
    assert "New campaign" in portal.get(f"/partners/{sponsor.slug}/campaigns/").content.decode()
