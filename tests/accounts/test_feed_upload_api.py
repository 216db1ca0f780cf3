"""POST /api/v1/feeds/{id}/uploads: every format, malformed files, limits, ownership."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.integrations.sources.csv_source import CSV_TEMPLATE_PATH
from accounts.models import ImportBatch, LinkedFeed, Transaction
from tests.accounts.factories import LinkedFeedFactory
from tests.accounts.feed_helpers import fixture_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed(user):
    return LinkedFeedFactory(user=user, provider="file")


def _upload(client, feed, name: str, *, data: bytes | None = None, **fields):
    content = fixture_bytes(name) if data is None else data
    payload = {"file": SimpleUploadedFile(name, content), **fields}
    return client.post(f"/api/v1/feeds/{feed.pk}/uploads", payload, format="multipart")


@pytest.mark.parametrize(
    ("name", "format", "count", "txn_id"),
    [
        ("week1.csv", "csv", 4, "ING-001"),
        ("statement.ofx", "ofx", 3, "ABN20261102000001"),
        ("statement_camt053.xml", "camt053", 2, "2026110900017001"),
        ("plaid_page.json", "plaid", 3, "plaid-posted-ns"),
        ("berlin_group.json", "berlin_group", 3, "2026110800123"),
    ],
)
def test_each_format_is_detected_and_imported(user_client, feed, name, format, count, txn_id):
    response = _upload(user_client, feed, name)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["format"], body["count_new"]) == ("done", format, count)
    assert body["source"] == "upload"
    assert body["file_name"] == name
    assert Transaction.objects.filter(feed=feed).count() == count
    assert Transaction.objects.filter(feed=feed, provider_txn_id=txn_id).exists()


def test_an_explicit_format_is_used(user_client, feed):
    response = _upload(user_client, feed, "week1.csv", format="csv")

    assert response.status_code == 201
    assert response.json()["count_new"] == 4


def test_an_unknown_format_is_a_400(user_client, feed):
    response = _upload(user_client, feed, "week1.csv", format="mt940")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "format"
    assert not Transaction.objects.exists()


def test_an_undetectable_file_is_a_400(user_client, feed):
    response = _upload(user_client, feed, "notes.txt", data=b"hello, this is not a statement\n")

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_format"
    assert not Transaction.objects.exists()


def test_a_malformed_file_is_a_400_naming_line_and_field_and_imports_nothing(user_client, feed):
    response = _upload(user_client, feed, "malformed.csv")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "malformed_file"
    assert "line 3" in body["detail"]
    assert body["errors"][0]["line"] == 3
    assert body["errors"][0]["field"] == "amount"
    assert body["errors"][0]["message"]
    assert not Transaction.objects.exists()
    batch = ImportBatch.objects.get(pk=body["import"])
    assert batch.status == "rejected"


def test_the_same_file_twice_is_all_duplicates_the_second_time(user_client, feed):
    first = _upload(user_client, feed, "week1.csv").json()

    second = _upload(user_client, feed, "week1.csv")

    assert second.status_code == 201
    body = second.json()
    assert (body["count_new"], body["count_duplicate"]) == (0, 4)
    assert f"import {first['id']}" in body["detail"]
    assert Transaction.objects.filter(feed=feed).count() == 4


def test_overlapping_uploads_create_no_duplicates(user_client, feed):
    _upload(user_client, feed, "week1.csv")

    body = _upload(user_client, feed, "week2.csv").json()

    assert (body["count_new"], body["count_updated"], body["count_duplicate"]) == (2, 1, 1)
    assert Transaction.objects.filter(feed=feed).count() == 6


def test_a_file_over_the_limit_is_a_413(user_client, feed, settings):
    settings.CANOPY_MAX_UPLOAD_BYTES = 100

    response = _upload(user_client, feed, "week1.csv")

    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert not ImportBatch.objects.exists()
    assert not Transaction.objects.exists()


def test_a_body_declared_far_over_the_limit_is_refused_before_reading(user_client, feed, settings):
    settings.CANOPY_MAX_UPLOAD_BYTES = 100

    response = _upload(user_client, feed, "big.csv", data=b"x" * 200_000)

    assert response.status_code == 413


def test_another_users_feed_is_a_404(user_client):
    other = LinkedFeedFactory(provider="file")

    response = _upload(user_client, other, "week1.csv")

    assert response.status_code == 404
    assert not Transaction.objects.exists()
    assert not ImportBatch.objects.exists()


def test_a_revoked_feed_is_a_409(user_client, feed):
    user_client.delete(f"/api/v1/feeds/{feed.pk}")

    response = _upload(user_client, feed, "week1.csv")

    assert response.status_code == 409
    assert response.json()["code"] == "feed_revoked"
    assert not Transaction.objects.exists()


def test_an_expired_feed_is_a_409(user_client, user):
    feed = LinkedFeedFactory(
        user=user,
        provider="file",
        consent__granted_at=timezone.now() - timedelta(days=181),
        consent__expires_at=timezone.now() - timedelta(days=1),
    )
    LinkedFeed.objects.filter(pk=feed.pk).update(status="expired")

    response = _upload(user_client, feed, "week1.csv")

    assert response.status_code == 409
    assert response.json()["code"] == "consent_expired"
    assert not Transaction.objects.exists()


def test_aggregator_feeds_take_no_files(user_client, user):
    feed = LinkedFeedFactory(user=user, provider="sandbox")

    response = _upload(user_client, feed, "week1.csv")

    assert response.status_code == 409
    assert response.json()["code"] == "feed_not_for_files"


def test_a_request_without_a_file_is_a_400(user_client, feed):
    response = user_client.post(f"/api/v1/feeds/{feed.pk}/uploads", {}, format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "file"


def test_the_csv_template_downloads_without_login_and_imports_cleanly(
    api_client, user_client, feed
):
    response = api_client.get("/api/v1/feeds/csv-template")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    assert content == CSV_TEMPLATE_PATH.read_bytes()
    assert _upload(user_client, feed, "template.csv", data=content).status_code == 201


def test_the_upload_endpoint_documents_the_csv_template(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    upload = schema["paths"]["/api/v1/feeds/{feed_id}/uploads"]["post"]
    assert "/api/v1/feeds/csv-template" in upload["description"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert "/api/v1/feeds/csv-template" in schema["paths"]
    assert "/api/v1/webhooks/feeds/{provider}" in schema["paths"]
    assert "/api/v1/transactions" in schema["paths"]
