"""Claim codes: generation, the budget reservation, the one-time download and redemption."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from catalogue.models import Campaign
from forest.models import EnergyBalance, EnergyDrop, EnergyLedgerEntry
from partners.models import ClaimCode
from partners.services.claims import (
    CLAIMS_PER_USER_PER_DAY,
    RELEASE_GRACE,
    ClaimBatchError,
    ClaimError,
    claim_batch_create,
    claim_batch_download,
    claim_batch_release_unused,
    claim_code_redeem,
    code_hash,
    code_normalise,
)
from tests.accounts.factories import UserFactory
from tests.forest.fraud_factories import EnergyHoldFactory
from tests.forest.helpers import assert_ledger_consistent
from tests.partners.claim_helpers import batch_with_codes
from tests.partners.factories import CampaignFactory

pytestmark = pytest.mark.django_db

CODE = re.compile(r"^CNPY(-[2-9A-HJ-NP-Z]{4}){4}$")


def _create(campaign, *, count=10, grams=20, **kwargs):
    now = timezone.now()
    return claim_batch_create(
        sponsor=campaign.sponsor,
        campaign=campaign,
        name="Receipts",
        grams_per_code=grams,
        code_count=count,
        valid_from=kwargs.get("valid_from", now),
        valid_until=kwargs.get("valid_until", now + timedelta(days=30)),
        created_by=None,
    )


# --- generation -----------------------------------------------------------------------------


def test_ten_thousand_codes_are_set_based_unique_and_stored_as_hashes_only(
    django_assert_max_num_queries,
):
    campaign = CampaignFactory(budget_grams=1_000_000)
    with django_assert_max_num_queries(40):  # batched inserts, never a query per code
        batch = _create(campaign, count=10_000, grams=10)

    download = claim_batch_download(batch_id=batch.pk, sponsor=campaign.sponsor, user=None)
    codes = download.codes
    assert len(codes) == len(set(codes)) == 10_000
    assert all(CODE.match(c) for c in codes)
    stored = set(ClaimCode.objects.filter(batch=batch).values_list("code_hash", flat=True))
    assert len(stored) == 10_000
    assert {code_hash(code_normalise(c)) for c in codes} == stored
    # No plain code anywhere in the table, and the prefix is the code's first group.
    sample = codes[:50]
    for code in sample:
        body = code_normalise(code)
        assert not ClaimCode.objects.filter(code_hash__contains=body).exists()
        assert ClaimCode.objects.filter(code_hash=code_hash(body), prefix=body[:4]).exists()
    batch.refresh_from_db()
    assert batch.code_seed == ""


def test_codes_are_read_tolerantly():
    body = "7KQ4M2XH9TRW5N3D"
    for typed in [
        "CNPY-7KQ4-M2XH-9TRW-5N3D",
        " cnpy 7kq4 m2xh 9trw 5n3d ",
        "7kq4-m2xh-9trw-5n3d",
        "CNPY\u20137KQ4\u2013M2XH\u20139TRW\u20135N3D",  # en dashes from a word processor
    ]:
        assert code_normalise(typed) == body
    for junk in ["", "CNPY", "7KQ4-M2XH-9TRW", "0KQ4-M2XH-9TRW-5N3D", "x" * 200, None, 12]:
        assert code_normalise(junk) is None


# --- budget ---------------------------------------------------------------------------------


def test_a_batch_reserves_its_grams_from_the_campaign_budget():
    campaign = CampaignFactory(budget_grams=1_000, spent_grams=100)
    batch = _create(campaign, count=9, grams=100)
    campaign.refresh_from_db()
    assert batch.reserved_grams == 900
    assert campaign.spent_grams == 1_000


def test_a_batch_the_budget_does_not_cover_is_refused_and_changes_nothing():
    campaign = CampaignFactory(budget_grams=1_000, spent_grams=101)
    with pytest.raises(ClaimBatchError, match="does not cover"):
        _create(campaign, count=9, grams=100)
    campaign.refresh_from_db()
    assert campaign.spent_grams == 101
    assert not ClaimCode.objects.exists()


def test_limits_and_another_sponsors_campaign_are_refused():
    campaign = CampaignFactory(budget_grams=10**9)
    with pytest.raises(ClaimBatchError):
        _create(campaign, grams=501)
    with pytest.raises(ClaimBatchError):
        _create(campaign, count=100_001, grams=1)
    now = timezone.now()
    with pytest.raises(ClaimBatchError):
        _create(campaign, valid_from=now, valid_until=now)
    other = CampaignFactory()
    with pytest.raises(ClaimBatchError):
        claim_batch_create(
            sponsor=other.sponsor,
            campaign=campaign,
            name="x",
            grams_per_code=1,
            code_count=1,
            valid_from=now,
            valid_until=now + timedelta(days=1),
            created_by=None,
        )


def test_codes_are_downloaded_once():
    campaign = CampaignFactory()
    batch = _create(campaign, count=3)
    first = claim_batch_download(batch_id=batch.pk, sponsor=campaign.sponsor, user=None)
    assert first is not None and len(first.codes) == 3
    assert claim_batch_download(batch_id=batch.pk, sponsor=campaign.sponsor, user=None) is None
    other = CampaignFactory()
    batch2 = _create(campaign, count=1)
    assert claim_batch_download(batch_id=batch2.pk, sponsor=other.sponsor, user=None) is None


# --- redemption -----------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 11, 25, 15, 0, tzinfo=ZoneInfo("UTC")), tick=False)
def test_a_code_gives_a_drop_an_earn_entry_and_a_balance():
    batch, codes = batch_with_codes(count=2, grams=75)
    user = UserFactory()
    claimed = claim_code_redeem(user_id=user.pk, code=codes[0].lower().replace("-", " "))

    drop = EnergyDrop.objects.get(user=user)
    assert drop == claimed.drop
    assert (drop.grams, drop.remaining, drop.status, drop.action_type) == (
        75,
        75,
        "open",
        "sponsor_product",
    )
    # Ripe at 07:00 Amsterdam the next morning, collectable for 72 hours.
    assert drop.ripe_at == datetime(2026, 11, 26, 6, 0, tzinfo=ZoneInfo("UTC"))
    assert drop.expires_at - drop.ripe_at == timedelta(hours=72)
    entry = EnergyLedgerEntry.objects.get(user=user)
    assert (entry.kind, entry.account, entry.grams, entry.drop_id) == ("earn", "drops", 75, drop.pk)
    assert entry.idempotency_key == f"claim:{claimed.code_id}"
    assert EnergyBalance.objects.get(user=user, account="drops").grams == 75
    code = ClaimCode.objects.get(pk=claimed.code_id)
    assert (code.redeemed_by, code.drop) == (user, drop)
    assert code.redeemed_at is not None
    batch.campaign.refresh_from_db()
    assert batch.campaign.spent_grams == 150  # reserved at creation, not again
    assert_ledger_consistent()


def test_a_drop_ripens_in_the_users_time_zone():
    _batch, codes = batch_with_codes(count=1)
    user = UserFactory(profile__time_zone="America/New_York")
    with time_machine.travel(datetime(2026, 11, 25, 15, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        claimed = claim_code_redeem(user_id=user.pk, code=codes[0])
    assert claimed.drop.ripe_at == datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("UTC"))


def _refused(user, code) -> ClaimError:
    with pytest.raises(ClaimError) as info:
        claim_code_redeem(user_id=user.pk, code=code)
    return info.value


def test_unknown_used_expired_early_and_inactive_codes_are_refused():
    batch, codes = batch_with_codes(count=2)
    user, other = UserFactory(), UserFactory()
    assert _refused(user, "CNPY-2222-2222-2222-2222").status == 400
    assert _refused(user, "not a code").code == "invalid_code"

    claim_code_redeem(user_id=user.pk, code=codes[0])
    for who in (user, other):
        exc = _refused(who, codes[0])
        assert (exc.status, exc.code) == (409, "used")

    with time_machine.travel(batch.valid_until + timedelta(seconds=1), tick=False):
        exc = _refused(other, codes[1])
    assert (exc.status, exc.code) == (410, "expired")
    with time_machine.travel(batch.valid_from - timedelta(seconds=1), tick=False):
        assert _refused(other, codes[1]).code == "not_yet_valid"

    Campaign.objects.filter(pk=batch.campaign_id).update(is_active=False)
    exc = _refused(other, codes[1])
    assert (exc.status, exc.code) == (409, "campaign_inactive")
    assert EnergyDrop.objects.count() == 1
    assert ClaimCode.objects.filter(redeemed_at__isnull=False).count() == 1
    assert_ledger_consistent()


def test_a_user_on_hold_cannot_claim():
    _batch, codes = batch_with_codes(count=1)
    user = UserFactory()
    EnergyHoldFactory(user=user)
    exc = _refused(user, codes[0])
    assert (exc.status, exc.code) == (403, "energy_on_hold")
    assert not ClaimCode.objects.filter(redeemed_at__isnull=False).exists()


def test_claims_are_capped_per_user_per_local_day():
    _batch, codes = batch_with_codes(count=CLAIMS_PER_USER_PER_DAY + 1, grams=10)
    user = UserFactory()
    morning = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    with time_machine.travel(morning, tick=False):
        for code in codes[:CLAIMS_PER_USER_PER_DAY]:
            claim_code_redeem(user_id=user.pk, code=code)
        exc = _refused(user, codes[-1])
    assert (exc.status, exc.code) == (409, "daily_cap")
    with time_machine.travel(morning + timedelta(hours=15), tick=False):  # 00:00 the next day
        claim_code_redeem(user_id=user.pk, code=codes[-1])
    assert EnergyBalance.objects.get(user=user, account="drops").grams == 10 * len(codes)
    assert_ledger_consistent()


# --- giving unused grams back ---------------------------------------------------------------


def test_an_expired_batch_gives_its_unused_grams_back_once():
    campaign = CampaignFactory(budget_grams=1_000)
    batch, codes = batch_with_codes(campaign=campaign, count=4, grams=100)
    claim_code_redeem(user_id=UserFactory().pk, code=codes[0])
    with pytest.raises(ClaimBatchError, match="expired"):
        claim_batch_release_unused(batch_id=batch.pk, sponsor=campaign.sponsor)
    with pytest.raises(ClaimBatchError):  # within the grace hour after the end
        claim_batch_release_unused(
            batch_id=batch.pk, sponsor=campaign.sponsor, now=batch.valid_until
        )
    later = batch.valid_until + RELEASE_GRACE
    assert claim_batch_release_unused(batch_id=batch.pk, sponsor=campaign.sponsor, now=later) == (
        300
    )
    assert claim_batch_release_unused(batch_id=batch.pk, sponsor=campaign.sponsor, now=later) == 0
    campaign.refresh_from_db()
    batch.refresh_from_db()
    assert campaign.spent_grams == 100
    assert (batch.released_grams, batch.released_at) == (300, later)
