"""Sponsor campaigns: bonuses for matching purchases, segments, and budgets that hold."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from catalogue.models import Campaign
from forest.models import EnergyDrop, EnergyLedgerEntry, GreenAction
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.forest.helpers import assert_drops_match_actions, assert_ledger_consistent, score_all
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
    assert_drops_match_actions()
    assert_ledger_consistent()


def test_a_budget_another_chunk_spends_first_leaves_no_bonus_and_no_empty_drop(mocker):
    """The budget is taken at the end of the chunk; if a concurrent chunk spent it after this
    one asked, the bonus, the sponsor-product action and its drop all go, before the ledger."""
    from forest.scoring import engine

    campaign = CampaignFactory(
        match_merchants=["gvb"], match_description_regex="biologisch", bonus_grams=100,
        budget_grams=1_000,
    )  # fmt: skip
    feed = LinkedFeedFactory()
    TransactionFactory(feed=feed, merchant_name="GVB")
    TransactionFactory(feed=feed, merchant_name="Albert Heijn", description="biologische melk")
    asked = engine.campaign_requests

    def asked_then_spent_elsewhere(*args, **kwargs):
        requests = asked(*args, **kwargs)
        Campaign.objects.filter(pk=campaign.pk).update(spent_grams=F("budget_grams"))
        return requests

    mocker.patch.object(engine, "campaign_requests", asked_then_spent_elsewhere)
    score_all()
    rail = GreenAction.objects.get()
    assert (rail.action_type, rail.campaign_grams, rail.campaign_id) == (
        "public_transport",
        0,
        None,
    )
    assert rail.grams == rail.base_grams > 0
    assert not EnergyDrop.objects.filter(action_type="sponsor_product").exists()
    campaign.refresh_from_db()
    assert campaign.spent_grams == 1_000
    assert_drops_match_actions()
    assert_ledger_consistent()


def test_a_budget_running_out_mid_chunk_shrinks_the_drop_to_its_actions():
    CampaignFactory(match_merchants=["gvb"], bonus_grams=100, budget_grams=150)
    feed = LinkedFeedFactory()
    for _ in range(3):
        TransactionFactory(feed=feed, merchant_name="GVB")
    score_all()
    drop = EnergyDrop.objects.get()
    actions = GreenAction.objects.order_by("transaction_id")
    assert [a.campaign_grams for a in actions] == [100, 50, 0]
    assert [a.campaign_id is None for a in actions] == [False, False, True]
    assert drop.grams == drop.remaining == sum(a.grams for a in actions)
    assert EnergyLedgerEntry.objects.get(kind="earn").grams == drop.grams
    assert_ledger_consistent()


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
