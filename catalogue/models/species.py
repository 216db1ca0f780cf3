"""Species: the trees a user can grow, what each costs in energy, and when it can be planted."""

from __future__ import annotations

from itertools import pairwise

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

DEFAULT_STAGE_THRESHOLDS = [5, 15, 30, 50, 70, 100]


def default_stage_thresholds() -> list[int]:
    return list(DEFAULT_STAGE_THRESHOLDS)


def validate_stage_thresholds(value) -> None:
    """Six growing percentages ending at 100: stage n is reached at value[n - 1] percent."""
    if (
        not isinstance(value, list)
        or len(value) != 6
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise ValidationError(_("Give six whole percentages, e.g. [5, 15, 30, 50, 70, 100]."))
    if value[-1] != 100 or value[0] <= 0 or any(a >= b for a, b in pairwise(value)):
        raise ValidationError(_("Stage percentages must rise strictly and end at 100."))


def validate_months(value) -> None:
    if not isinstance(value, list) or not all(
        isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 12 for m in value
    ):
        raise ValidationError(_("Give planting months as numbers 1 to 12."))


class Species(TimeStampedModel):
    """A tree a user can grow; ``energy_cost_grams`` of energy grows one to maturity."""

    code = models.SlugField(max_length=40, unique=True, verbose_name=_("code"))
    name_en = models.CharField(max_length=80, verbose_name=_("name en"))
    name_nl = models.CharField(max_length=80, verbose_name=_("name nl"))
    latin_name = models.CharField(max_length=120, verbose_name=_("latin name"))
    energy_cost_grams = models.PositiveIntegerField(verbose_name=_("energy cost grams"))
    stage_thresholds = models.JSONField(
        default=default_stage_thresholds,
        validators=[validate_stage_thresholds],
        help_text=_("Percent of the cost at which stages 1-6 are reached"),
        verbose_name=_("stage thresholds"),
    )
    planting_months = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_months],
        help_text=_("Months 1-12"),
        verbose_name=_("planting months"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))

    class Meta:
        verbose_name = _("species")
        ordering = ["energy_cost_grams", "code"]
        verbose_name_plural = _("species")
        constraints = [
            models.CheckConstraint(
                name="catalogue_species_cost_positive", condition=models.Q(energy_cost_grams__gt=0)
            )
        ]

    def __str__(self) -> str:
        return f"{self.name_en} ({self.latin_name})"

    def name(self, locale: str) -> str:
        return self.name_nl if locale == "nl" else self.name_en

    def stage_for(self, energy_grams: int) -> int:
        """0 to 6: how many stage thresholds ``energy_grams`` has reached (integer arithmetic)."""
        return sum(
            1 for t in self.stage_thresholds if energy_grams * 100 >= t * self.energy_cost_grams
        )

    def progress_percent(self, energy_grams: int) -> int:
        return min(100, energy_grams * 100 // self.energy_cost_grams)
