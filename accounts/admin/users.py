"""Admin for users, profiles, the inbox and friends."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    FriendInvite,
    Friendship,
    Notification,
    OutboundMessage,
    Profile,
    PushDevice,
    User,
)


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    # privacy.admin registers a subclass in its place: deleting means erasing, across apps.
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
    list_display = (
        "id", "user", "channel", "topic", "not_before", "sent_at", "outcome", "attempts"
    )  # fmt: skip
    list_filter = ("channel", "topic", "outcome", ("sent_at", admin.EmptyFieldListFilter))
    search_fields = ("user__email", "dedupe_key")
    raw_id_fields = ("user",)
    readonly_fields = ("created_at",)


@admin.register(PushDevice)
class PushDeviceAdmin(admin.ModelAdmin):
    """Operators see which phones a user has and may remove one; registering is the app's."""

    list_display = ("id", "user", "platform", "token_type", "app_version", "last_sent_at")
    list_filter = ("platform", "token_type")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = (
        "user", "token", "token_type", "platform", "app_version", "locale", "created_at",
        "updated_at", "last_sent_at",
    )  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False


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
