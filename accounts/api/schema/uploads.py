"""OpenAPI decorations of accounts/api/uploads.py, applied there as ``@schema.<NAME>``."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from accounts.api.serializers.feeds import ImportBatchSerializer, UploadInputSerializer

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
"""


FEED_UPLOAD_POST = extend_schema(
    request={"multipart/form-data": UploadInputSerializer},
    responses={
        201: ImportBatchSerializer,
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
