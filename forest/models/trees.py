"""Trees: the species a user can grow, the trees themselves, and their planting certificates."""

from __future__ import annotations

from itertools import pairwise

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from config.models import TimeStampedModel

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

    code = models.SlugField(max_length=40, unique=True)
    name_en = models.CharField(max_length=80)
    name_nl = models.CharField(max_length=80)
    latin_name = models.CharField(max_length=120)
    energy_cost_grams = models.PositiveIntegerField()
    stage_thresholds = models.JSONField(
        default=default_stage_thresholds,
        validators=[validate_stage_thresholds],
        help_text=_("Percent of the cost at which stages 1-6 are reached"),
    )
    planting_months = models.JSONField(
        default=list, blank=True, validators=[validate_months], help_text=_("Months 1-12")
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["energy_cost_grams", "code"]
        verbose_name_plural = "species"
        constraints = [
            models.CheckConstraint(
                name="forest_species_cost_positive", condition=models.Q(energy_cost_grams__gt=0)
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


class TreeQuerySet(models.QuerySet["Tree"]):
    def for_owner(self, user_id: int) -> TreeQuerySet:
        return self.filter(owner_id=user_id)


class Tree(TimeStampedModel):
    """A user's tree in a brand forest. Grams reach it only through GROW ledger entries.

    ``energy_grams`` always equals the sum of the owner's GROW entries keyed to this tree
    (``grow:tree:<id>:…``); growing stops at the species' cost. Whether a matured tree is
    funded is whether it has an active planting order (partners.PlantingOrder), not a status.
    """

    class Status(models.TextChoices):
        GROWING = "growing", _("Growing")
        MATURED = "matured", _("Matured")
        PLANTED = "planted", _("Planted")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="trees"
    )
    species = models.ForeignKey(Species, on_delete=models.PROTECT, related_name="trees")
    forest = models.ForeignKey(
        "partners.BrandForest", on_delete=models.PROTECT, related_name="trees"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.GROWING)
    energy_grams = models.PositiveIntegerField(default=0)
    matured_at = models.DateTimeField(null=True, blank=True)

    objects = TreeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner"],
                condition=models.Q(status="growing"),
                name="forest_tree_one_growing_per_owner",
            ),
            models.CheckConstraint(
                name="forest_tree_matured_has_date",
                condition=models.Q(status="growing") | models.Q(matured_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"tree {self.pk}: {self.species_id} {self.energy_grams} g {self.status}"


class Certificate(models.Model):
    """Proof of a planted tree, verifiable by anyone at /certificates/<number>."""

    number = models.CharField(max_length=32, unique=True)
    tree = models.OneToOneField(Tree, on_delete=models.PROTECT, related_name="certificate")
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return self.number
