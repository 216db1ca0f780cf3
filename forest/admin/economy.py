"""Admin for the energy limits: the one row of pace knobs that are not per rule."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse

from forest.models import EnergyLimits


@admin.register(EnergyLimits)
class EnergyLimitsAdmin(admin.ModelAdmin):
    """One row: the list opens it, nobody adds a second or deletes it."""

    fields = ["daily_total_cap_grams", "first_night_cap_grams", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request) -> bool:
        # The list opens the one row (made if missing): nothing to add, and no query on every
        # admin page that lists the apps.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        limits, _created = EnergyLimits.objects.get_or_create(pk=EnergyLimits.SINGLETON_PK)
        return HttpResponseRedirect(reverse("admin:forest_energylimits_change", args=[limits.pk]))
