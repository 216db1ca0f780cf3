"""Revocation: imports stop at once, personal data is erased, what scoring derived stays."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import Consent, Transaction
from accounts.services.feeds import feed_revoke
from accounts.services.importing import FeedNotImportable
from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.accounts.feed_helpers import import_fixture

pytestmark = pytest.mark.django_db


def test_revoking_erases_raw_data_and_keeps_amounts_and_dates(user, user_client):
    feed = LinkedFeedFactory(user=user, provider="file")
    import_fixture(feed, "week1.csv")
    before = {row.pk: row for row in Transaction.objects.filter(feed=feed)}

    response = user_client.delete(f"/api/v1/feeds/{feed.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "revoked"
    assert body["erased"]["transactions"] == 4
    assert "description" in body["erased"]["fields"]
    assert "merchant_norm" in body["erased"]["fields"]
    assert body["kept"]["transactions"] == 4
    assert {"amount", "booking_date", "currency", "status"} <= set(body["kept"]["fields"])
    feed.refresh_from_db()
    assert feed.status == "revoked"
    assert Consent.objects.get(feed=feed).revoked_at is not None
    for row in Transaction.objects.filter(feed=feed):
        old = before[row.pk]
        assert row.raw is None
        assert row.description == row.merchant_name == row.merchant_id == row.merchant_norm == ""
        assert row.mcc == row.provider_category == ""
        assert row.redacted_at is not None
        assert (row.amount, row.currency, row.booking_date, row.transaction_date) == (
            old.amount,
            old.currency,
            old.booking_date,
            old.transaction_date,
        )
        assert row.status == old.status


def test_revocation_is_one_update_for_all_transactions(user, django_assert_max_num_queries):
    feed = LinkedFeedFactory(user=user, provider="file")
    for _ in range(30):
        TransactionFactory(feed=feed)

    # lock, feed, consents, ONE update of the transactions, count, savepoint + release
    with django_assert_max_num_queries(7):
        result = feed_revoke(feed=feed)

    assert result.transactions_erased == 30


def test_revocation_leaves_other_feeds_alone(user, user_client):
    feed = LinkedFeedFactory(user=user, provider="file")
    other = LinkedFeedFactory(user=user, provider="file")
    kept = TransactionFactory(feed=other, description="GVB reis", raw={"a": 1})
    TransactionFactory(feed=feed)

    user_client.delete(f"/api/v1/feeds/{feed.pk}")

    kept.refresh_from_db()
    assert (kept.description, kept.raw, kept.redacted_at) == ("GVB reis", {"a": 1}, None)
    other.refresh_from_db()
    assert other.status == "active"


def test_a_revoked_feed_imports_nothing(user, user_client):
    feed = LinkedFeedFactory(user=user, provider="file")
    user_client.delete(f"/api/v1/feeds/{feed.pk}")

    with pytest.raises(FeedNotImportable):
        import_fixture(feed, "week1.csv")

    assert not Transaction.objects.filter(feed=feed).exists()


def test_revoking_twice_erases_nothing_more(user, user_client):
    feed = LinkedFeedFactory(user=user, provider="file")
    TransactionFactory(feed=feed, amount=Decimal("-2.00"))
    user_client.delete(f"/api/v1/feeds/{feed.pk}")

    again = user_client.delete(f"/api/v1/feeds/{feed.pk}")

    assert again.status_code == 200
    assert again.json()["erased"]["transactions"] == 0
    assert again.json()["kept"]["transactions"] == 1


def test_revoked_rows_stay_erased_after_reconsent_and_a_new_import(user, user_client):
    feed = LinkedFeedFactory(user=user, provider="file")
    import_fixture(feed, "week1.csv")
    user_client.delete(f"/api/v1/feeds/{feed.pk}")
    user_client.post(
        f"/api/v1/feeds/{feed.pk}/consent", {"scopes": ["transactions"], "purpose_accepted": True}
    )

    batch = import_fixture(feed, "week2.csv")

    assert batch.count_new == 2  # ING-005 and ING-006
    erased = Transaction.objects.get(feed=feed, provider_txn_id="ING-003")
    assert erased.redacted_at is not None
    assert erased.description == ""
