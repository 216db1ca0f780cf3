"""Levels: the thresholds of lifetime energy and grown trees an operator can edit."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LevelThreshold(models.Model):
    """Level ``level`` is reached with at least ``min_energy_grams`` of lifetime energy AND
    ``min_trees`` grown trees. Rows, not settings, so operators tune them in the admin."""

    level = models.PositiveSmallIntegerField(unique=True, verbose_name=_("level"))
    name_en = models.CharField(max_length=60, verbose_name=_("name en"))
    name_nl = models.CharField(max_length=60, verbose_name=_("name nl"))
    min_energy_grams = models.PositiveIntegerField(
        default=0, help_text=_("Lifetime energy needed"), verbose_name=_("minimum energy grams")
    )
    min_trees = models.PositiveIntegerField(
        default=0, help_text=_("Grown trees needed"), verbose_name=_("minimum trees")
    )

    class Meta:
        verbose_name = _("level threshold")
        verbose_name_plural = _("level thresholds")
        ordering = ["level"]

    def __str__(self) -> str:
        return f"{self.level}: {self.name_en}"
