"""economy_report on factory data, and the budget runway in the portal and the admin."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from forest.models.energy import Account, EntryKind
from forest.selectors.economy import energy_pace, percentile
from forest.services.ledger import ledger_append
from partners.selectors.runway import forest_runways
from partners.services.planting_orders import planting_order_reserve
from tests.accounts.factories import UserFactory
from tests.forest.tree_factories import BrandForestFactory, SpeciesFactory, TreeFactory

pytestmark = pytest.mark.django_db


def earn(user, grams: int) -> None:
    ledger_append(
        rows=[(user.id, Account.DROPS, EntryKind.EARN, grams, f"test:{uuid.uuid4()}", None)],
        now=timezone.now(),
    )


def fund_trees(forest, n: int) -> None:
    """``n`` matured trees whose orders reserve the forest's money now."""
    for _ in range(n):
        tree = TreeFactory(forest=forest, status="matured", matured_at=timezone.now())
        assert planting_order_reserve(tree=tree, forest_id=forest.id).order is not None


def test_percentile_interpolates_between_ranks():
    assert percentile([], 0.5) == 0.0
    assert percentile([10.0], 0.9) == 10.0
    assert percentile([0.0, 10.0, 20.0, 30.0, 40.0], 0.5) == 20.0
    assert percentile([0.0, 10.0], 0.1) == pytest.approx(1.0)


def test_pace_over_the_ledger_counts_active_users_percentiles_and_trees():
    species = SpeciesFactory(energy_cost_grams=9_000)
    forest = BrandForestFactory(species=[species], budget="100.00", price_per_tree="5.00")
    for grams in (300, 1_500, 3_000, 4_500, 6_000):  # 10 to 200 g a day over 30 days
        earn(UserFactory(), grams)
    UserFactory()  # never earned: not active
    fund_trees(forest, 2)

    pace = energy_pace(days=30)

    assert pace.active_users == 5
    assert (pace.p10, pace.p50, pace.p90) == (26.0, 100.0, 180.0)
    assert pace.days_to_tree == {species.code: 90}  # 9,000 g at 100 g a day
    assert pace.trees_per_1000_per_month == 400.0  # 2 trees for 5 active users


def test_runway_is_the_budget_over_the_pace_of_the_period():
    today = timezone.localdate()
    busy = BrandForestFactory(budget="100.00", price_per_tree="5.00")
    idle = BrandForestFactory(budget="50.00")
    fund_trees(busy, 3)  # EUR 15 in 30 days: 0.50 a day; 85 left: 170 days

    runways = {r.forest_id: r for r in forest_runways(days=30, today=today)}

    assert runways[busy.id].spend_per_day == Decimal("0.50")
    assert runways[busy.id].runs_out_on == today + timedelta(days=170)
    assert runways[idle.id].runs_out_on is None


def test_report_prints_json_with_every_figure():
    forest = BrandForestFactory(budget="100.00", price_per_tree="5.00")
    earn(UserFactory(), 3_000)
    fund_trees(forest, 1)
    out = StringIO()
    call_command("economy_report", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["active_users"] == 1
    assert data["grams_per_active_user_per_day"]["p50"] == 100.0
    (row,) = [f for f in data["forests"] if f["id"] == forest.id]
    assert row["budget_available"] == "95.00"
    assert row["runs_out_on"] == (timezone.localdate() + timedelta(days=570)).isoformat()

    text = StringIO()
    call_command("economy_report", "--days", "7", stdout=text)
    assert "p50" in text.getvalue() and forest.name in text.getvalue()


def test_a_sponsor_sees_the_runway_of_their_own_forests_only(portal, sponsor):
    mine = BrandForestFactory(sponsor=sponsor, name="Mijn Bos", budget="100.00")
    fund_trees(mine, 3)  # EUR 3 in 30 days: 0.10 a day, 97 left: 970 days
    BrandForestFactory(name="Andermans Bos", budget="100.00")

    html = portal.get(f"/partners/{sponsor.slug}/").content.decode()

    runs_out = (timezone.localdate() + timedelta(days=970)).isoformat()
    assert f'data-runway="{mine.id}"' in html
    assert f'data-runs-out="{runs_out}"' in html
    assert "Andermans Bos" not in html


def test_operators_see_each_forests_runway_in_the_admin(admin_client):
    forest = BrandForestFactory(name="Veluwe", budget="100.00")
    fund_trees(forest, 3)
    BrandForestFactory(name="Stil Bos", budget="10.00")

    html = admin_client.get("/admin/catalogue/brandforest/").content.decode()

    runs_out = (timezone.localdate() + timedelta(days=970)).isoformat()
    assert f"{runs_out} (0.10 EUR/d)" in html
    assert "no trees funded in 30 days" in html
