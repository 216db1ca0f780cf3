"""Brand forests: where a sponsor's money plants users' matured trees."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from catalogue.integrations.geo import validate_geojson_area
from catalogue.models.planting_partners import PlantingPartner
from catalogue.models.sponsors import Sponsor
from core.models import TimeStampedModel


class BrandForest(TimeStampedModel):
    """A sponsor's forest: where users' matured trees are planted, paid from its budget.

    The budget is the ForestBudgetEntry ledger: what is available is the sum of its entries.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FULL = "full", _("Full")
        CLOSED = "closed", _("Closed")

    sponsor = models.ForeignKey(
        Sponsor, on_delete=models.PROTECT, related_name="forests", verbose_name=_("sponsor")
    )
    name = models.CharField(max_length=120, verbose_name=_("name"))
    story = models.TextField(blank=True, verbose_name=_("story"))
    area = models.JSONField(
        help_text=_("GeoJSON Polygon or MultiPolygon (lon, lat)"), verbose_name=_("area")
    )
    planting_partner = models.ForeignKey(
        PlantingPartner,
        on_delete=models.PROTECT,
        related_name="forests",
        verbose_name=_("planting partner"),
    )
    species = models.ManyToManyField(
        "catalogue.Species", related_name="forests", blank=True, verbose_name=_("species")
    )
    price_per_tree = models.DecimalField(
        max_digits=8, decimal_places=2, verbose_name=_("price per tree")
    )
    currency = models.CharField(max_length=3, default="EUR", verbose_name=_("currency"))
    capacity = models.PositiveIntegerField(
        help_text=_("Trees this forest can take in all"), verbose_name=_("capacity")
    )
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.OPEN, verbose_name=_("status")
    )

    class Meta:
        verbose_name = _("brand forest")
        verbose_name_plural = _("brand forests")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                name="catalogue_forest_price_positive", condition=models.Q(price_per_tree__gt=0)
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sponsor})"

    def clean(self) -> None:
        try:
            validate_geojson_area(self.area)
        except ValueError as exc:
            raise ValidationError({"area": str(exc)}) from exc
