"""Admin for sponsors, registered here because their logo goes through partners' sanitiser."""

from django import forms
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile

from catalogue.admin.sponsors import SponsorMembershipInline
from catalogue.models import Sponsor
from partners.services.branding import LogoRejected, sanitise_logo


class SponsorAdminForm(forms.ModelForm):
    """A logo uploaded here is sanitised like one uploaded in the portal (services/branding.py)."""

    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Sponsor
        fields = ["name", "slug", "website", "brand_colour", "logo", "is_active"]

    def clean_logo(self):
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
