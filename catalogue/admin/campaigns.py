"""Admin for sponsors' campaigns (bonus energy for matching purchases)."""

from django.contrib import admin

from catalogue.admin.forms import CampaignForm
from catalogue.models import Campaign


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = [
        "name", "sponsor", "starts_on", "ends_on", "segment", "bonus_grams", "multiplier",
        "budget_grams", "spent_grams", "is_active",
    ]  # fmt: skip
    list_filter = ["is_active", "segment", "sponsor", "starts_on"]
    search_fields = ["name", "sponsor__name", "match_merchants"]
    list_select_related = ["sponsor"]
    readonly_fields = ["spent_grams", "quarantine_reason", "created_at", "updated_at"]
    date_hierarchy = "starts_on"
