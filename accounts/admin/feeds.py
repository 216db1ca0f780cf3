"""Admin for linked feeds, consents, Plaid items and import batches."""

from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.integrations.providers import PULLED_PROVIDERS
from accounts.models import Consent, ImportBatch, LinkedFeed, PlaidItem
from accounts.services.crypto import DecryptionFailed, mask
from accounts.tasks import feed_sync_task

# ---------------------------------------------------------------------------------------------
# Linked feeds, consent, imports and transactions
# ---------------------------------------------------------------------------------------------


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0
    can_delete = False
    fields = ("scopes", "granted_at", "expires_at", "revoked_at", "expired_at")
    readonly_fields = fields
    ordering = ["-granted_at"]
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # consent is given by the user, never by an operator


def _masked(item: PlaidItem, secret: str) -> "StrOrPromise":
    if item.removed_at is not None:
        return _("erased (item removed at Plaid %(at)s)") % {"at": item.removed_at.date()}
    try:
        plaintext = item.access_token() if secret == "access_token" else item.item_id()
    except DecryptionFailed:
        return _("stored, but not decryptable with the current CANOPY_FIELD_ENCRYPTION_KEY")
    return mask(plaintext) or "—"


class _PlaidItemDisplay:
    """Tokens are shown masked only; the encrypted columns are never on a page."""

    @admin.display(description=_("access token"))
    def access_token_masked(self, obj: PlaidItem) -> "StrOrPromise":
        return _masked(obj, "access_token")

    @admin.display(description=_("item id"))
    def item_id_masked(self, obj: PlaidItem) -> "StrOrPromise":
        return _masked(obj, "item_id")


class PlaidItemInline(_PlaidItemDisplay, admin.StackedInline):
    model = PlaidItem
    extra = 0
    can_delete = False
    fields = (
        "adapter",
        "access_token_masked",
        "item_id_masked",
        "removal_requested_at",
        "removed_at",
        "removal_attempts",
        "removal_error",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # only Plaid Link creates items


@admin.register(PlaidItem)
class PlaidItemAdmin(_PlaidItemDisplay, admin.ModelAdmin):
    list_display = ["id", "feed", "adapter", "created_at", "removal_requested_at", "removed_at"]
    list_filter = ["adapter", "removal_requested_at", "removed_at"]
    search_fields = ["feed__user__email", "feed__account_ref"]
    list_select_related = ["feed"]
    fields = (
        "feed",
        "adapter",
        "access_token_masked",
        "item_id_masked",
        "created_at",
        "removal_requested_at",
        "removed_at",
        "removal_attempts",
        "removal_error",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LinkedFeed)
class LinkedFeedAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "user",
        "provider",
        "account_ref",
        "display_name",
        "status",
        "trust",
        "last_synced_at",
        "created_at",
    ]
    list_filter = ["provider", "status", "trust", "unstable_ids", "created_at"]
    search_fields = ["user__email", "account_ref", "display_name"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
    # Trust follows from the provider and the consent day from the link: never edited here.
    readonly_fields = [
        "trust",
        "consented_on",
        "cursor",
        "last_synced_at",
        "last_error",
        "created_at",
        "updated_at",
    ]
    inlines = [ConsentInline, PlaidItemInline]
    actions = ["sync_again"]

    @admin.action(description=_("Sync the selected feeds again (sandbox and Plaid)"))
    def sync_again(self, request, queryset) -> None:
        feed_ids = list(
            queryset.filter(
                provider__in=PULLED_PROVIDERS, status=LinkedFeed.Status.ACTIVE
            ).values_list("id", flat=True)
        )
        for feed_id in feed_ids:
            transaction.on_commit(
                partial(feed_sync_task.delay, feed_id, source=ImportBatch.Source.PULL)
            )
        skipped = queryset.count() - len(feed_ids)
        message = _("%(n)d feed sync(s) queued.") % {"n": len(feed_ids)}
        if skipped:
            message += " " + _("%(n)d skipped: not active or not pulled.") % {"n": skipped}
        self.message_user(request, message, messages.SUCCESS if feed_ids else messages.WARNING)


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "feed", "granted_at", "expires_at", "revoked_at", "expired_at"]
    list_filter = ["granted_at", "expires_at", "revoked_at", "expired_at"]
    search_fields = ["user__email", "feed__account_ref", "feed__display_name"]
    list_select_related = ["user", "feed"]
    raw_id_fields = ["user", "feed"]
    date_hierarchy = "granted_at"
    readonly_fields = [
        "user",
        "feed",
        "scopes",
        "purpose",
        "granted_at",
        "expires_at",
        "revoked_at",
        "nudged_14_at",
        "nudged_7_at",
        "expired_at",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "feed",
        "source",
        "format",
        "status",
        "count_new",
        "count_updated",
        "count_duplicate",
        "count_removed",
        "count_rejected",
        "duration_ms",
        "created_at",
    ]
    list_filter = ["status", "source", "format", "created_at"]
    search_fields = ["feed__user__email", "feed__account_ref", "file_name", "file_sha256"]
    list_select_related = ["feed"]
    raw_id_fields = ["feed"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [field.name for field in ImportBatch._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
