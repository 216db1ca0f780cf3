import json
from functools import partial
from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.crypto import DecryptionFailed, mask
from accounts.erasure import user_erase, user_has_history
from accounts.models import (
    Consent,
    FriendInvite,
    Friendship,
    ImportBatch,
    LinkedFeed,
    Notification,
    OutboundMessage,
    PlaidItem,
    Profile,
    Transaction,
    User,
    WebhookDelivery,
)
from accounts.providers import PULLED_PROVIDERS
from accounts.selectors import feed_current_consent

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "date_joined"]
    search_fields = ["email", "first_name", "last_name", "profile__display_name"]
    inlines = [ProfileInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    actions = ["erase_personal_data"]

    def get_actions(self, request):
        # Bulk delete would cascade into bank data without revoking at Plaid and stop at the
        # ledger's PROTECT: users are erased instead (docs/privacy.md).
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None) -> bool:
        """Only a user without feeds, energy, trees or teams can be deleted outright."""
        if obj is not None and user_has_history(obj):
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Erase personal data (GDPR)"), permissions=["change"])
    def erase_personal_data(self, request, queryset) -> None:
        erased = 0
        for user in queryset.order_by("pk"):
            if user.pk == request.user.pk:
                self.message_user(
                    request, _("You cannot erase your own account here."), messages.WARNING
                )
                continue
            user_erase(user=user, reason=f"admin action by operator {request.user.pk}")
            erased += 1
        if erased:
            self.message_user(
                request,
                _(
                    "Personal data of %(n)d user(s) erased: feeds revoked, e-mail and names "
                    "replaced, sessions ended. Energy, trees and certificates stay, anonymous."
                )
                % {"n": erased},
                messages.SUCCESS,
            )


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "locale", "time_zone", "steal_opt_out", "created_at"]
    list_filter = ["locale", "steal_opt_out"]
    search_fields = ["user__email", "display_name"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["user__email", "title", "dedupe_key"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "channel", "topic", "not_before", "sent_at", "attempts")
    list_filter = ("channel", "topic", ("sent_at", admin.EmptyFieldListFilter))
    search_fields = ("user__email", "dedupe_key")
    raw_id_fields = ("user",)
    readonly_fields = ("created_at",)


@admin.register(Friendship)
class FriendshipAdmin(admin.ModelAdmin):
    list_display = ["id", "user_low", "user_high", "requested_by", "status", "accepted_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["user_low__email", "user_high__email"]
    list_select_related = ["user_low", "user_high", "requested_by"]
    raw_id_fields = ["user_low", "user_high", "requested_by"]
    date_hierarchy = "created_at"


@admin.register(FriendInvite)
class FriendInviteAdmin(admin.ModelAdmin):
    # Codes exist only as hashes; operators see who invited whom and when, nothing to edit.
    list_display = ["id", "inviter", "created_at", "expires_at", "used_at", "used_by"]
    list_filter = ["created_at", "used_at"]
    search_fields = ["inviter__email", "used_by__email"]
    list_select_related = ["inviter", "used_by"]
    readonly_fields = ["inviter", "code_hash", "expires_at", "used_at", "used_by"]

    def has_add_permission(self, request) -> bool:
        return False


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
        "last_synced_at",
        "created_at",
    ]
    list_filter = ["provider", "status", "unstable_ids", "created_at"]
    search_fields = ["user__email", "account_ref", "display_name"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = ["cursor", "last_synced_at", "last_error", "created_at", "updated_at"]
    inlines = [ConsentInline, PlaidItemInline]
    actions = ["sync_again"]

    @admin.action(description=_("Sync the selected feeds again (sandbox and Plaid)"))
    def sync_again(self, request, queryset) -> None:
        from accounts.tasks import feed_sync_task

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
