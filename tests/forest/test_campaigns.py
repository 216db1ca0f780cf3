"""Sponsor campaigns: bonuses for matching purchases, segments, and budgets that hold."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from forest.models import GreenAction
from partners.models import Campaign
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.forest.helpers import assert_ledger_consistent, score_all
from tests.partners.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def test_campaign_bonus_and_multiplier_are_recorded_per_action():
    CampaignFactory(match_merchants=["vinted"], bonus_grams=100, multiplier=Decimal("1.5"))
    feed = LinkedFeedFactory()
    TransactionFactory(feed=feed, merchant_name="Vinted", amount=Decimal("-5.00"))
    score_all()
    action = GreenAction.objects.get()
    half = (Decimal(action.base_grams) * Decimal("0.5")).quantize(Decimal(1), ROUND_HALF_UP)
    assert action.campaign_grams == 100 + int(half)
    assert action.grams == action.base_grams + action.campaign_grams
    campaign = Campaign.objects.get()
    assert campaign.spent_grams == action.campaign_grams
    assert_ledger_consistent()


def test_a_sponsor_product_only_the_campaign_knows_becomes_an_action():
    CampaignFactory(match_merchants=[], match_description_regex="biologisch", bonus_grams=250)
    feed = LinkedFeedFactory()
    TransactionFactory(
        feed=feed, merchant_name="Albert Heijn", description="AH biologische melk",
        amount=Decimal("-2.10"),
    )  # fmt: skip
    score_all()
    action = GreenAction.objects.get()
    assert (action.action_type, action.rule_id, action.grams) == ("sponsor_product", None, 250)


def test_a_spent_budget_stops_the_bonus():
    campaign = CampaignFactory(match_merchants=["gvb"], bonus_grams=100, budget_grams=250)
    feed = LinkedFeedFactory()
    for _ in range(4):
        TransactionFactory(feed=feed, merchant_name="GVB")
    score_all()
    bonuses = list(
        GreenAction.objects.order_by("transaction_id").values_list("campaign_grams", flat=True)
    )
    assert bonuses == [100, 100, 50, 0]
    campaign.refresh_from_db()
    assert campaign.spent_grams == 250


def test_segment_new_users_excludes_old_accounts():
    CampaignFactory(match_merchants=["gvb"], segment="new_users")
    old = LinkedFeedFactory(user__date_joined=timezone.now() - timedelta(days=90))
    new = LinkedFeedFactory()
    TransactionFactory(feed=old, merchant_name="GVB")
    TransactionFactory(feed=new, merchant_name="GVB")
    score_all()
    by_user = dict(GreenAction.objects.values_list("user_id", "campaign_grams"))
    assert by_user == {old.user_id: 0, new.user_id: 100}


def test_segment_city_matches_the_profile_city():
    CampaignFactory(match_merchants=["gvb"], segment="city", segment_city="Amsterdam")
    here = LinkedFeedFactory(user__profile__city="amsterdam")
    there = LinkedFeedFactory(user__profile__city="Utrecht")
    TransactionFactory(feed=here, merchant_name="GVB")
    TransactionFactory(feed=there, merchant_name="GVB")
    score_all()
    by_user = dict(GreenAction.objects.values_list("user_id", "campaign_grams"))
    assert by_user == {here.user_id: 100, there.user_id: 0}


def test_campaign_validation():
    campaign = CampaignFactory.build(match_merchants=[], match_description_regex="(")
    with pytest.raises(ValidationError):
        campaign.full_clean()
