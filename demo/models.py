"""The demo marker: one row saying this database holds the seeded demo, and how far it ran."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DemoState(models.Model):
    """Written by ``seed_demo`` when the demo's history is in place; ``demo_advance`` refuses to
    touch a database without it (a real installation never has one)."""

    seeded_at = models.DateTimeField(verbose_name=_("seeded at"))
    history_days = models.PositiveIntegerField(verbose_name=_("days of history"))
    days_advanced = models.PositiveIntegerField(default=0, verbose_name=_("days advanced"))
    advanced_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last advanced at"))

    class Meta:
        verbose_name = _("demo state")
        verbose_name_plural = _("demo states")

    def __str__(self) -> str:
        return f"demo seeded {self.seeded_at:%Y-%m-%d}, advanced {self.days_advanced} d"
