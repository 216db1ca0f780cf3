"""Helpers shared by the linked-feed tests: fixture files, item builders, signed webhooks."""

from __future__ import annotations

import hashlib
import io
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from accounts.integrations.sources.base import NormalisedTransaction, RemovedTransaction
from accounts.integrations.sources.registry import detect_format, get_source
from accounts.integrations.webhooks import webhook_signature
from accounts.models import ImportBatch, LinkedFeed
from accounts.services.importing import transactions_import

FIXTURES = Path(__file__).parent / "fixtures_feeds"
WEBHOOK_SECRET = "whsec-test-0123456789abcdef"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def import_bytes(
    feed: LinkedFeed, data: bytes, *, format: str | None = None, source: str = "upload"
) -> ImportBatch:
    format = format or detect_format(data[:8192])
    return transactions_import(
        feed=feed,
        items=get_source(format).parse(io.BytesIO(data)),
        source=source,
        format=format,
        file_name="test-file",
        file_sha256=hashlib.sha256(data).hexdigest(),
    )


def import_fixture(feed: LinkedFeed, name: str, **kwargs) -> ImportBatch:
    return import_bytes(feed, fixture_bytes(name), **kwargs)


def txn(txn_id: str, **fields) -> NormalisedTransaction:
    values = {
        "provider_txn_id": txn_id,
        "status": "booked",
        "amount": Decimal("-4.60"),
        "currency": "EUR",
        "booking_date": date(2026, 11, 2),
        "transaction_date": date(2026, 11, 2),
        "merchant_name": "NS Groep",
        "description": f"NS reis {txn_id}",
        "raw": {"id": txn_id},
    }
    values.update(fields)
    return NormalisedTransaction(**values)


def removed(txn_id: str) -> RemovedTransaction:
    return RemovedTransaction(provider_txn_id=txn_id)


def signed_headers(
    body: bytes,
    *,
    delivery: str = "delivery-1",
    timestamp: int | None = None,
    secret: str = WEBHOOK_SECRET,
) -> dict:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "HTTP_X_CANOPY_TIMESTAMP": stamp,
        "HTTP_X_CANOPY_SIGNATURE": webhook_signature(
            secret=secret.encode(), timestamp=stamp, delivery_id=delivery, body=body
        ),
        "HTTP_X_CANOPY_DELIVERY": delivery,
    }
