"""OpenAPI decorations of the transaction list (forest.api.transactions)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

transaction_list = extend_schema(
    summary="Your transactions, newest first, each with its green action",
    description="Removed transactions (voided, replaced pending ones) are left out. "
    "`green_action` is null until the nightly scoring has seen the transaction.",
)
