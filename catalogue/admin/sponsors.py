"""Admin for sponsors' members (the sponsor itself is registered by partners.admin.sponsors)."""

from django.contrib import admin

from catalogue.models import SponsorMembership


class SponsorMembershipInline(admin.TabularInline):
    model = SponsorMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(SponsorMembership)
class SponsorMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "sponsor", "role", "created_at"]
    list_filter = ["role", "sponsor"]
    search_fields = ["user__email", "sponsor__name"]
    list_select_related = ["user", "sponsor"]
    raw_id_fields = ["user"]
