"""A transaction as the API shows it, with its green action."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Transaction


class TransactionSerializer(serializers.ModelSerializer):
    feed = serializers.IntegerField(source="feed_id")
    category = serializers.CharField(source="provider_category")
    green_action = serializers.SerializerMethodField()

    class Meta:
        model = Transaction
        fields = [
            "id",
            "feed",
            "status",
            "amount",
            "currency",
            "booking_date",
            "transaction_date",
            "merchant_name",
            "mcc",
            "category",
            "description",
            "green_action",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_green_action(self, transaction: Transaction) -> dict | None:
        """The transaction's green action and why, or null until it is scored (or has none)."""
        return self.context.get("green_actions", {}).get(transaction.id)
