"""A quarantined campaign's sponsor team is told by e-mail and on the portal, the operators
by mail_admins; a quarantined rule's owners, the operators, too (issue 16, finding 3)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from catalogue.models import Campaign
from forest.models import GreenActionRule
from forest.scoring.jobs import scoring_run_create, scoring_run_inline
from forest.services.rules import rule_save
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.partners.factories import CampaignFactory, SponsorMembershipFactory

pytestmark = pytest.mark.django_db

OPS = ("Operations", "ops@canopy.test")


def _score_night(django_capture_on_commit_callbacks) -> None:
    feed = LinkedFeedFactory()
    TransactionFactory(feed=feed, description="eco refill zeep", amount=Decimal("-3.00"))
    with django_capture_on_commit_callbacks(execute=True):
        scoring_run_inline(scoring_run_create(triggered_by="test"))


@pytest.fixture
def bad_campaign(settings):
    settings.ADMINS = [OPS]
    campaign = CampaignFactory(
        name="Navulactie", match_merchants=[], match_description_regex="refill", bonus_grams=70
    )
    Campaign.objects.filter(pk=campaign.pk).update(match_description_regex="refill(")
    return campaign


def test_the_sponsors_team_and_the_operators_are_told(
    bad_campaign, django_capture_on_commit_callbacks
):
    admin = SponsorMembershipFactory(sponsor=bad_campaign.sponsor, user__email="a@brand.test")
    analyst = SponsorMembershipFactory(
        sponsor=bad_campaign.sponsor, role="analyst", user__email="b@brand.test"
    )
    SponsorMembershipFactory(user__email="other@elsewhere.test")  # another sponsor's member

    _score_night(django_capture_on_commit_callbacks)

    to_team = [m for m in mail.outbox if m.to != [OPS[1]]]
    to_ops = [m for m in mail.outbox if m.to == [OPS[1]]]
    assert sorted(m.to[0] for m in to_team) == [admin.user.email, analyst.user.email]
    for message in to_team:
        assert "Navulactie" not in message.subject  # no sponsor text in a subject
        assert "Navulactie" in message.body
        assert f"/partners/{bad_campaign.sponsor.slug}/campaigns/{bad_campaign.pk}" in message.body
    [ops] = to_ops
    assert f"Campaign {bad_campaign.pk}" in ops.body and "2 members" in ops.body


def test_the_team_is_told_once_however_often_the_night_runs(
    bad_campaign, django_capture_on_commit_callbacks
):
    SponsorMembershipFactory(sponsor=bad_campaign.sponsor)

    _score_night(django_capture_on_commit_callbacks)
    _score_night(django_capture_on_commit_callbacks)

    assert len([m for m in mail.outbox if m.to != [OPS[1]]]) == 1


def test_the_portal_shows_the_paused_campaign_and_why(
    client, bad_campaign, django_capture_on_commit_callbacks
):
    member = SponsorMembershipFactory(sponsor=bad_campaign.sponsor)
    _score_night(django_capture_on_commit_callbacks)
    client.force_login(member.user)
    slug = bad_campaign.sponsor.slug

    listed = client.get(f"/partners/{slug}/campaigns/").content.decode()
    shown = client.get(f"/partners/{slug}/campaigns/{bad_campaign.pk}/").content.decode()

    for page in (listed, shown):
        assert f'data-quarantined="{bad_campaign.pk}"' in page
        assert "could not run its description pattern" in page


def test_a_quarantined_rule_is_reported_to_the_operators(
    settings, django_capture_on_commit_callbacks
):
    settings.ADMINS = [OPS]
    rule = rule_save(
        rule=GreenActionRule(
            code="bad", priority=1, fixed_grams=5, match_description_regex="x",
            action_type="public_transport", estimate_kind="fixed", method="m", source="s",
            daily_cap_grams=100_000, name_en="r", name_nl="r",
        )
    )  # fmt: skip
    GreenActionRule.objects.filter(pk=rule.pk).update(match_description_regex="ov(chip")

    _score_night(django_capture_on_commit_callbacks)

    [ops] = mail.outbox
    assert ops.to == [OPS[1]] and f"Rule {rule.pk} was switched off" in ops.body
