from django.contrib import admin

from partners.models import Sponsor, SponsorMembership


class SponsorMembershipInline(admin.TabularInline):
    model = SponsorMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Sponsor)
class SponsorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active", "website", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SponsorMembershipInline]


@admin.register(SponsorMembership)
class SponsorMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "sponsor", "role", "created_at"]
    list_filter = ["role", "sponsor"]
    search_fields = ["user__email", "sponsor__name"]
    list_select_related = ["user", "sponsor"]
    raw_id_fields = ["user"]
