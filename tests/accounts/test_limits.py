"""Bounds per user and feed: linked feeds, uploads a day, transactions a feed; each a clear 4xx."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import ImportBatch, LinkedFeed, Transaction
from tests.accounts.factories import LinkedFeedFactory
from tests.accounts.feed_helpers import fixture_bytes
from tests.accounts.test_feed_api import CONSENT

pytestmark = pytest.mark.django_db


def _link(client, ref: str):
    return client.post(
        "/api/v1/feeds",
        {"provider": "file", "account_ref": ref, "consent": CONSENT},
        format="json",
    )


def _upload(client, feed, name: str = "week1.csv"):
    payload = {"file": SimpleUploadedFile(name, fixture_bytes(name))}
    return client.post(f"/api/v1/feeds/{feed.pk}/uploads", payload, format="multipart")


def test_a_user_links_at_most_the_configured_number_of_feeds(user, user_client, settings):
    settings.CANOPY_MAX_FEEDS_PER_USER = 2
    LinkedFeedFactory(user=user, provider="file", status="revoked")  # revoked ones do not count
    codes = [_link(user_client, f"NL91ABNA041716430{n}").status_code for n in range(3)]

    assert codes == [201, 201, 409]
    assert _link(user_client, "NL91ABNA0417164309").json()["code"] == "feed_limit"
    assert LinkedFeed.objects.filter(user=user, status="active").count() == 2


def test_a_user_uploads_at_most_the_configured_files_a_day(user, user_client, settings):
    settings.CANOPY_MAX_UPLOADS_PER_DAY = 2
    feed = LinkedFeedFactory(user=user, provider="file")
    codes = [_upload(user_client, feed).status_code for _ in range(3)]

    assert codes == [201, 201, 429]
    assert ImportBatch.objects.filter(feed=feed).count() == 2


def test_an_import_past_the_feed_bound_is_rejected_whole(user, user_client, settings):
    settings.CANOPY_MAX_TRANSACTIONS_PER_FEED = 3
    feed = LinkedFeedFactory(user=user, provider="file")

    response = _upload(user_client, feed)  # four transactions

    assert response.status_code == 400
    assert "at most 3 transactions" in response.json()["detail"]
    assert not Transaction.objects.filter(feed=feed).exists()
    assert ImportBatch.objects.get(feed=feed).status == "rejected"
