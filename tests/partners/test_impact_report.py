"""A forest's monthly impact report (PDF and CSV): counted from dated facts, for the
sponsor's members only, and never worded as offsets or credits."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from partners.models import SurvivalCheck
from partners.selectors.impact import forest_impact_month
from partners.selectors.statements import Month
from tests.forest.tree_factories import BrandForestFactory
from tests.partners.factories import SponsorMembershipFactory
from tests.partners.portal_helpers import order_in_state

pytestmark = pytest.mark.django_db


def _at(y: int, m: int, d: int) -> datetime:
    return timezone.make_aware(datetime(y, m, d, 12, 0))


@pytest.fixture
def forest(sponsor):
    forest = BrandForestFactory(sponsor=sponsor)
    order_in_state(forest, "verified", at=_at(2026, 9, 10), alive=True)  # before October
    order_in_state(forest, "funded", at=_at(2026, 10, 3))
    order_in_state(forest, "planted", at=_at(2026, 10, 15))
    dying = order_in_state(forest, "survival_checked", at=_at(2026, 10, 20))
    SurvivalCheck.objects.create(order=dying, year=1, checked_on=date(2026, 10, 28), alive=False)
    order_in_state(forest, "funded", at=_at(2026, 11, 2))  # after October
    return forest


def test_the_month_counts_what_happened_in_it_and_where_the_forest_stands(forest):
    report = forest_impact_month(forest, Month(2026, 10))
    figures = dict(report.rows())
    assert figures["trees_funded_in_month"] == 3
    assert figures["trees_planted_in_month"] == 2
    assert figures["trees_verified_in_month"] == 1
    assert figures["survival_checks_dead_in_month"] == 1
    assert figures["trees_funded_total"] == 4
    assert figures["trees_planted_total"] == 3
    assert figures["trees_surviving_total"] == 2
    assert figures["participants_total"] == 4
    # September's report does not change with what happened later.
    september = dict(forest_impact_month(forest, Month(2026, 9)).rows())
    assert september["trees_funded_total"] == 1 and september["trees_surviving_total"] == 1
    assert isinstance(figures["budget_closing"], Decimal)


def test_the_pdf_and_csv_carry_the_figures_without_offset_wording(portal, sponsor, forest):
    base = f"/partners/{sponsor.slug}/forests/{forest.pk}/impact/2026-10"
    pdf = portal.get(f"{base}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert b"Trees surviving" in pdf.content and forest.name.encode() in pdf.content
    lowered = pdf.content.lower()
    assert b"offset" not in lowered and b"carbon credit" not in lowered

    response = portal.get(f"{base}.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["forest_id", "month", "figure", "value"]
    assert [str(forest.pk), "2026-10", "trees_surviving_total", "2"] in rows


def test_another_sponsor_gets_404_and_so_does_a_month_that_cannot_be(client, portal, forest):
    sponsor_slug = forest.sponsor.slug
    assert (
        portal.get(f"/partners/{sponsor_slug}/forests/{forest.pk}/impact/2026-13.pdf").status_code
        == 404
    )
    outsider = SponsorMembershipFactory()
    client.force_login(outsider.user)
    for slug in (outsider.sponsor.slug, sponsor_slug):
        for ext in ("pdf", "csv"):
            url = f"/partners/{slug}/forests/{forest.pk}/impact/2026-10.{ext}"
            assert client.get(url).status_code == 404
