"""Admin for drops, the ledger, transfers, balances and ledger audits (read-only)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdmin
from forest.models import (
    EnergyBalance,
    EnergyDrop,
    EnergyLedgerEntry,
    EnergyTransfer,
    LedgerAudit,
)
from forest.services.energy import ledger_audit


@admin.register(EnergyDrop)
class EnergyDropAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "user", "action_type", "grams", "remaining", "status", "ripe_at", "expires_at",
    ]  # fmt: skip
    list_filter = ["status", "action_type"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    date_hierarchy = "ripe_at"


@admin.register(EnergyLedgerEntry)
class EnergyLedgerEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "user",
        "account",
        "kind",
        "grams",
        "memo",
        "idempotency_key",
        "created_at",
    ]
    list_filter = ["account", "kind", "created_at"]
    search_fields = ["user__email", "idempotency_key", "memo"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # counting a huge ledger on every page view is wasteful


@admin.register(EnergyTransfer)
class EnergyTransferAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "from_user", "to_user", "grams", "drop", "tree", "created_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["from_user__email", "to_user__email"]
    list_select_related = ["from_user", "to_user", "drop", "tree__species"]
    date_hierarchy = "created_at"


@admin.register(EnergyBalance)
class EnergyBalanceAdmin(ReadOnlyAdmin):
    list_display = ["user", "account", "grams"]
    list_filter = ["account"]
    search_fields = ["user__email"]
    list_select_related = ["user"]


@admin.register(LedgerAudit)
class LedgerAuditAdmin(ReadOnlyAdmin):
    list_display = ["checked_at", "balances_checked", "drift_count"]
    actions = ["run_audit"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=gettext_lazy("Run the ledger audit now"))
    def run_audit(self, request, queryset) -> None:
        audit = ledger_audit()
        level = messages.ERROR if audit.drift_count else messages.SUCCESS
        text = _("%(n)s balances drift from the ledger.") % {"n": audit.drift_count}
        self.message_user(request, text, level)
