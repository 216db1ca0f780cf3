"""Admin for the level thresholds: operators tune the energy and trees each level takes."""

from __future__ import annotations

from django.contrib import admin

from forest.models import LevelThreshold


@admin.register(LevelThreshold)
class LevelThresholdAdmin(admin.ModelAdmin):
    list_display = ["level", "name_en", "name_nl", "min_energy_grams", "min_trees"]
    list_editable = ["name_en", "name_nl", "min_energy_grams", "min_trees"]
    ordering = ["level"]
