"""Real concurrency on PostgreSQL: one claim code redeemed by several requests at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalogue.models import Campaign
from forest.models import EnergyBalance, EnergyDrop, EnergyLedgerEntry
from partners.models import ClaimCode
from partners.services.claims import (
    CLAIMS_PER_USER_PER_DAY,
    ClaimError,
    claim_batch_create,
    claim_code_redeem,
)
from tests.accounts.factories import UserFactory
from tests.concurrency import race
from tests.forest.helpers import assert_ledger_consistent
from tests.partners.claim_helpers import batch_with_codes
from tests.partners.factories import CampaignFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _outcome(results, errors) -> tuple[int, list[str]]:
    assert all(isinstance(e, ClaimError) for e in errors), errors
    return len(results), sorted(e.code for e in errors)


def test_one_code_redeemed_by_four_users_at_once_pays_one_of_them():
    _batch, codes = batch_with_codes(count=1, grams=60)
    users = [UserFactory() for _ in range(4)]

    results, errors = race(
        lambda user_id: claim_code_redeem(user_id=user_id, code=codes[0]),
        [(u.pk,) for u in users],
    )

    assert _outcome(results, errors) == (1, ["used", "used", "used"])
    assert EnergyDrop.objects.count() == 1
    assert EnergyLedgerEntry.objects.count() == 1
    assert sum(EnergyBalance.objects.values_list("grams", flat=True)) == 60
    winner = ClaimCode.objects.get()
    assert winner.redeemed_by_id == results[0].drop.user_id
    assert_ledger_consistent()


def test_one_user_sending_the_same_code_four_times_at_once_gets_it_once():
    _batch, codes = batch_with_codes(count=1, grams=60)
    user = UserFactory()

    results, errors = race(
        lambda code: claim_code_redeem(user_id=user.pk, code=code),
        [(codes[0],), (codes[0].lower(),), (codes[0].replace("-", " "),), (codes[0],)],
    )

    assert _outcome(results, errors) == (1, ["used", "used", "used"])
    assert EnergyBalance.objects.get(user=user, account="drops").grams == 60
    assert EnergyDrop.objects.filter(user=user).count() == 1
    assert_ledger_consistent()


def test_the_daily_cap_holds_when_a_user_claims_many_codes_at_once():
    _batch, codes = batch_with_codes(count=CLAIMS_PER_USER_PER_DAY + 3, grams=10)
    user = UserFactory()

    results, errors = race(
        lambda code: claim_code_redeem(user_id=user.pk, code=code), [(c,) for c in codes]
    )

    assert _outcome(results, errors) == (CLAIMS_PER_USER_PER_DAY, ["daily_cap"] * 3)
    assert EnergyBalance.objects.get(user=user, account="drops").grams == (
        10 * CLAIMS_PER_USER_PER_DAY
    )
    assert_ledger_consistent()


def test_batches_created_at_once_never_reserve_more_than_the_budget():
    campaign = CampaignFactory(budget_grams=1_000)
    now = timezone.now()

    def create(name):
        return claim_batch_create(
            sponsor=campaign.sponsor,
            campaign=campaign,
            name=name,
            grams_per_code=100,
            code_count=4,
            valid_from=now,
            valid_until=now + timedelta(days=1),
            created_by=None,
        )

    results, errors = race(create, [(f"batch {i}",) for i in range(4)])

    assert len(results) == 2 and len(errors) == 2
    assert Campaign.objects.get(pk=campaign.pk).spent_grams == 800
    assert ClaimCode.objects.count() == 8
