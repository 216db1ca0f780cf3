"""GET /api/v1/transactions: the user's own, newest first, filtered, paginated, fixed queries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.accounts.factories import LinkedFeedFactory, TransactionFactory
from tests.forest.helpers import score_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed(user):
    # A verified feed: these tests are about the list; trust has its own (test_trust_api).
    return LinkedFeedFactory(user=user, provider="plaid")


def _days(feed, n: int, start: date = date(2026, 11, 1), **fields) -> list:
    return [
        TransactionFactory(feed=feed, booking_date=start + timedelta(days=i), **fields)
        for i in range(n)
    ]


def test_it_lists_the_users_transactions_newest_first_with_their_fields(user_client, feed):
    older, newer = _days(feed, 2)

    response = user_client.get("/api/v1/transactions")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    row = body["results"][0]
    earning = row.pop("earning")
    assert (earning["status"], earning["reason"]) == ("not_scored_yet", "awaiting_scoring")
    assert earning["detail"]  # in the user's language once the translations are compiled
    assert row == {
        "id": newer.pk,
        "feed": feed.pk,
        "status": "booked",
        "amount": "-3.20",
        "currency": "EUR",
        "booking_date": "2026-11-02",
        "transaction_date": "2026-11-02",
        "merchant_name": "GVB",
        "mcc": "",
        "category": "",
        "description": "GVB",
        "green_action": None,
    }


def test_other_users_transactions_are_never_listed(user_client, feed):
    mine = TransactionFactory(feed=feed)
    other_feed = LinkedFeedFactory(provider="file")
    TransactionFactory(feed=other_feed)

    body = user_client.get("/api/v1/transactions").json()
    by_feed = user_client.get(f"/api/v1/transactions?feed={other_feed.pk}").json()

    assert [row["id"] for row in body["results"]] == [mine.pk]
    assert by_feed["count"] == 0


def test_removed_transactions_are_left_out(user_client, feed):
    kept = TransactionFactory(feed=feed)
    TransactionFactory(feed=feed, removed_at=timezone.now())

    body = user_client.get("/api/v1/transactions").json()

    assert [row["id"] for row in body["results"]] == [kept.pk]


def test_it_filters_by_booking_date_range_and_feed(user, user_client, feed):
    rows = _days(feed, 10)
    second = LinkedFeedFactory(user=user, provider="file")
    other = TransactionFactory(feed=second, booking_date=date(2026, 11, 5))

    ranged = user_client.get("/api/v1/transactions?booked_from=2026-11-03&booked_to=2026-11-05")
    by_feed = user_client.get(f"/api/v1/transactions?feed={second.pk}")

    assert [row["booking_date"] for row in ranged.json()["results"]] == [
        "2026-11-05",
        "2026-11-05",
        "2026-11-04",
        "2026-11-03",
    ]
    assert {row["id"] for row in ranged.json()["results"]} >= {other.pk, rows[4].pk}
    assert [row["id"] for row in by_feed.json()["results"]] == [other.pk]


def test_a_bad_date_filter_is_a_400(user_client):
    response = user_client.get("/api/v1/transactions?booked_from=yesterday")

    assert response.status_code == 400
    assert "booked_from" in response.json()


def test_it_paginates(user_client, feed):
    _days(feed, 7)

    first = user_client.get("/api/v1/transactions?page_size=3").json()
    last = user_client.get("/api/v1/transactions?page_size=3&page=3").json()

    assert first["count"] == 7
    assert len(first["results"]) == 3
    assert first["next"] and first["previous"] is None
    assert [row["booking_date"] for row in last["results"]] == ["2026-11-01"]
    assert last["next"] is None


@pytest.mark.parametrize("page_size", [5, 50])
def test_the_number_of_queries_is_fixed_whatever_the_page_size(
    user_client, feed, page_size, django_assert_max_num_queries
):
    _days(feed, 60)

    # savepoint, count, page, green actions, the profile's locale, release savepoint
    with django_assert_max_num_queries(6):
        response = user_client.get(f"/api/v1/transactions?page_size={page_size}")

    assert len(response.json()["results"]) == page_size


def test_green_action_comes_from_the_forest(user_client, feed, monkeypatch):
    row = TransactionFactory(feed=feed)
    summary = {"action_type": "public_transport", "grams": 120}
    monkeypatch.setattr(
        "forest.api.transactions.green_action_summaries",
        lambda ids, locale: {row.pk: summary} if row.pk in ids else {},
    )

    body = user_client.get("/api/v1/transactions").json()

    assert body["results"][0]["green_action"] == summary


def test_a_scored_transaction_shows_its_green_action(user_client, feed):
    train = TransactionFactory(feed=feed, merchant_name="NS", amount=Decimal("-12.40"))
    score_all()

    body = user_client.get("/api/v1/transactions").json()

    row = next(row for row in body["results"] if row["id"] == train.pk)
    assert row["green_action"] is not None
    assert row["green_action"]["grams"] > 0


def test_anonymous_clients_get_a_401(api_client):
    assert api_client.get("/api/v1/transactions").status_code == 401
