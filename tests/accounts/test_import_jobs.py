"""Large uploads: stored encrypted, imported by a Celery task, polled at /api/v1/imports/{id}."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import ImportBatch, ImportJob, Transaction
from accounts.selectors.import_jobs import import_job_progress_key
from accounts.tasks import import_job_run_task
from tests.accounts.factories import DEFAULT_PASSWORD, LinkedFeedFactory, UserFactory
from tests.accounts.feed_helpers import fixture_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_threshold(settings):
    settings.CANOPY_BACKGROUND_IMPORT_BYTES = 64  # every fixture file is "large" here


@pytest.fixture
def feed(user):
    return LinkedFeedFactory(user=user, provider="file")


def _upload(client, feed, name: str, *, data: bytes | None = None, **fields):
    content = fixture_bytes(name) if data is None else data
    payload = {"file": SimpleUploadedFile(name, content), **fields}
    return client.post(f"/api/v1/feeds/{feed.pk}/uploads", payload, format="multipart")


def _queued(client, feed, name: str, capture, **kwargs) -> dict:
    with capture(execute=False) as callbacks:
        response = _upload(client, feed, name, **kwargs)
    assert response.status_code == 202, response.content
    # the task, sent once the job is committed (the read cache's drops are its own, after it)
    sent = [c for c in callbacks if "readcache" not in c.__module__]
    assert len(sent) == 1
    return response.json()


def test_a_large_upload_answers_202_with_a_job_to_poll(
    user_client, feed, django_capture_on_commit_callbacks
):
    body = _queued(user_client, feed, "week1.csv", django_capture_on_commit_callbacks)

    job = ImportJob.objects.get(pk=body["id"])
    assert body["state"] == "queued"
    assert body["url"].endswith(f"/api/v1/imports/{job.pk}")
    assert (body["rows_processed"], body["rows_total"], body["format"]) == (0, 4, "csv")
    assert body["error"] is None and body["import_batch"] is None
    assert not Transaction.objects.exists()  # nothing imported inside the request
    polled = user_client.get(f"/api/v1/imports/{job.pk}")
    assert polled.status_code == 200 and polled.json()["state"] == "queued"


def test_the_stored_file_is_encrypted_and_deleted_once_imported(
    user_client, feed, django_capture_on_commit_callbacks
):
    body = _queued(user_client, feed, "week1.csv", django_capture_on_commit_callbacks)
    job = ImportJob.objects.get(pk=body["id"])
    with default_storage.open(job.stored_name, "rb") as stored:
        content = stored.read()
    assert b"ING-001" not in content and b"NS Groep" not in content

    import_job_run_task.delay(str(job.pk))

    job.refresh_from_db()
    assert job.stored_name == ""
    assert not default_storage.exists(f"imports/feed-{feed.pk}/{job.pk}.enc")


def test_the_task_imports_the_file_and_the_job_shows_done(
    user_client, feed, django_capture_on_commit_callbacks
):
    body = _queued(user_client, feed, "week1.csv", django_capture_on_commit_callbacks)

    assert import_job_run_task.delay(body["id"]).get() == "done"

    polled = user_client.get(body["url"]).json()
    assert polled["state"] == "done"
    assert polled["rows_processed"] == polled["rows_total"] == 4
    assert polled["import_batch"]["count_new"] == 4
    assert polled["import_batch"]["status"] == "done"
    assert polled["started_at"] and polled["finished_at"]
    assert Transaction.objects.filter(feed=feed).count() == 4


def test_running_the_task_twice_imports_once(user_client, feed, django_capture_on_commit_callbacks):
    body = _queued(user_client, feed, "statement.ofx", django_capture_on_commit_callbacks)

    import_job_run_task.delay(body["id"])
    import_job_run_task.delay(body["id"])  # a retried or redelivered task

    assert Transaction.objects.filter(feed=feed).count() == 3
    assert ImportBatch.objects.filter(feed=feed).count() == 1
    job = ImportJob.objects.get(pk=body["id"])
    assert (job.state, job.rows_processed, job.attempts) == ("done", 3, 1)


def test_a_task_run_again_after_its_job_was_reset_finds_the_import_a_duplicate(
    user_client, feed, django_capture_on_commit_callbacks
):
    # A worker lost after the import committed but with the job still running is the worst
    # case: the file's hash makes the second import a duplicate, with no new rows.
    body = _queued(user_client, feed, "week1.csv", django_capture_on_commit_callbacks)
    job = ImportJob.objects.get(pk=body["id"])
    stored = default_storage.open(job.stored_name, "rb").read()
    import_job_run_task.delay(body["id"])
    first_batch = ImportJob.objects.get(pk=job.pk).import_batch_id
    default_storage.save(f"imports/{job.pk}.enc", SimpleUploadedFile("x", stored))
    ImportJob.objects.filter(pk=job.pk).update(state="running", stored_name=f"imports/{job.pk}.enc")

    import_job_run_task.delay(body["id"])

    job.refresh_from_db()
    assert job.state == "done" and job.import_batch_id == first_batch
    assert job.rows_processed == 4
    assert Transaction.objects.filter(feed=feed).count() == 4


def test_a_malformed_large_file_fails_with_line_and_field_and_imports_nothing(
    user_client, feed, django_capture_on_commit_callbacks
):
    body = _queued(user_client, feed, "malformed.csv", django_capture_on_commit_callbacks)

    import_job_run_task.delay(body["id"])

    polled = user_client.get(body["url"]).json()
    assert polled["state"] == "failed"
    assert (polled["error"]["line"], polled["error"]["field"]) == (3, "amount")
    assert polled["import_batch"]["status"] == "rejected"
    assert not Transaction.objects.exists()


def test_a_feed_revoked_before_the_task_ran_fails_the_job(
    user_client, feed, django_capture_on_commit_callbacks
):
    body = _queued(user_client, feed, "week1.csv", django_capture_on_commit_callbacks)
    feed.status = "revoked"
    feed.save(update_fields=["status"])

    import_job_run_task.delay(body["id"])

    job = ImportJob.objects.get(pk=body["id"])
    assert job.state == "failed" and "revoked" in job.error["message"]
    assert not Transaction.objects.exists()


def test_an_unknown_format_is_a_400_before_anything_is_stored(user_client, feed):
    response = _upload(user_client, feed, "notes.txt", data=b"hello, this is not a statement\n")

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_format"
    assert not ImportJob.objects.exists()


def test_someone_elses_job_is_a_404(user_client, feed, django_capture_on_commit_callbacks):
    body = _queued(user_client, feed, "week1.csv", django_capture_on_commit_callbacks)
    stranger = APIClient()
    stranger.force_authenticate(user=UserFactory())

    assert stranger.get(f"/api/v1/imports/{body['id']}").status_code == 404
    assert user_client.get(f"/api/v1/imports/{uuid.uuid4()}").status_code == 404
    assert APIClient().get(f"/api/v1/imports/{body['id']}").status_code == 401


def test_a_running_job_shows_rows_processed_from_the_bytes_read(
    user_client, feed, django_capture_on_commit_callbacks
):
    body = _queued(user_client, feed, "week1.csv", django_capture_on_commit_callbacks)
    job = ImportJob.objects.get(pk=body["id"])
    ImportJob.objects.filter(pk=job.pk).update(state="running")
    half = job.file_size // 2
    cache.set(import_job_progress_key(job.pk), half)

    polled = user_client.get(body["url"]).json()

    assert polled["state"] == "running"
    assert polled["rows_processed"] == 4 * half // job.file_size  # 1 or 2 of 4
    assert polled["rows_total"] == 4
    cache.set(import_job_progress_key(job.pk), job.file_size)
    assert user_client.get(body["url"]).json()["rows_processed"] == 4


def test_queued_jobs_count_towards_the_daily_upload_limit(
    user_client, feed, settings, django_capture_on_commit_callbacks
):
    settings.CANOPY_MAX_UPLOADS_PER_DAY = 1
    _queued(user_client, feed, "week1.csv", django_capture_on_commit_callbacks)

    response = _upload(user_client, feed, "week2.csv")

    assert response.status_code == 429


def test_a_task_that_keeps_failing_marks_the_job_failed(
    user_client, feed, django_capture_on_commit_callbacks, mocker
):
    body = _queued(user_client, feed, "week1.csv", django_capture_on_commit_callbacks)
    mocker.patch("accounts.tasks.import_job_run", side_effect=RuntimeError("database gone"))

    result = import_job_run_task.apply(args=[body["id"]], retries=3)

    assert result.get() == "failed"
    job = ImportJob.objects.get(pk=body["id"])
    assert job.state == "failed" and job.stored_name == ""
    assert "RuntimeError" in job.error["message"]


def test_small_uploads_still_import_in_the_request(user_client, feed, settings):
    settings.CANOPY_BACKGROUND_IMPORT_BYTES = 10 * 1024 * 1024

    response = _upload(user_client, feed, "week1.csv")

    assert response.status_code == 201
    assert response.json()["count_new"] == 4
    assert not ImportJob.objects.exists()


def test_revoking_the_feed_deletes_a_waiting_file_and_fails_its_job(
    user_client, feed, django_capture_on_commit_callbacks
):
    body = _queued(user_client, feed, "week1.csv", django_capture_on_commit_callbacks)
    stored = ImportJob.objects.get(pk=body["id"]).stored_name

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.delete(f"/api/v1/feeds/{feed.pk}")

    assert response.status_code == 200
    assert response.json()["erased"]["uploaded_files"] == "deleted"
    job = ImportJob.objects.get(pk=body["id"])
    assert job.state == "failed" and job.stored_name == ""
    assert not default_storage.exists(stored)
    import_job_run_task.delay(body["id"])  # the queued task, delivered late: nothing happens
    assert not Transaction.objects.exists()


def test_erasing_the_account_deletes_a_waiting_file(
    user_client, feed, django_capture_on_commit_callbacks
):
    body = _queued(user_client, feed, "week1.csv", django_capture_on_commit_callbacks)
    stored = ImportJob.objects.get(pk=body["id"]).stored_name

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.delete("/api/v1/me", {"password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code in (200, 204), response.content
    assert not default_storage.exists(stored)
