"""Admin for sponsors' campaigns (bonus energy for matching purchases)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from catalogue.admin.forms import CampaignForm
from catalogue.models import Campaign


class QuarantinedFilter(admin.SimpleListFilter):
    """Campaigns nightly scoring switched off (their regex refused by the database)."""

    title = _("quarantined")
    parameter_name = "quarantined"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(quarantine_reason="")
        if self.value() == "no":
            return queryset.filter(quarantine_reason="")
        return queryset


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = [
        "name", "sponsor", "starts_on", "ends_on", "segment", "bonus_grams", "multiplier",
        "budget_grams", "spent_grams", "is_active", "quarantine_reason",
    ]  # fmt: skip
    list_filter = ["is_active", QuarantinedFilter, "segment", "sponsor", "starts_on"]
    search_fields = ["name", "sponsor__name", "match_merchants"]
    list_select_related = ["sponsor"]
    readonly_fields = ["spent_grams", "quarantine_reason", "created_at", "updated_at"]
    date_hierarchy = "starts_on"
