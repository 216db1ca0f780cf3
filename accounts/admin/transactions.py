"""Admin for transactions and webhook deliveries."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

import json

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import Transaction, WebhookDelivery
from accounts.selectors.feeds import feed_current_consent


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "user",
        "feed",
        "booking_date",
        "status",
        "amount",
        "currency",
        "merchant_name",
        "mcc",
        "removed_at",
        "redacted_at",
    ]
    list_filter = ["status", "provider", "currency", "booking_date", "removed_at", "redacted_at"]
    search_fields = ["user__email", "provider_txn_id", "merchant_name", "merchant_norm"]
    list_select_related = ["user", "feed"]
    raw_id_fields = ["user", "feed", "import_batch"]
    date_hierarchy = "booking_date"
    exclude = ["raw"]  # shown through raw_payload only while the feed's consent lives
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is slow

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [field.name for field in Transaction._meta.fields if field.name != "raw"] + [
            "raw_payload"
        ]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("raw payload"))
    def raw_payload(self, obj: Transaction) -> "StrOrPromise":
        if obj.redacted_at is not None:
            return _("erased (consent revoked %(at)s)") % {"at": obj.redacted_at.date()}
        consent = feed_current_consent(obj.feed)
        if consent is None or not consent.is_live(timezone.now()):
            return _("hidden: consent not live")
        if obj.raw is None:
            return "—"
        return format_html("<pre>{}</pre>", json.dumps(obj.raw, indent=2, ensure_ascii=False))


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["provider", "delivery_id", "received_at"]
    list_filter = ["provider", "received_at"]
    search_fields = ["delivery_id", "payload_sha256"]
    date_hierarchy = "received_at"

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
