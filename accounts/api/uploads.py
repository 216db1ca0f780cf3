"""Bank file uploads into a feed, and the CSV template."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils.decorators import method_decorator
from django.utils.translation import gettext, gettext_lazy
from rest_framework import permissions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.schema import uploads as schema
from accounts.api.serializers.feeds import ImportBatchSerializer, ImportJobSerializer
from accounts.integrations.sources.base import SourceError
from accounts.integrations.sources.csv_source import CSV_TEMPLATE_PATH
from accounts.models import ImportBatch, Provider
from accounts.selectors.feeds import feed_get_for_user, uploads_today
from accounts.selectors.import_jobs import import_job_get_for_user
from accounts.services.import_jobs import import_job_create
from accounts.services.importing import (
    FeedNotImportable,
    feed_file_import,
    feed_import_check,
    file_format,
)
from core.api import error_response

# Feeds that take files; aggregator feeds are synced, and a file on top would count the same
# bank transaction twice under two different ids.
UPLOAD_PROVIDERS = (Provider.FILE, Provider.BERLIN_GROUP)
# Room for the multipart envelope around the file when checking Content-Length up front.
_MULTIPART_SLACK = 64 * 1024

# The importer keeps its messages in English (they are logged and stored too); the API shows
# them in the request's language. An unknown message falls back to the English text.
_NOT_IMPORTABLE_MESSAGES = {
    "This feed was revoked; nothing is imported into it.": gettext_lazy(
        "This feed was revoked; nothing is imported into it."
    ),
    "The consent for this feed has expired; renew it before importing.": gettext_lazy(
        "The consent for this feed has expired; renew it before importing."
    ),
    "The consent for this feed is not live; renew it before importing.": gettext_lazy(
        "The consent for this feed is not live; renew it before importing."
    ),
    "The sandbox bank is for demos only and is switched off here; nothing is imported.": (
        gettext_lazy(
            "The sandbox bank is for demos only and is switched off here; nothing is imported."
        )
    ),
}


def _not_importable(exc: FeedNotImportable) -> Response:
    message = _NOT_IMPORTABLE_MESSAGES.get(exc.message, exc.message)
    return error_response(str(message), code=exc.code, status_code=409)


def _unknown_format(exc: SourceError) -> Response:
    """400 for a file that is not a statement format Canopy reads (in the request, or before
    a large one is queued)."""
    return error_response(
        gettext("The file was not imported: %(error)s") % {"error": exc},
        code="unknown_format",
        status_code=400,
        errors=_source_errors(exc),
    )


def _source_errors(exc: SourceError) -> list[dict]:
    error = exc.as_dict()
    return [
        {
            "line": error["line"],
            "field": error["field"],
            "where": error["where"],
            "message": error["message"],
        }
    ]


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class FeedUploadApi(APIView):
    """Not wrapped in the request transaction: the importer commits (or rejects) on its own."""

    parser_classes = [MultiPartParser, FormParser]

    @schema.FEED_UPLOAD_POST
    def post(self, request, feed_id: int) -> Response:
        # Errors are answered here rather than raised: DRF's handler would mark an enclosing
        # atomic block (there is none in production, but tests have one) for rollback.
        try:
            feed = feed_get_for_user(user=request.user, feed_id=feed_id)
        except Http404:
            return error_response(gettext("Not found."), code="not_found", status_code=404)
        if feed.provider not in UPLOAD_PROVIDERS:
            return error_response(
                gettext("This feed is synced from its aggregator; upload files to a file feed."),
                code="feed_not_for_files",
                status_code=status.HTTP_409_CONFLICT,
            )
        try:
            feed_import_check(feed=feed)
        except FeedNotImportable as exc:
            return _not_importable(exc)
        if uploads_today(user=request.user) >= settings.CANOPY_MAX_UPLOADS_PER_DAY:
            return error_response(
                gettext("You can upload at most %(limit)d files a day; try again tomorrow.")
                % {"limit": settings.CANOPY_MAX_UPLOADS_PER_DAY},
                code="upload_limit",
                status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        limit = settings.CANOPY_MAX_UPLOAD_BYTES
        too_large = error_response(
            gettext("The file is larger than the %(limit)s bytes an upload may have.")
            % {"limit": limit},
            code="file_too_large",
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit + _MULTIPART_SLACK:
            return too_large  # refused before the body is read
        upload = request.FILES.get("file")
        if upload is None:
            return error_response(
                gettext("Send the file as multipart form field 'file'."),
                code="file_missing",
                status_code=400,
                errors=[{"line": None, "field": "file", "message": gettext("No file was sent.")}],
            )
        if upload.size > limit:
            return too_large
        if upload.size > settings.CANOPY_BACKGROUND_IMPORT_BYTES:
            return self._queue(request, feed, upload)
        try:
            batch = feed_file_import(
                feed=feed,
                file=upload.file,
                file_name=upload.name or "",
                source=ImportBatch.Source.UPLOAD,
                format=request.data.get("format") or None,
            )
        except SourceError as exc:
            return _unknown_format(exc)
        except FeedNotImportable as exc:  # revoked while the file was uploading
            return _not_importable(exc)
        if batch.status == ImportBatch.Status.REJECTED:
            error = batch.errors[0] if batch.errors else {}
            detail = SourceError(
                error.get("message", "malformed input"),
                line=error.get("line"),
                field=error.get("field", ""),
                where=error.get("where", ""),
            )
            return error_response(
                gettext("The file was not imported: %(error)s") % {"error": detail},
                code="malformed_file",
                status_code=400,
                errors=batch.errors,
                **{"import": batch.pk},
            )
        body = ImportBatchSerializer(batch).data
        if batch.duplicate_of is not None:
            body["detail"] = gettext(
                "This file was imported before (import %(import)s); nothing was imported again."
            ) % {"import": batch.duplicate_of.pk}
        return Response(body, status=status.HTTP_201_CREATED)

    def _queue(self, request, feed, upload) -> Response:
        """A large file: stored encrypted and imported by a task; 202 with the job to poll."""
        try:
            format = file_format(upload.file, request.data.get("format") or None)
        except SourceError as exc:
            return _unknown_format(exc)
        job = import_job_create(
            user=request.user,
            feed=feed,
            file=upload.file,
            file_name=upload.name or "",
            format=format,
        )
        job.refresh_from_db()  # a task run eagerly (no broker) has finished it already
        body = ImportJobSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class ImportJobApi(APIView):
    """A background import's state, for the app to poll; only its owner sees it."""

    @schema.IMPORT_JOB_GET
    def get(self, request, job_id) -> Response:
        job = import_job_get_for_user(user=request.user, job_id=job_id)
        return Response(ImportJobSerializer(job, context={"request": request}).data)


class CsvTemplateApi(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @schema.CSV_TEMPLATE_GET
    def get(self, request) -> FileResponse:
        return FileResponse(
            CSV_TEMPLATE_PATH.open("rb"),
            as_attachment=True,
            filename="canopy-transactions-template.csv",
            content_type="text/csv; charset=utf-8",
        )
