"""Builders for the claim code tests: a batch and its plain-text codes."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from partners.services.claims import claim_batch_create, claim_batch_download
from tests.partners.factories import CampaignFactory, SponsorMembershipFactory


def batch_with_codes(*, count: int = 3, grams: int = 50, campaign=None, **kwargs):
    """A batch valid from 30 days ago for 60 days, and its codes (downloaded by an admin)."""
    campaign = campaign or CampaignFactory(budget_grams=max(grams * count, 1) * 10)
    admin = SponsorMembershipFactory(sponsor=campaign.sponsor).user
    now = timezone.now()
    batch = claim_batch_create(
        sponsor=campaign.sponsor,
        campaign=campaign,
        name=kwargs.pop("name", "Receipts"),
        grams_per_code=grams,
        code_count=count,
        valid_from=kwargs.pop("valid_from", now - timedelta(days=30)),
        valid_until=kwargs.pop("valid_until", now + timedelta(days=30)),
        created_by=admin,
    )
    download = claim_batch_download(batch_id=batch.pk, sponsor=campaign.sponsor, user=admin)
    return batch, download.codes
