"""Planting partners: who puts the trees in the ground."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class PlantingPartner(TimeStampedModel):
    """Who puts trees in the ground. ``sandbox`` answers locally; ``http`` calls an API."""

    class Kind(models.TextChoices):
        SANDBOX = "sandbox", _("Sandbox (no real trees)")
        HTTP = "http", _("HTTP API (Ecologi-style)")

    name = models.CharField(max_length=120, verbose_name=_("name"))
    kind = models.CharField(
        max_length=16, choices=Kind.choices, default=Kind.SANDBOX, verbose_name=_("kind")
    )
    api_base_url = models.URLField(blank=True, verbose_name=_("api base url"))
    api_key_env = models.CharField(
        max_length=80,
        blank=True,
        help_text=_("Name of the environment variable holding the API key (never the key)"),
        verbose_name=_("api key env"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))

    class Meta:
        verbose_name = _("planting partner")
        verbose_name_plural = _("planting partners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == self.Kind.HTTP and not self.api_base_url:
            raise ValidationError({"api_base_url": _("An HTTP partner needs an API base URL.")})
