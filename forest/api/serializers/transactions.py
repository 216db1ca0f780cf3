"""A transaction as the API shows it, with its green action."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Transaction
from forest.selectors.earnings import earning_for


class EarningSerializer(serializers.Serializer):
    """Whether a transaction earned energy, and why not (docs/feeds.md, "Trust levels")."""

    status = serializers.ChoiceField(choices=["earned", "not_earning", "not_scored_yet"])
    reason = serializers.CharField(
        allow_null=True,
        help_text="null when earned; else self_reported_source, sandbox_source, "
        "before_consent_window, cap_reached, rule_awards_no_energy, refund_claw_back, reversed, "
        "pending_at_bank, awaiting_scoring or no_matching_rule",
    )
    detail = serializers.CharField(allow_null=True, help_text="The reason in words")


class GreenActionRuleSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    method = serializers.CharField()
    # Named as the summary's key; DRF's metaclass takes declared fields out of the class body.
    source = serializers.CharField()  # type: ignore[assignment]


class GreenActionSummarySerializer(serializers.Serializer):
    """What a transaction earned and why (forest.selectors.green_actions)."""

    action_type = serializers.CharField()
    grams = serializers.IntegerField()
    estimated_grams = serializers.IntegerField()
    capped = serializers.BooleanField()
    campaign = serializers.CharField(allow_null=True)
    campaign_grams = serializers.IntegerField()
    reversed = serializers.BooleanField()
    matched_on = serializers.CharField(
        allow_null=True,
        help_text="What recognised it: mcc, merchant, alias, description, merchant_id, category",
    )
    rule = GreenActionRuleSerializer(allow_null=True)


class TransactionSerializer(serializers.ModelSerializer):
    feed = serializers.IntegerField(source="feed_id")
    category = serializers.CharField(source="provider_category")
    green_action = serializers.SerializerMethodField()
    earning = serializers.SerializerMethodField()

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
            "earning",
        ]
        read_only_fields = fields

    @extend_schema_field(GreenActionSummarySerializer(allow_null=True))
    def get_green_action(self, transaction: Transaction) -> dict | None:
        """The transaction's green action and why, or null until it is scored (or has none)."""
        return self.context.get("green_actions", {}).get(transaction.id)

    @extend_schema_field(EarningSerializer)
    def get_earning(self, transaction: Transaction) -> dict:
        """Whether it earned energy and, if not, why (needs the earning-facts annotations)."""
        return earning_for(transaction, self.get_green_action(transaction))
