"""OpenAPI decorations of accounts/api/uploads.py, applied there as ``@schema.<NAME>``."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from accounts.api.serializers.feeds import (
    ImportBatchSerializer,
    ImportJobSerializer,
    UploadInputSerializer,
)

UPLOAD_DESCRIPTION = f"""
Upload a bank file into a `file` (or `berlin_group`) feed. Formats: OFX/QFX, ISO 20022
camt.053 XML, Plaid `/transactions/sync` JSON, Berlin Group (NextGenPSD2) JSON, and Canopy CSV.
The format is detected from the file's first bytes unless `format` is given.

**CSV template:** [`GET /api/v1/feeds/csv-template`](/api/v1/feeds/csv-template) — header
`transaction_id,status,booking_date,transaction_date,amount,currency,merchant_name,merchant_id,
mcc,category,description`; `,` or `;` separated, UTF-8, `.` as decimal point, negative = money
out, dates `YYYY-MM-DD`. An empty `transaction_id` makes the row's content its identity.

The whole file is imported in one transaction: a malformed line rejects the file (400 naming
the line and field) and imports nothing. Importing the same file again, or files with
overlapping dates, never creates duplicates. Larger than
{settings.CANOPY_MAX_UPLOAD_BYTES // (1024 * 1024)} MB: 413. Revoked or expired feed: 409.

**Two answers, by size.** A file of at most {settings.CANOPY_BACKGROUND_IMPORT_BYTES:,} bytes
(`CANOPY_BACKGROUND_IMPORT_BYTES`) is imported in the request: **201** with the import
(`ImportBatch`), or 400 naming the line and field. A larger file is stored encrypted and
imported in the background: **202** with an import job (`ImportJob`) and its `url` (also in
`Location`); poll `GET /api/v1/imports/{{id}}` until `state` is `done` (the job's
`import_batch` is then what a 201 would have answered) or `failed` (`error` names the line and
field, as a 400 would have). An unknown format is a 400 either way, before anything is stored.
"""

_JOB_ID = "0b5e7c2a-6c1e-4f53-9a53-0d7f4c6c1b2e"
_JOB_URL = f"https://canopy.example/api/v1/imports/{_JOB_ID}"
_JOB_QUEUED = {
    "id": _JOB_ID,
    "url": _JOB_URL,
    "feed": 12,
    "state": "queued",
    "file_name": "ing-2026.csv",
    "format": "csv",
    "file_size": 45_102_871,
    "rows_processed": 0,
    "rows_total": 336_904,
    "error": None,
    "import_batch": None,
    "created_at": "2026-11-10T09:14:03.512Z",
    "started_at": None,
    "finished_at": None,
}
_BATCH = {
    "id": 41,
    "feed": 12,
    "source": "upload",
    "format": "csv",
    "status": "done",
    "file_name": "ing-2026.csv",
    "file_sha256": "9f2c0e5b8d1a4c7e6f3b2a1d0c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e",
    "delivery_id": "",
    "count_new": 336_904,
    "count_updated": 0,
    "count_duplicate": 0,
    "count_removed": 0,
    "count_rejected": 0,
    "errors": [],
    "duration_ms": 6120,
    "created_at": "2026-11-10T09:14:04.020Z",
    "finished_at": "2026-11-10T09:14:10.140Z",
}
_AMOUNT_ERROR = {
    "line": 118_204,
    "field": "amount",
    "where": "",
    "message": "not a valid amount: '12,5O'",
}


FEED_UPLOAD_POST = extend_schema(
    request={"multipart/form-data": UploadInputSerializer},
    responses={
        201: ImportBatchSerializer,
        202: OpenApiResponse(
            response=ImportJobSerializer,
            description="A large file, queued: poll `url` (also the `Location` header).",
            examples=[OpenApiExample("Queued", value=_JOB_QUEUED)],
        ),
        400: OpenApiResponse(
            description="Malformed file: nothing imported; `errors` names line and field.",
            examples=[
                OpenApiExample(
                    "Malformed amount",
                    value={
                        "detail": "The file was not imported: line 3, field 'amount': "
                        "not a valid amount: '12,5O'",
                        "code": "malformed_file",
                        "errors": [
                            {
                                "line": 3,
                                "field": "amount",
                                "where": "",
                                "message": "not a valid amount: '12,5O'",
                            }
                        ],
                        "import": 17,
                    },
                )
            ],
        ),
        404: OpenApiResponse(description="Not your feed."),
        409: OpenApiResponse(description="The feed is revoked or its consent expired."),
        413: OpenApiResponse(description="The file is too large."),
    },
    summary="Upload a bank file (OFX, camt.053, CSV, Plaid or Berlin Group JSON)",
    description=UPLOAD_DESCRIPTION,
    examples=[
        OpenApiExample(
            "CSV (see the template)",
            value={"file": "transactions.csv", "format": "csv"},
            request_only=True,
        )
    ],
)

CSV_TEMPLATE_GET = extend_schema(
    responses={(200, "text/csv"): OpenApiTypes.STR},
    summary="Download the CSV template for uploads",
    description="Canopy's CSV header with three example rows (a train ride, a kringloop "
    "purchase and a pending OV-fiets rental).",
)

IMPORT_JOB_GET = extend_schema(
    responses={
        200: OpenApiResponse(
            response=ImportJobSerializer,
            description="The job's state: `queued`, `running`, `done` or `failed`.",
            examples=[
                OpenApiExample("Queued", value=_JOB_QUEUED),
                OpenApiExample(
                    "Running",
                    value={
                        **_JOB_QUEUED,
                        "state": "running",
                        "rows_processed": 120_000,
                        "started_at": "2026-11-10T09:14:04.001Z",
                    },
                ),
                OpenApiExample(
                    "Done",
                    value={
                        **_JOB_QUEUED,
                        "state": "done",
                        "rows_processed": 336_904,
                        "import_batch": _BATCH,
                        "started_at": "2026-11-10T09:14:04.001Z",
                        "finished_at": "2026-11-10T09:14:10.152Z",
                    },
                ),
                OpenApiExample(
                    "Failed: the whole file was rejected",
                    value={
                        **_JOB_QUEUED,
                        "state": "failed",
                        "error": _AMOUNT_ERROR,
                        "import_batch": {
                            **_BATCH,
                            "status": "rejected",
                            "count_new": 0,
                            "count_rejected": 118_203,
                            "errors": [_AMOUNT_ERROR],
                        },
                        "started_at": "2026-11-10T09:14:04.001Z",
                        "finished_at": "2026-11-10T09:14:07.310Z",
                    },
                ),
            ],
        ),
        404: OpenApiResponse(description="No such import job, or not yours."),
    },
    summary="A background import's progress",
    description="Large uploads (see `POST /api/v1/feeds/{id}/uploads`) are imported by a task; "
    "this shows its state, rows processed so far of the rows the file holds, the import once "
    "done, and the whole-file error (line, field, message) when it was rejected. Nothing of "
    "a rejected file is imported.",
)
