"""Admin for the species the brand forests plant (and the game grows)."""

from __future__ import annotations

from django.contrib import admin

from catalogue.models import Species


@admin.register(Species)
class SpeciesAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_nl", "latin_name", "energy_cost_grams", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name_en", "name_nl", "latin_name"]
