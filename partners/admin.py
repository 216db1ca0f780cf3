from django.contrib import admin

from partners.models import Campaign, Sponsor, SponsorMembership


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


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "name", "sponsor", "starts_on", "ends_on", "segment", "bonus_grams", "multiplier",
        "budget_grams", "spent_grams", "is_active",
    ]  # fmt: skip
    list_filter = ["is_active", "segment", "sponsor", "starts_on"]
    search_fields = ["name", "sponsor__name", "match_merchants"]
    list_select_related = ["sponsor"]
    readonly_fields = ["spent_grams", "created_at", "updated_at"]
    date_hierarchy = "starts_on"
