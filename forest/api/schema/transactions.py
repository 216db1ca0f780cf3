"""OpenAPI decorations of the transaction list (forest.api.transactions)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

transaction_list = extend_schema(
    summary="Your transactions, newest first, each with its green action",
    description="Removed transactions (voided, replaced pending ones) are left out. "
    "`green_action` is null until the nightly scoring has seen the transaction. `earning` says "
    "whether it earned energy and, if not, why (`reason`: self_reported_source, "
    "sandbox_source, before_consent_window, cap_reached, ...).",
)

transaction_detail = extend_schema(
    summary="One of your transactions, with its green action and why it earned or not",
    description="404 for a transaction that is not yours (or was removed).",
)
