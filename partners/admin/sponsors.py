"""Admin for sponsors, their members and campaigns."""

from django import forms
from django.contrib import admin

from catalogue.models import Campaign, Sponsor, SponsorMembership


class SponsorMembershipInline(admin.TabularInline):
    model = SponsorMembership
    extra = 0
    raw_id_fields = ["user"]


class SponsorAdminForm(forms.ModelForm):
    """A logo uploaded here is sanitised like one uploaded in the portal (services/branding.py)."""

    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Sponsor
        fields = ["name", "slug", "website", "brand_colour", "logo", "is_active"]

    def clean_logo(self):
        from django.core.files.base import ContentFile
        from django.core.files.uploadedfile import UploadedFile

        from partners.services.branding import LogoRejected, sanitise_logo

        logo = self.cleaned_data.get("logo")
        if not isinstance(logo, UploadedFile):
            return logo  # unchanged, or cleared
        try:
            clean = sanitise_logo(logo.read())
        except LogoRejected as exc:
            raise forms.ValidationError(str(exc)) from exc
        slug = self.cleaned_data.get("slug") or "sponsor"
        return ContentFile(clean.png, name=f"{slug}-{clean.sha256[:12]}.png")


@admin.register(Sponsor)
class SponsorAdmin(admin.ModelAdmin):
    form = SponsorAdminForm
    list_display = ["name", "slug", "is_active", "brand_colour", "website", "created_at"]
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


# --------------------------------------------------------------------------------------------
# Forests, budgets and planting
# --------------------------------------------------------------------------------------------
