"""Energy friends move to each other: steals from ripe drops and watering of trees.

The grams themselves move as ledger entries (kinds ``steal`` and ``water``); a transfer row
says who gave or lost them to whom, for the owner's "who stole from me" list, the daily
limits and operators. Written by ``forest.services.social`` only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class EnergyTransfer(models.Model):
    class Kind(models.TextChoices):
        STEAL = "steal", _("Stolen")
        WATER = "water", _("Watered")

    kind = models.CharField(max_length=8, choices=Kind.choices, verbose_name=_("kind"))
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("from"),
        help_text=_("The drop's owner (steal) or the giver (water)"),
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # forest_transfer_to_day (to_user, kind, day) covers it
        verbose_name=_("to"),
        help_text=_("The stealer (steal) or the friend whose tree grew (water)"),
    )
    drop = models.ForeignKey(
        "forest.EnergyDrop",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
        verbose_name=_("drop"),
    )
    tree = models.ForeignKey(
        "forest.Tree",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tree"),
    )
    grams = models.PositiveIntegerField(verbose_name=_("grams"))
    # The local day of whoever acted (the stealer, the giver): the daily limits count by it.
    day = models.DateField(verbose_name=_("day"))
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("energy transfer")
        verbose_name_plural = _("energy transfers")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One steal per drop per stealer, even under a double submit.
            models.UniqueConstraint(
                fields=["drop", "to_user"],
                condition=models.Q(kind="steal"),
                name="forest_transfer_one_steal_per_drop",
            ),
            # Watering: once per friend per day.
            models.UniqueConstraint(
                fields=["from_user", "to_user", "day"],
                condition=models.Q(kind="water"),
                name="forest_transfer_one_water_per_day",
            ),
            models.CheckConstraint(
                name="forest_transfer_grams_positive", condition=models.Q(grams__gt=0)
            ),
        ]
        indexes = [
            # The stealer's daily limit.
            models.Index(fields=["to_user", "kind", "day"], name="forest_transfer_to_day"),
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s of %(grams)s g: user %(source)s to user %(target)s") % {
            "kind": self.get_kind_display(),
            "grams": number_format(self.grams, force_grouping=True),
            "source": self.from_user_id,
            "target": self.to_user_id,
        }
