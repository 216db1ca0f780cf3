"""Two exchanges of one public token at the same moment link one feed (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import transaction

from accounts.models import LinkedFeed, PlaidItem
from accounts.services.plaid_link import plaid_link_exchange
from tests.accounts.factories import UserFactory
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_one_public_token_exchanged_twice_at_once_links_one_feed(mocker):
    mocker.patch("accounts.tasks.feed_sync_task.delay")
    user = UserFactory()

    def exchange():
        with transaction.atomic():  # as the request's transaction (ATOMIC_REQUESTS)
            return plaid_link_exchange(
                user=user,
                public_token="public-sandbox-race-1",
                account_id="acc-race",
                scopes=["transactions"],
                purpose_accepted=True,
            )

    results, errors = race(exchange, [(), ()])

    assert errors == []
    assert sorted(result.created for result in results) == [False, True]
    assert len({result.feed.pk for result in results}) == 1
    assert LinkedFeed.objects.count() == 1 and PlaidItem.objects.count() == 1
