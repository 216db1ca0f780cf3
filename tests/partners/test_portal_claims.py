"""The portal's claim code pages: create a batch, download once, counts, scoping and roles."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from catalogue.models import SponsorMembership
from partners.models import ClaimCode, ClaimCodeBatch
from partners.services.claims import claim_code_redeem, code_hash, code_normalise
from tests.accounts.factories import UserFactory
from tests.partners.claim_helpers import batch_with_codes
from tests.partners.factories import CampaignFactory, SponsorMembershipFactory

pytestmark = pytest.mark.django_db


def _stream(response) -> str:
    return b"".join(response.streaming_content).decode()


def _form(campaign, **overrides) -> dict:
    return {
        "campaign": campaign.pk,
        "name": "Receipts December",
        "grams_per_code": 25,
        "code_count": 40,
        "valid_from": "2026-12-01",
        "valid_until": "2026-12-31",
        **overrides,
    }


def test_an_admin_creates_a_batch_and_downloads_its_codes_once(portal, sponsor, member):
    campaign = CampaignFactory(sponsor=sponsor, budget_grams=5_000)
    response = portal.post(f"/partners/{sponsor.slug}/claims/new/", _form(campaign))
    batch = ClaimCodeBatch.objects.get(sponsor=sponsor)
    assert response.status_code == 302
    assert response["Location"] == f"/partners/{sponsor.slug}/claims/{batch.pk}/"
    assert (batch.grams_per_code, batch.code_count, batch.reserved_grams) == (25, 40, 1_000)
    assert batch.created_by == member.user
    campaign.refresh_from_db()
    assert campaign.spent_grams == 1_000
    assert ClaimCode.objects.filter(batch=batch).count() == 40

    page = portal.get(response["Location"]).content.decode()
    assert "Download the codes (CSV)" in page
    assert "only once" in page  # the flash message

    download = portal.post(f"/partners/{sponsor.slug}/claims/{batch.pk}/codes.csv")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert download["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(_stream(download))))
    assert rows[0] == ["code", "grams", "valid_from", "valid_until", "batch"]
    assert len(rows) == 41 and len({r[0] for r in rows[1:]}) == 40
    assert rows[1][2].startswith("2026-12-01T00:00:00")

    again = portal.post(f"/partners/{sponsor.slug}/claims/{batch.pk}/codes.csv")
    assert again.status_code == 302
    page = portal.get(again["Location"]).content.decode()
    assert "downloaded already" in page
    assert "Download the codes (CSV)" not in page
    assert "data-downloaded" in page
    # The codes downloaded are the batch's codes.
    hashes = {code_hash(code_normalise(r[0])) for r in rows[1:]}
    assert hashes == set(batch.codes.values_list("code_hash", flat=True))


def test_a_batch_the_budget_cannot_cover_is_a_form_error(portal, sponsor):
    campaign = CampaignFactory(sponsor=sponsor, budget_grams=999)
    response = portal.post(f"/partners/{sponsor.slug}/claims/new/", _form(campaign))
    assert response.status_code == 200
    assert "does not cover this batch: it needs 1000 g, 999 g are left" in (
        response.content.decode()
    )
    assert not ClaimCodeBatch.objects.exists()
    campaign.refresh_from_db()
    assert campaign.spent_grams == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"grams_per_code": 0},
        {"grams_per_code": 501},
        {"code_count": 100_001},
        {"valid_until": "2026-11-30"},
        {"name": ""},
    ],
)
def test_the_form_refuses_what_the_service_would(portal, sponsor, overrides):
    campaign = CampaignFactory(sponsor=sponsor, budget_grams=10**9)
    response = portal.post(f"/partners/{sponsor.slug}/claims/new/", _form(campaign, **overrides))
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not ClaimCodeBatch.objects.exists()


def test_another_sponsors_or_a_paused_campaign_cannot_be_chosen(portal, sponsor):
    other = CampaignFactory(budget_grams=10**6)
    paused = CampaignFactory(sponsor=sponsor, is_active=False, budget_grams=10**6)
    for campaign in (other, paused):
        response = portal.post(f"/partners/{sponsor.slug}/claims/new/", _form(campaign))
        assert response.status_code == 200
        assert not ClaimCodeBatch.objects.exists()


def test_the_batch_page_counts_redemptions_per_day(portal, sponsor):
    campaign = CampaignFactory(sponsor=sponsor, budget_grams=10_000)
    batch, codes = batch_with_codes(campaign=campaign, count=4, grams=30)
    for code in codes[:3]:
        claim_code_redeem(user_id=UserFactory().pk, code=code)
    page = portal.get(f"/partners/{sponsor.slug}/claims/{batch.pk}/").content.decode()
    assert 'data-figure="redeemed">3<' in page
    assert 'data-figure="left">1<' in page
    assert 'data-figure="grams_given">90 g<' in page
    assert page.count('class="bar"') == 30
    assert "<title>" in page and ": 3</title>" in page
    listing = portal.get(f"/partners/{sponsor.slug}/claims/").content.decode()
    assert '<td class="num" data-redeemed>3</td>' in listing


def test_an_analyst_reads_but_cannot_create_or_download(client, sponsor):
    analyst = SponsorMembershipFactory(sponsor=sponsor, role=SponsorMembership.Role.ANALYST)
    client.force_login(analyst.user)
    campaign = CampaignFactory(sponsor=sponsor, budget_grams=10_000)
    batch, _codes = batch_with_codes(campaign=campaign, count=2)
    ClaimCodeBatch.objects.filter(pk=batch.pk).update(downloaded_at=None, code_seed="x")
    base = f"/partners/{sponsor.slug}/claims/"
    listing = client.get(base).content.decode()
    assert batch.name in listing and "New batch" not in listing
    detail = client.get(f"{base}{batch.pk}/")
    assert detail.status_code == 200
    assert "Download the codes (CSV)" not in detail.content.decode()
    assert client.get(f"{base}new/").status_code == 403
    assert client.post(f"{base}new/", _form(campaign)).status_code == 403
    assert client.post(f"{base}{batch.pk}/codes.csv").status_code == 403
    assert client.post(f"{base}{batch.pk}/release/").status_code == 403
    assert not ClaimCodeBatch.objects.exclude(pk=batch.pk).exists()


def test_every_claim_url_is_a_404_for_another_sponsor(portal, sponsor):
    own_campaign = CampaignFactory(sponsor=sponsor, budget_grams=10_000)
    own_batch, _ = batch_with_codes(campaign=own_campaign, count=1)
    other_campaign = CampaignFactory(budget_grams=10_000)
    other_batch, _ = batch_with_codes(campaign=other_campaign, count=1)
    ClaimCodeBatch.objects.filter(pk=other_batch.pk).update(downloaded_at=None, code_seed="x")
    other = other_campaign.sponsor.slug
    for method, url in [
        ("get", f"/partners/{other}/claims/"),
        ("get", f"/partners/{other}/claims/new/"),
        ("post", f"/partners/{other}/claims/new/"),
        ("get", f"/partners/{other}/claims/{other_batch.pk}/"),
        ("post", f"/partners/{other}/claims/{other_batch.pk}/codes.csv"),
        ("post", f"/partners/{other}/claims/{other_batch.pk}/release/"),
        # Another sponsor's batch under your own brand's URL.
        ("get", f"/partners/{sponsor.slug}/claims/{other_batch.pk}/"),
        ("post", f"/partners/{sponsor.slug}/claims/{other_batch.pk}/codes.csv"),
        ("post", f"/partners/{sponsor.slug}/claims/{other_batch.pk}/release/"),
        ("get", f"/partners/{sponsor.slug}/claims/999999/"),
    ]:
        assert getattr(portal, method)(url).status_code == 404, (method, url)
    other_batch.refresh_from_db()
    assert other_batch.downloaded_at is None
    assert portal.get(f"/partners/{sponsor.slug}/claims/{own_batch.pk}/").status_code == 200


def test_an_admin_gives_an_expired_batchs_unused_grams_back(portal, sponsor):
    campaign = CampaignFactory(sponsor=sponsor, budget_grams=1_000)
    batch, _ = batch_with_codes(campaign=campaign, count=3, grams=100)
    url = f"/partners/{sponsor.slug}/claims/{batch.pk}/"
    assert "Give the unused grams back" not in portal.get(url).content.decode()
    assert portal.post(f"{url}release/").status_code == 302  # refused with a message
    campaign.refresh_from_db()
    assert campaign.spent_grams == 300

    now = timezone.now()
    expired, _ = batch_with_codes(
        campaign=campaign,
        count=2,
        grams=100,
        valid_from=now - timedelta(days=10),
        valid_until=now - timedelta(hours=2),
    )
    url = f"/partners/{sponsor.slug}/claims/{expired.pk}/"
    assert "Give the unused grams back" in portal.get(url).content.decode()
    page = portal.post(f"{url}release/", follow=True).content.decode()
    assert "200 g went back to the campaign" in page
    assert 'data-figure="released"' in page
    assert "Give the unused grams back" not in page
    campaign.refresh_from_db()
    assert campaign.spent_grams == 300


def test_the_codes_download_is_post_only(portal, sponsor):
    batch, _ = batch_with_codes(campaign=CampaignFactory(sponsor=sponsor), count=1)
    assert portal.get(f"/partners/{sponsor.slug}/claims/{batch.pk}/codes.csv").status_code == 405


def test_the_claim_pages_speak_dutch(portal, sponsor):
    batch, _ = batch_with_codes(campaign=CampaignFactory(sponsor=sponsor), count=1)
    listing = portal.get(f"/partners/{sponsor.slug}/claims/", HTTP_ACCEPT_LANGUAGE="nl")
    assert "Claimcodes" in listing.content.decode()
    detail = portal.get(f"/partners/{sponsor.slug}/claims/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="nl")
    assert "Ingewisseld" in detail.content.decode()
